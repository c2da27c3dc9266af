/* connection.h: the linky.Connection userdata, one reused libcurl easy handle;
 * what connection.c (options, blocking get) and transfer.c (non-blocking transfer) share. */
#ifndef LINKY_CONNECTION_H
#define LINKY_CONNECTION_H

#include <curl/curl.h>
#include <lua.h>

#include "buffer.h"

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

#define LINKY_CONNECTION "linky.Connection"

/* A socket libcurl asked to watch (CURLMOPT_SOCKETFUNCTION), with what: CURL_POLL_IN/OUT/INOUT. */
typedef struct {
  curl_socket_t fd;
  int what;
} linky_watch;

typedef struct {
  CURL *curl;                  /* NULL once closed */
  struct curl_slist *headers;  /* holds the Authorization header */
  linky_buffer body;
  char *base;                  /* base URL, ending in "/" */
  char *token;                 /* copy of the token, to redact what the server echoes */
  size_t token_len;
  long requests;
  long connects;               /* new TCP connections libcurl opened */
  char errbuf[CURL_ERROR_SIZE];
  CURLM *multi;                /* the non-blocking transfer's multi handle, made on first start */
  int active;                  /* curl is in multi: a transfer started and not finished */
  int done;                    /* that transfer ended with `result` */
  CURLcode result;
  linky_watch *watch;          /* the sockets libcurl asks to watch now, `nwatch` of `capwatch` */
  size_t nwatch, capwatch;
  curl_socket_t *gone;         /* sockets it stopped watching since perform last said so */
  size_t ngone, capgone;
  int nomem;                   /* a socket callback ran out of memory: the transfer ends */
  double timer_at;             /* libcurl's timer: its CLOCK_MONOTONIC deadline in s, < 0 none */
  long timer_serial;           /* counts libcurl's timer requests, so a driver re-arms on change */
} linky_connection;

/* Builds the metatable; leaves nothing on the stack. */
void linky_connection_createmeta(lua_State *L);

/* core.connect(opts) -> connection */
int linky_connect(lua_State *L);

/* core.open_connections() -> count */
int linky_open_connections(lua_State *L);

/* The open connection at index 1; raises on another value or a closed one. */
linky_connection *linky_connection_check(lua_State *L);

/* Sets the URL of the next request (argument 2) and empties the body: 0, or the count of what
 * it pushed (nil, "invalid_argument", message). Shared by get and start. */
int linky_connection_prepare(lua_State *L);

/* What get and finish return once libcurl has ended a transfer with rc. */
int linky_connection_outcome(lua_State *L, linky_connection *c, CURLcode rc);

/* The non-blocking transfer (transfer.c): connection:start, perform, finish, cancel, on
 * libcurl's socket interface (curl_multi_socket_action): no fd_set, so any descriptor number. */
int linky_transfer_start(lua_State *L);
int linky_transfer_perform(lua_State *L);
int linky_transfer_finish(lua_State *L);
int linky_transfer_cancel(lua_State *L);

/* Takes the easy handle out of a transfer in progress and frees the multi handle and the
 * watched sockets' lists; never raises.
 * For close, before the easy handle is freed. */
void linky_transfer_release(linky_connection *c);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
