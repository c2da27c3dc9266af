/* transport_errors.c: libcurl result codes mapped to the error kinds users see (anything
 * unexpected is a "network" failure: retryable, never silent), and the failure triple. */
#include "transport_errors.h"

const char *linky_curl_kind(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return "timeout";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return "tls";
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return "invalid_argument";
    case CURLE_OUT_OF_MEMORY:
      return NULL;
    default: /* resolve, connect, send, receive, partial file, proxy... */
      return "network";
  }
}

int linky_fail(lua_State *L, const char *kind) {
  lua_pushstring(L, kind);
  lua_insert(L, -2);
  lua_pushnil(L);
  lua_insert(L, -3);
  return 3;
}
