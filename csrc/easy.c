/* easy.c: what every libcurl easy handle of linky shares (linky.Connection, linky.HttpClient):
 * options read from a Lua table, the handle's transport settings, a failed transfer's outcome. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <lauxlib.h>

#include "buffer.h"
#include "compat.h"
#include "easy.h"
#include "redact.h"
#include "transport_errors.h"

void linky_wipe(char *p, size_t n) {
  volatile char *v = p;
  while (n--) *v++ = 0;
}

/* A string an __index made is anchored nowhere else: it stays on the stack. A zero byte would
 * cut it short and a line break in a header value would start another header: both raise. */
const char *linky_opt_string(lua_State *L, const char *key, int required, int header) {
  size_t len;
  const char *s;
  int t = lua_getfield(L, 1, key);
  if (t == LUA_TNIL && !required) {
    lua_pop(L, 1);
    return NULL;
  }
  if (t != LUA_TSTRING) luaL_error(L, "bad option '%s' (string expected, got %s)", key, luaL_typename(L, -1));
  s = lua_tolstring(L, -1, &len);
  if (strlen(s) != len) luaL_error(L, "bad option '%s' (holds a zero byte)", key);
  if (header && strpbrk(s, "\r\n") != NULL) luaL_error(L, "bad option '%s' (holds a line break)", key);
  return s;
}

double linky_opt_number(lua_State *L, const char *key, double def) {
  double v = def;
  int t = lua_getfield(L, 1, key);
  if (t == LUA_TNUMBER) v = lua_tonumber(L, -1);
  else if (t != LUA_TNIL) luaL_error(L, "bad option '%s' (number expected, got %s)", key, luaL_typename(L, -1));
  lua_pop(L, 1);
  return v;
}

void linky_easy_read_options(lua_State *L, linky_easy_options *o, int agent_required) {
  o->user_agent = linky_opt_string(L, "user_agent", agent_required, 1);
  o->cainfo = linky_opt_string(L, "cainfo", 0, 0);
  o->proxy = linky_opt_string(L, "proxy", 0, 0);
  o->timeout = linky_opt_number(L, "timeout", 30);
  o->connect_timeout = linky_opt_number(L, "connect_timeout", 10);
  o->max_body = linky_opt_number(L, "max_body", 32.0 * 1024 * 1024);
  lua_getfield(L, 1, "insecure");
  o->insecure = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (!(o->timeout > 0 && o->connect_timeout > 0 && o->max_body >= 1))
    luaL_error(L, "bad option values (timeouts and max_body must be positive)");
}

size_t linky_easy_limit(double max_body) {
  return max_body >= (double)((size_t)-1) ? (size_t)-1 : (size_t)max_body;
}

void linky_append_header(lua_State *L, struct curl_slist **list, const char *head, const char *value) {
  size_t n = strlen(head) + strlen(value) + 1;
  char *line = malloc(n);
  struct curl_slist *grown = NULL;
  if (line != NULL) {
    snprintf(line, n, "%s%s", head, value);
    grown = curl_slist_append(*list, line);
    linky_wipe(line, n);
    free(line);
  }
  if (grown == NULL) luaL_error(L, "not enough memory");
  *list = grown;
}

/* Seconds to whole milliseconds for libcurl, rounded up: a positive time under 1 ms is 1 ms,
 * not 0, which libcurl reads as "never"; anything past INT_MAX ms (24.8 days, beyond libcurl's
 * own limit on some versions) is INT_MAX ms. */
static long to_ms(double seconds) {
  double ms = ceil(seconds * 1000);
  if (!(ms >= 1)) return 1;
  if (ms >= (double)INT_MAX) return INT_MAX;
  return (long)ms;
}

/* Sets a string option of the handle; libcurl refuses strings over 8 MB, and a refused
 * option must not be silently left out (a proxy, a CA file). */
static void set_string(lua_State *L, CURL *curl, CURLoption opt, const char *key, const char *value) {
  CURLcode rc = curl_easy_setopt(curl, opt, value);
  if (rc == CURLE_OUT_OF_MEMORY) luaL_error(L, "not enough memory");
  if (rc != CURLE_OK) luaL_error(L, "bad option '%s' (%s)", key, curl_easy_strerror(rc));
}

/* Appends a body chunk; 0 (a short count) aborts the transfer, the reason in b->status. */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
  linky_buffer *b = userdata;
  size_t n = size * nmemb;
  return linky_buffer_append(b, ptr, n) == LINKY_BUF_OK ? n : 0;
}

void linky_easy_setup(lua_State *L, CURL *curl, char *errbuf, const linky_easy_options *o,
                      linky_buffer *body) {
  if (o->user_agent) set_string(L, curl, CURLOPT_USERAGENT, "user_agent", o->user_agent);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, to_ms(o->timeout));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, to_ms(o->connect_timeout));
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl decodes */
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  if (o->insecure) { /* an explicit choice the Lua side warns about */
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  }
  if (o->cainfo) set_string(L, curl, CURLOPT_CAINFO, "cainfo", o->cainfo);
  if (o->proxy) set_string(L, curl, CURLOPT_PROXY, "proxy", o->proxy);
}

int linky_easy_failure(lua_State *L, CURL *curl, CURLcode rc, linky_buffer *body,
                       const char *errbuf, const linky_secret *secrets, int nsecrets) {
  const char *kind = linky_curl_kind(rc);
  long sent = -1;
  int status = body->status;
  size_t limit = body->limit;
  linky_buffer_reset(body);
  if (status == LINKY_BUF_TOO_LARGE) {
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)limit);
    lua_pushnil(L);
    lua_pushliteral(L, "invalid_response");
    lua_pushfstring(L, "response body larger than max_body (%s bytes)", text);
    return 3;
  }
  if (status == LINKY_BUF_NOMEM || kind == NULL) return luaL_error(L, "not enough memory");
  lua_pushnil(L);
  lua_pushstring(L, kind);
  {
    const char *msg = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    linky_push_redacted_all(L, secrets, nsecrets, msg, strlen(msg));
  }
  /* no name, no connection: no byte of the request left, the service never saw it */
  if ((rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_COULDNT_CONNECT)
      && curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK && sent == 0) {
    lua_pushboolean(L, 1);
    return 4;
  }
  return 3;
}
