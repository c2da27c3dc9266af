/* easy.h: what every libcurl easy handle of linky shares (linky.Connection, linky.HttpClient):
 * options read from a Lua table, the handle's transport settings, a failed transfer's outcome. */
#ifndef LINKY_EASY_H
#define LINKY_EASY_H

#include <stddef.h>

#include <curl/curl.h>
#include <lua.h>

#include "buffer.h"
#include "redact.h"

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* The transport options both userdata types take: timeouts in seconds, a body bound in bytes. */
typedef struct {
  const char *user_agent, *cainfo, *proxy; /* NULL when not given; anchored on the Lua stack */
  double timeout, connect_timeout, max_body;
  int insecure;
} linky_easy_options;

/* Overwrites a secret before its memory is released; volatile so it is not elided. */
void linky_wipe(char *p, size_t n);

/* Pushes the string option `key` of the table at index 1 and returns it (NULL, nothing pushed,
 * when it is absent and not required); it stays on the stack. Raises on another type, a zero
 * byte, or (header) a line break. */
const char *linky_opt_string(lua_State *L, const char *key, int required, int header);

/* The number option `key` of the table at index 1, or def; raises on another type. */
double linky_opt_number(lua_State *L, const char *key, double def);

/* Reads the transport options of the table at index 1 (user_agent required or not); the
 * strings stay on the stack. Raises on a bad type or a value out of range. */
void linky_easy_read_options(lua_State *L, linky_easy_options *o, int agent_required);

/* Appends "<head><value>" to *list; the temporary copy is wiped (it may hold a secret).
 * Raises only after freeing it. */
void linky_append_header(lua_State *L, struct curl_slist **list, const char *head, const char *value);

/* Sets the options every handle has: error buffer, no signals, timeouts, no redirects, http and
 * https only, TLS verification (off only with insecure), CA file, proxy, user agent, keep-alive,
 * and the body callback appending to `body` (a failed append aborts the transfer, the reason in
 * body->status). Raises when libcurl refuses a string option. */
void linky_easy_setup(lua_State *L, CURL *curl, char *errbuf, const linky_easy_options *o,
                      linky_buffer *body);

/* The body bound of max_body (a positive number of bytes). */
size_t linky_easy_limit(double max_body);

/* Pushes what a failed transfer (rc != CURLE_OK) returns: nil, kind, message[, unsent], the
 * message with the secrets redacted; raises on out of memory. Empties the body. */
int linky_easy_failure(lua_State *L, CURL *curl, CURLcode rc, linky_buffer *body,
                       const char *errbuf, const linky_secret *secrets, int nsecrets);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
