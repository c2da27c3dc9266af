/* connection.c: the linky.Connection userdata (options, headers, one reused libcurl easy handle)
 * and its blocking get; it owns every C resource, so a raise at any point leaks nothing. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <lauxlib.h>

#include "buffer.h"
#include "compat.h"
#include "connection.h"
#include "redact.h"
#include "transport_errors.h"
#include "userdata.h"

/* Overwrites a secret before its memory is released; volatile so it is not elided. */
static void wipe(char *p, size_t n) {
  volatile char *v = p;
  while (n--) *v++ = 0;
}

/* libcurl handles alive in the process: what a spec checks after garbage collection */
static long open_handles = 0;

static int connection_close(lua_State *L) {
  linky_connection *c = luaL_checkudata(L, 1, LINKY_CONNECTION);
  struct curl_slist *h;
  linky_transfer_release(c); /* the easy handle leaves the multi before either is freed */
  if (c->curl) {
    curl_easy_cleanup(c->curl);
    c->curl = NULL;
    open_handles--;
  }
  for (h = c->headers; h; h = h->next) wipe(h->data, strlen(h->data));
  curl_slist_free_all(c->headers);
  c->headers = NULL;
  linky_buffer_free(&c->body);
  free(c->base);
  c->base = NULL;
  if (c->token) wipe(c->token, c->token_len);
  free(c->token);
  c->token = NULL;
  c->token_len = 0;
  return 0;
}

linky_connection *linky_connection_check(lua_State *L) {
  linky_connection *c = luaL_checkudata(L, 1, LINKY_CONNECTION);
  if (c->curl == NULL) luaL_error(L, "attempt to use a closed " LINKY_CONNECTION);
  return c;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
  linky_connection *c = userdata;
  size_t n = size * nmemb;
  c->body_status = linky_buffer_append(&c->body, ptr, n);
  return c->body_status == LINKY_BUF_OK ? n : 0; /* 0 aborts the transfer */
}

/* Pushes a string option and returns it; it stays on the stack, since a string an __index
 * made is anchored nowhere else. A zero byte would cut it short and a line break in a header
 * value would start another header: both raise. */
static const char *opt_string(lua_State *L, const char *key, int required, int header) {
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

static double opt_number(lua_State *L, const char *key, double def) {
  double v = def;
  int t = lua_getfield(L, 1, key);
  if (t == LUA_TNUMBER) v = lua_tonumber(L, -1);
  else if (t != LUA_TNIL) luaL_error(L, "bad option '%s' (number expected, got %s)", key, luaL_typename(L, -1));
  lua_pop(L, 1);
  return v;
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
static void set_string(lua_State *L, linky_connection *c, CURLoption opt, const char *key,
                       const char *value) {
  CURLcode rc = curl_easy_setopt(c->curl, opt, value);
  if (rc == CURLE_OUT_OF_MEMORY) luaL_error(L, "not enough memory");
  if (rc != CURLE_OK) luaL_error(L, "bad option '%s' (%s)", key, curl_easy_strerror(rc));
}

/* Appends "<head><value>" to the header list; the temporary copy is wiped
 * because it may hold the token. Raises only after freeing it. */
static void append_header(lua_State *L, linky_connection *c, const char *head, const char *value) {
  size_t n = strlen(head) + strlen(value) + 1;
  char *line = malloc(n);
  struct curl_slist *grown = NULL;
  if (line != NULL) {
    snprintf(line, n, "%s%s", head, value);
    grown = curl_slist_append(c->headers, line);
    wipe(line, n);
    free(line);
  }
  if (grown == NULL) luaL_error(L, "not enough memory");
  c->headers = grown;
}

/* core.connect{ base_url, token, user_agent [, from, timeout, connect_timeout,
 *   cainfo, proxy, max_body, insecure] } -> connection */
int linky_connect(lua_State *L) {
  linky_connection *c;
  const char *base, *token, *agent, *from, *cainfo, *proxy;
  double timeout, connect_timeout, max_body;
  size_t base_len;
  luaL_checktype(L, 1, LUA_TTABLE);
  base = opt_string(L, "base_url", 1, 0);                /* the strings stay on the stack */
  token = opt_string(L, "token", 1, 1);
  agent = opt_string(L, "user_agent", 1, 1);
  from = opt_string(L, "from", 0, 1);
  cainfo = opt_string(L, "cainfo", 0, 0);
  proxy = opt_string(L, "proxy", 0, 0);
  timeout = opt_number(L, "timeout", 30);
  connect_timeout = opt_number(L, "connect_timeout", 10);
  max_body = opt_number(L, "max_body", 32.0 * 1024 * 1024);
  lua_getfield(L, 1, "insecure");
  if (!(timeout > 0 && connect_timeout > 0 && max_body >= 1))
    luaL_error(L, "bad option values (timeouts and max_body must be positive)");

  c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, LINKY_CONNECTION);
  c->body.limit = max_body >= (double)((size_t)-1) ? (size_t)-1 : (size_t)max_body;
  base_len = strlen(base);
  c->base = malloc(base_len + 2);
  if (c->base == NULL) return luaL_error(L, "not enough memory");
  memcpy(c->base, base, base_len);
  if (base_len == 0 || base[base_len - 1] != '/') c->base[base_len++] = '/';
  c->base[base_len] = '\0';
  c->token_len = strlen(token);
  c->token = malloc(c->token_len + 1);
  if (c->token == NULL) return luaL_error(L, "not enough memory");
  memcpy(c->token, token, c->token_len + 1);

  c->curl = curl_easy_init();
  if (c->curl == NULL) return luaL_error(L, "curl_easy_init failed");
  open_handles++;
  append_header(L, c, "Authorization: Bearer ", token);
  append_header(L, c, "Accept: ", "application/json");
  if (from) append_header(L, c, "From: ", from);

  curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
  set_string(L, c, CURLOPT_USERAGENT, "user_agent", agent);
  curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
  curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, to_ms(timeout));
  curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, to_ms(connect_timeout));
  curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl decodes */
  curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  if (lua_toboolean(L, -2)) { /* insecure: an explicit choice the Lua side warns about */
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
  }
  if (cainfo) set_string(L, c, CURLOPT_CAINFO, "cainfo", cainfo);
  if (proxy) set_string(L, c, CURLOPT_PROXY, "proxy", proxy);
  return 1;
}

/* connection:get(path_and_query) -> status, body, content_type | nil, kind, message [, unsent]
 * Body, content type and message come with the token redacted. `unsent` is true when the
 * failure happened before any byte of the request left (no name, no connection): the
 * service never saw it. */
static int connection_get(lua_State *L) {
  int n = linky_connection_prepare(L);
  linky_connection *c = lua_touserdata(L, 1);
  if (n > 0) return n;
  return linky_connection_outcome(L, c, curl_easy_perform(c->curl));
}

/* Sets the URL of the next request and empties the body: 0, or the count of what it pushed
 * (nil, "invalid_argument", message). Shared by get and start. */
int linky_connection_prepare(lua_State *L) {
  linky_connection *c = linky_connection_check(L);
  size_t len;
  const char *path = luaL_checklstring(L, 2, &len);
  CURLcode rc;
  if (c->active) luaL_error(L, "a transfer of this " LINKY_CONNECTION " is in progress");
  luaL_argcheck(L, strlen(path) == len, 2, "path holds a zero byte");
  lua_pushstring(L, c->base);
  lua_pushvalue(L, 2);
  lua_concat(L, 2);
  rc = curl_easy_setopt(c->curl, CURLOPT_URL, lua_tostring(L, -1)); /* libcurl copies it */
  lua_pop(L, 1);
  if (rc == CURLE_OUT_OF_MEMORY) return luaL_error(L, "not enough memory");
  if (rc != CURLE_OK) { /* over 8 MB: the previous URL must not be asked again */
    lua_pushnil(L);
    lua_pushliteral(L, "invalid_argument");
    lua_pushfstring(L, "URL refused: %s", curl_easy_strerror(rc));
    return 3;
  }
  linky_buffer_reset(&c->body);
  c->body_status = LINKY_BUF_OK;
  c->errbuf[0] = '\0';
  return 0;
}

/* What get and finish return once libcurl has ended a transfer with rc. */
int linky_connection_outcome(lua_State *L, linky_connection *c, CURLcode rc) {
  long status = 0, connects = 0, sent = -1;
  char *ctype = NULL;
  c->requests++;
  if (curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
    c->connects += connects;
  if (rc != CURLE_OK) {
    const char *kind = linky_curl_kind(rc);
    if (c->body_status == LINKY_BUF_TOO_LARGE) {
      char limit[32];
      snprintf(limit, sizeof limit, "%llu", (unsigned long long)c->body.limit);
      lua_pushnil(L);
      lua_pushliteral(L, "invalid_response");
      lua_pushfstring(L, "response body larger than max_body (%s bytes)", limit);
    } else if (c->body_status == LINKY_BUF_NOMEM || kind == NULL) {
      linky_buffer_reset(&c->body);
      return luaL_error(L, "not enough memory");
    } else {
      const char *msg = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
      linky_buffer_reset(&c->body);
      lua_pushnil(L);
      lua_pushstring(L, kind);
      linky_push_redacted(L, c->token, c->token_len, msg, strlen(msg));
      if ((rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_COULDNT_CONNECT)
          && curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK && sent == 0) {
        lua_pushboolean(L, 1);
        return 4;
      }
      return 3;
    }
    linky_buffer_reset(&c->body);
    return 3;
  }
  curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ctype);
  c->body.len = linky_redact(c->token, c->token_len, c->body.data, c->body.len); /* before anything decodes or keeps it */
  lua_pushinteger(L, status);
  lua_pushlstring(L, c->body.data ? c->body.data : "", c->body.len);
  linky_buffer_reset(&c->body);
  if (ctype) linky_push_redacted(L, c->token, c->token_len, ctype, strlen(ctype)); else lua_pushnil(L);
  return 3;
}

/* connection:stats() -> { requests =, connects = } */
static int connection_stats(lua_State *L) {
  linky_connection *c = linky_connection_check(L);
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, c->requests);
  lua_setfield(L, -2, "requests");
  lua_pushinteger(L, c->connects);
  lua_setfield(L, -2, "connects");
  return 1;
}

/* core.open_connections() -> how many connections are open (not yet closed or collected) */
int linky_open_connections(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)open_handles);
  return 1;
}

static int connection_tostring(lua_State *L) {
  linky_connection *c = luaL_checkudata(L, 1, LINKY_CONNECTION);
  return linky_push_tostring(L, LINKY_CONNECTION, c->curl ? (void *)c : NULL);
}

void linky_connection_createmeta(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"get", connection_get},
    {"start", linky_transfer_start},
    {"perform", linky_transfer_perform},
    {"finish", linky_transfer_finish},
    {"cancel", linky_transfer_cancel},
    {"stats", connection_stats},
    {"close", connection_close},
    {NULL, NULL}
  };
  static const luaL_Reg metamethods[] = {
    {"__gc", connection_close},
    {"__close", connection_close},
    {"__tostring", connection_tostring},
    {NULL, NULL}
  };
  linky_createmeta(L, LINKY_CONNECTION, metamethods, methods);
}