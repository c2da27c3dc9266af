/* connection.c: the linky.Connection userdata (options, headers, one reused libcurl easy handle)
 * and its blocking get; it owns every C resource, so a raise at any point leaks nothing. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <lauxlib.h>

#include "buffer.h"
#include "compat.h"
#include "connection.h"
#include "easy.h"
#include "redact.h"
#include "userdata.h"

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
  for (h = c->headers; h; h = h->next) linky_wipe(h->data, strlen(h->data));
  curl_slist_free_all(c->headers);
  c->headers = NULL;
  linky_buffer_free(&c->body);
  free(c->base);
  c->base = NULL;
  if (c->token) linky_wipe(c->token, c->token_len);
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

/* core.connect{ base_url, token, user_agent [, from, timeout, connect_timeout,
 *   cainfo, proxy, max_body, insecure] } -> connection */
int linky_connect(lua_State *L) {
  linky_connection *c;
  linky_easy_options o;
  const char *base, *token, *from;
  size_t base_len;
  luaL_checktype(L, 1, LUA_TTABLE);
  base = linky_opt_string(L, "base_url", 1, 0);          /* the strings stay on the stack */
  token = linky_opt_string(L, "token", 1, 1);
  from = linky_opt_string(L, "from", 0, 1);
  linky_easy_read_options(L, &o, 1);

  c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, LINKY_CONNECTION);
  c->body.limit = linky_easy_limit(o.max_body);
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
  linky_append_header(L, &c->headers, "Authorization: Bearer ", token);
  linky_append_header(L, &c->headers, "Accept: ", "application/json");
  if (from) linky_append_header(L, &c->headers, "From: ", from);
  curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
  linky_easy_setup(L, c->curl, c->errbuf, &o, &c->body);
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
  c->errbuf[0] = '\0';
  return 0;
}

/* What get and finish return once libcurl has ended a transfer with rc. */
int linky_connection_outcome(lua_State *L, linky_connection *c, CURLcode rc) {
  long status = 0, connects = 0;
  char *ctype = NULL;
  c->requests++;
  if (curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
    c->connects += connects;
  if (rc != CURLE_OK) {
    linky_secret token;
    token.data = c->token;
    token.len = c->token_len;
    return linky_easy_failure(L, c->curl, rc, &c->body, c->errbuf, &token, 1);
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