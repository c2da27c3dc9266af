/* transfer.c: a connection's request without blocking, through libcurl's multi interface:
 * start, then perform until it ends, then finish (what get returns), or cancel. */
#include <sys/select.h>

#include <curl/curl.h>
#include <lauxlib.h>

#include "connection.h"

/* connection:start(path_and_query) -> true | nil, "invalid_argument", message
 * Starts the request without waiting: perform advances it, finish ends it. */
int linky_transfer_start(lua_State *L) {
  int n = linky_connection_prepare(L);
  linky_connection *c = lua_touserdata(L, 1);
  CURLMcode mc;
  if (n > 0) return n;
  if (c->multi == NULL && (c->multi = curl_multi_init()) == NULL)
    return luaL_error(L, "not enough memory");
  mc = curl_multi_add_handle(c->multi, c->curl);
  if (mc == CURLM_OUT_OF_MEMORY) return luaL_error(L, "not enough memory");
  if (mc != CURLM_OK) return luaL_error(L, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
  c->active = 1;
  c->done = 0;
  lua_pushboolean(L, 1);
  return 1;
}

/* connection:perform() -> true (ended: call finish) | false, fds, timeout
 * Advances the transfer without blocking. While it runs, fds maps each file descriptor to wait
 * on to "r", "w" or "rw", and timeout is the longest wait in seconds before calling again. */
int linky_transfer_perform(lua_State *L) {
  linky_connection *c = linky_connection_check(L);
  int running = 0, queued, maxfd = -1, fd;
  long ms = -1;
  CURLMsg *m;
  CURLMcode mc;
  fd_set rd, wr, ex;
  if (!c->active) return luaL_error(L, "no transfer of this " LINKY_CONNECTION " is in progress");
  if (!c->done) {
    mc = curl_multi_perform(c->multi, &running);
    while ((m = curl_multi_info_read(c->multi, &queued)) != NULL) {
      if (m->msg == CURLMSG_DONE && m->easy_handle == c->curl) {
        c->done = 1;
        c->result = m->data.result;
      }
    }
    if (!c->done && mc != CURLM_OK) { /* the multi handle itself failed: end the transfer */
      c->done = 1;
      c->result = mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_SEND_ERROR;
    }
  }
  if (c->done) {
    lua_pushboolean(L, 1);
    return 1;
  }
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_ZERO(&ex);
  curl_multi_fdset(c->multi, &rd, &wr, &ex, &maxfd);
  curl_multi_timeout(c->multi, &ms);
  /* no descriptor yet (a name being resolved): libcurl advises calling again within 100 ms */
  if (maxfd < 0 && (ms < 0 || ms > 100)) ms = 100;
  if (ms < 0) ms = 1000;
  lua_pushboolean(L, 0);
  lua_newtable(L);
  for (fd = 0; fd <= maxfd; fd++) {
    int r = FD_ISSET(fd, &rd), w = FD_ISSET(fd, &wr);
    if (!r && !w) continue;
    lua_pushstring(L, r && w ? "rw" : r ? "r" : "w");
    lua_rawseti(L, -2, fd);
  }
  lua_pushnumber(L, (double)ms / 1000);
  return 3;
}

/* Takes the easy handle out of the multi handle, ending the transfer in progress. */
static void detach(linky_connection *c) {
  curl_multi_remove_handle(c->multi, c->curl);
  c->active = 0;
  c->done = 0;
}

/* connection:finish() -> what get returns, once perform returned true */
int linky_transfer_finish(lua_State *L) {
  linky_connection *c = linky_connection_check(L);
  if (!c->active || !c->done) return luaL_error(L, "no ended transfer of this " LINKY_CONNECTION);
  detach(c);
  return linky_connection_outcome(L, c, c->result);
}

/* connection:cancel() -> nothing: abandons the transfer in progress, if any */
int linky_transfer_cancel(lua_State *L) {
  linky_connection *c = linky_connection_check(L);
  if (c->active) {
    detach(c);
    linky_buffer_reset(&c->body);
  }
  return 0;
}

void linky_transfer_release(linky_connection *c) {
  if (c->multi == NULL) return;
  if (c->active) curl_multi_remove_handle(c->multi, c->curl); /* before either is freed */
  c->active = 0;
  curl_multi_cleanup(c->multi);
  c->multi = NULL;
}
