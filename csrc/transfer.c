/* transfer.c: a connection's request without blocking, on libcurl's socket interface: start,
 * then perform (curl_multi_socket_action) until it ends, then finish (what get returns), or
 * cancel. libcurl names the sockets to watch and its timer through two callbacks; no fd_set, so
 * a descriptor numbered 1024 or more is watched like any other. */
#include <limits.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <lauxlib.h>

#include "clock.h"
#include "compat.h"
#include "connection.h"

/* With no timer from libcurl, the longest wait before perform is called again, in seconds. */
#define IDLE_WAIT 1.0

/* Records that libcurl stopped watching s (once), so that a driver forgets its watch even when
 * the same number comes back as another socket before perform returns. */
static void note_gone(linky_connection *c, curl_socket_t s) {
  size_t i;
  for (i = 0; i < c->ngone; i++)
    if (c->gone[i] == s) return;
  if (c->ngone == c->capgone) {
    size_t cap = c->capgone ? c->capgone * 2 : 4;
    curl_socket_t *p = realloc(c->gone, cap * sizeof *p);
    if (p == NULL) {
      c->nomem = 1;
      return;
    }
    c->gone = p;
    c->capgone = cap;
  }
  c->gone[c->ngone++] = s;
}

/* CURLMOPT_SOCKETFUNCTION: keeps the set of sockets to watch (pure C: no Lua inside). */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
  linky_connection *c = userp;
  size_t i;
  (void)easy;
  (void)socketp;
  for (i = 0; i < c->nwatch && c->watch[i].fd != s; i++) continue;
  if (what == CURL_POLL_REMOVE) { /* sent before libcurl closes the socket */
    if (i < c->nwatch) c->watch[i] = c->watch[--c->nwatch];
    note_gone(c, s);
    return 0;
  }
  if (i == c->nwatch) {
    if (c->nwatch == c->capwatch) {
      size_t cap = c->capwatch ? c->capwatch * 2 : 4;
      linky_watch *p = realloc(c->watch, cap * sizeof *p);
      if (p == NULL) {
        c->nomem = 1;
        return 0;
      }
      c->watch = p;
      c->capwatch = cap;
    }
    c->watch[c->nwatch++].fd = s;
  }
  c->watch[i].what = what;
  return 0;
}

/* CURLMOPT_TIMERFUNCTION: keeps the deadline libcurl asks for (-1: none). */
static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
  linky_connection *c = userp;
  (void)multi;
  c->timer_at = timeout_ms < 0 ? -1 : linky_monotonic() + (double)timeout_ms / 1000;
  c->timer_serial++;
  return 0;
}

/* connection:start(path_and_query) -> true | nil, "invalid_argument", message
 * Starts the request without waiting: perform advances it, finish ends it. */
int linky_transfer_start(lua_State *L) {
  int n = linky_connection_prepare(L);
  linky_connection *c = lua_touserdata(L, 1);
  CURLMcode mc;
  if (n > 0) return n;
  if (c->multi == NULL) {
    if ((c->multi = curl_multi_init()) == NULL) return luaL_error(L, "not enough memory");
    c->timer_at = -1;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
  }
  c->nomem = 0;
  mc = curl_multi_add_handle(c->multi, c->curl);
  if (mc == CURLM_OUT_OF_MEMORY) return luaL_error(L, "not enough memory");
  if (mc != CURLM_OK) return luaL_error(L, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
  c->active = 1;
  c->done = 0;
  lua_pushboolean(L, 1);
  return 1;
}

/* Events as curl_multi_socket_action takes them, from "r", "w", "e" (error) in any mix; "":
 * unknown, libcurl tests the socket itself. */
static int events_of(lua_State *L, int arg) {
  const char *e = luaL_optstring(L, arg, "");
  int ev = 0;
  for (; *e; e++) {
    if (*e == 'r') ev |= CURL_CSELECT_IN;
    else if (*e == 'w') ev |= CURL_CSELECT_OUT;
    else if (*e == 'e') ev |= CURL_CSELECT_ERR;
    else luaL_argerror(L, arg, "events are made of \"r\", \"w\" and \"e\"");
  }
  return ev;
}

/* Drives libcurl: on the socket that fired when the driver knows it (then on the timer if it
 * expired), else on every watched socket with unknown events (CURL_SOCKET_TIMEOUT alone runs only
 * the transfers whose timer expired; it never looks at the sockets) and on the timer. */
static CURLMcode drive(linky_connection *c, int known, curl_socket_t fd, int ev) {
  CURLMcode mc = CURLM_OK;
  int running;
  size_t i;
  if (known) {
    mc = curl_multi_socket_action(c->multi, fd, ev, &running);
    if (mc != CURLM_OK || c->timer_at < 0 || c->timer_at > linky_monotonic()) return mc;
  } else {
    /* the callbacks may change the set meanwhile: a socket skipped is still watched, and a
     * level-triggered wait on it returns at once */
    for (i = 0; mc == CURLM_OK && i < c->nwatch; i++)
      mc = curl_multi_socket_action(c->multi, c->watch[i].fd, 0, &running);
    if (mc != CURLM_OK) return mc;
  }
  return curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
}

/* connection:perform([fd, events]) -> true (ended: call finish) | false, fds, timeout, gone, timer
 * Advances the transfer without blocking; fd and events ("r", "w", "e" in any mix) say which
 * watched descriptor became ready and how, when the caller knows. While it runs, fds maps each
 * descriptor libcurl watches to "r", "w" or "rw", timeout is the longest wait in seconds before
 * calling again, gone holds (as keys) the descriptors libcurl stopped watching since perform last
 * returned (a watch on one must be dropped, even if the same number is in fds: it may be a new
 * socket), and timer changes each time libcurl asks for a new deadline. */
int linky_transfer_perform(lua_State *L) {
  linky_connection *c = linky_connection_check(L);
  int known = !lua_isnoneornil(L, 2), ev = 0, queued;
  curl_socket_t fd = CURL_SOCKET_TIMEOUT;
  double left;
  size_t i;
  CURLMsg *m;
  CURLMcode mc;
  if (known) {
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n >= 0 && n <= INT_MAX, 2, "not a file descriptor");
    fd = (curl_socket_t)n;
    ev = events_of(L, 3);
  }
  if (!c->active) return luaL_error(L, "no transfer of this " LINKY_CONNECTION " is in progress");
  if (!c->done) {
    mc = drive(c, known, fd, ev);
    while ((m = curl_multi_info_read(c->multi, &queued)) != NULL) {
      if (m->msg == CURLMSG_DONE && m->easy_handle == c->curl) {
        c->done = 1;
        c->result = m->data.result;
      }
    }
    if (!c->done && c->nomem) { /* a callback could not keep the set of sockets */
      c->done = 1;
      c->result = CURLE_OUT_OF_MEMORY;
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
  lua_pushboolean(L, 0);
  lua_createtable(L, 0, (int)c->nwatch);
  for (i = 0; i < c->nwatch; i++) {
    int what = c->watch[i].what;
    if (what != CURL_POLL_IN && what != CURL_POLL_OUT && what != CURL_POLL_INOUT) continue;
    lua_pushstring(L, what == CURL_POLL_INOUT ? "rw" : what == CURL_POLL_IN ? "r" : "w");
    lua_rawseti(L, -2, c->watch[i].fd);
  }
  left = c->timer_at < 0 ? IDLE_WAIT : c->timer_at - linky_monotonic();
  lua_pushnumber(L, left < 0 ? 0 : left);
  lua_createtable(L, 0, (int)c->ngone);
  for (i = 0; i < c->ngone; i++) {
    lua_pushboolean(L, 1);
    lua_rawseti(L, -2, c->gone[i]);
  }
  c->ngone = 0; /* told */
  lua_pushinteger(L, (lua_Integer)c->timer_serial);
  return 5;
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
  if (c->multi != NULL) {
    /* nothing is told once released: no callback writes into c from here on */
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, NULL);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, NULL);
    if (c->active) curl_multi_remove_handle(c->multi, c->curl); /* before either is freed */
    c->active = 0;
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
  }
  free(c->watch);
  c->watch = NULL;
  c->nwatch = c->capwatch = 0;
  free(c->gone);
  c->gone = NULL;
  c->ngone = c->capgone = 0;
}
