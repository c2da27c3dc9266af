/* core.c: the linky.core module entry and its small pure functions
 * (calendar and token helpers the Lua side calls).
 *
 * Failures, in every function and method of linky.core: a programmer's mistake (a wrong
 * argument type, a closed object) raises, with the argument's number; a run-time failure
 * returns nil, kind, message (linky_fail), plus a fourth value where one helps (SQLite's
 * extended result code; connection:get's `unsent`). A lookup that finds nothing (day_number,
 * to_epoch, duration, base64url_decode, boottime, file_type of a missing path) returns nil or
 * nothing: no failure. The kinds are linky.errors' where they fit:
 *   "state_unavailable"  SQLite (core.open_sqlite, db:exec, db:rows, db:run_many, db:copy_into)
 *   "invalid_response"   a body refused (core.decode, core.json_shape_ok), a body over max_body
 *   "invalid_argument"   a URL libcurl refuses; a path holding a zero byte (the files functions)
 *   "network", "timeout", "tls"  a transfer (connection:get, connection:finish)
 *   "system"             a system call (core.mkdirs, create_private, create_temp, file_type,
 *                        set_echo, random_bytes): the Lua caller says what it means (the state
 *                        file's: state_unavailable; an output file's: the command's exit 8)
 * The message never holds the token (connection.c redacts it). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <lauxlib.h>

#include "base64url.h"
#include "calendar.h"
#include "compat.h"
#include "connection.h"
#include "files.h"
#include "http_client.h"
#include "json_bounds.h"
#include "normalise.h"
#include "random.h"
#include "sqlite.h"
#include "terminal.h"
#include "transport_errors.h"

/* The version is written in lua/linky/version.lua alone: the Makefile passes it as
 * -DLINKY_VERSION="x.y.z", a rockspec as its own version. */
#ifndef LINKY_VERSION
#error "LINKY_VERSION is not defined: build with make (it reads lua/linky/version.lua)"
#endif

/* core.day_number("YYYY-MM-DD") -> days since 1970-01-01 | nil */
static int core_day_number(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  linky_stamp st;
  if (!linky_parse_stamp(s, len, &st) || st.has_time) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, (lua_Integer)(st.local / 86400));
  return 1;
}

/* core.date_of_day(days) -> "YYYY-MM-DD" */
static int core_date_of_day(lua_State *L) {
  lua_Integer days = luaL_checkinteger(L, 1);
  int64_t y;
  int m, d;
  char out[32];
  luaL_argcheck(L, days > -1000000000 && days < 1000000000, 1, "day out of range");
  linky_civil_from_days((int64_t)days, &y, &m, &d);
  if (y >= 0 && y <= 9999) { /* the usual years by hand: snprintf costs more than the rest of a call */
    int i, v = (int)y;
    for (i = 3; i >= 0; i--, v /= 10) out[i] = (char)('0' + v % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    lua_pushlstring(L, out, 10);
    return 1;
  }
  snprintf(out, sizeof out, "%04lld-%02d-%02d", (long long)y, m, d);
  lua_pushstring(L, out);
  return 1;
}

/* core.paris_day(epoch) -> day number of the Europe/Paris date at that instant */
static int core_paris_day(lua_State *L) {
  lua_Number t = luaL_checknumber(L, 1);
  int64_t utc, local;
  luaL_argcheck(L, t > -1e12 && t < 1e12, 1, "time out of range");
  utc = (int64_t)t;
  if ((lua_Number)utc > t) utc--; /* floor for negative fractions */
  local = utc + linky_paris_offset(utc);
  lua_pushinteger(L, (lua_Integer)(local >= 0 ? local / 86400 : -((-local + 86399) / 86400)));
  return 1;
}

/* core.paris_offset(epoch) -> UTC offset of Europe/Paris at that instant, seconds (3600 or 7200) */
static int core_paris_offset(lua_State *L) {
  lua_Number t = luaL_checknumber(L, 1);
  int64_t utc;
  luaL_argcheck(L, t > -1e12 && t < 1e12, 1, "time out of range");
  utc = (int64_t)t;
  if ((lua_Number)utc > t) utc--;
  lua_pushinteger(L, (lua_Integer)linky_paris_offset(utc));
  return 1;
}

/* core.to_epoch(stamp) -> epoch seconds (Paris time unless an offset is written) | nil */
static int core_to_epoch(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  linky_stamp st;
  if (!linky_parse_stamp(s, len, &st)) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, (lua_Integer)linky_stamp_to_utc(&st, 0, 0));
  return 1;
}

/* core.duration("PT30M") -> seconds | nil */
static int core_duration(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  int64_t v = linky_parse_duration(s, len);
  if (v < 0) lua_pushnil(L);
  else lua_pushinteger(L, (lua_Integer)v);
  return 1;
}

/* core.base64url_decode(s) -> bytes | nil */
static int core_base64url_decode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  /* scratch owned by Lua: a raise on the way leaks nothing */
  unsigned char *out = (unsigned char *)lua_newuserdatauv(L, (len / 4 + 1) * 3, 0);
  long n = linky_base64url_decode(s, len, out);
  if (n < 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushlstring(L, (const char *)out, (size_t)n);
  return 1;
}

/* core.json_shape_ok(body) -> true | nil, "invalid_response", message: the bound core.decode
 * puts on arrays and objects before decoding, for the other bodies linky hands to lua-cjson */
static int core_json_shape_ok(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  char msg[128];
  if (!linky_json_shape_ok(s, len, msg, sizeof msg)) {
    lua_pushstring(L, msg);
    return linky_fail(L, "invalid_response");
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* core.now() -> epoch seconds with sub-second precision (the default clock) */
static int core_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

/* core.boottime() -> seconds since boot, suspend included | nil: the ledger's witness of
 * real time, which no change of the wall clock moves */
static int core_boottime(lua_State *L) {
  struct timespec ts;
#ifdef CLOCK_BOOTTIME
  if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
#endif
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
      lua_pushnil(L);
      return 1;
    }
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

/* core.sleep(seconds): the default sleep, resumed after signals */
static int core_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  struct timespec ts;
  if (!(s > 0)) return 0;
  if (s > 1e6) s = 1e6;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (lua_Number)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
  return 0;
}

static void load_json_decoder(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "cjson.safe");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "new"); /* a private instance: the user's cjson settings don't apply */
  lua_call(L, 0, 1);
  lua_getfield(L, -1, "decode");
  lua_replace(L, -3);
  lua_pop(L, 1);
}

int luaopen_linky_core(lua_State *L) {
  static int curl_ready = 0;
  static const luaL_Reg functions[] = {
    {"connect", linky_connect},
    {"open_connections", linky_open_connections},
    {"http_client", linky_http_client},
    {"open_http_clients", linky_open_http_clients},
    {"open_sqlite", linky_open_sqlite},
    {"mkdirs", linky_mkdirs},
    {"create_private", linky_create_private},
    {"create_temp", linky_create_temp},
    {"file_type", linky_file_type},
    {"isatty", linky_isatty},
    {"set_echo", linky_set_echo},
    {"decode", linky_decode},
    {"json_decode", linky_json_decode},
    {"day_number", core_day_number},
    {"date_of_day", core_date_of_day},
    {"paris_day", core_paris_day},
    {"paris_offset", core_paris_offset},
    {"to_epoch", core_to_epoch},
    {"duration", core_duration},
    {"base64url_decode", core_base64url_decode},
    {"json_shape_ok", core_json_shape_ok},
    {"now", core_now},
    {"boottime", core_boottime},
    {"sleep", core_sleep},
    {NULL, NULL}
  };
  /* libcurl's global state is set up once and never torn down: other modules
   * in the same process may still use it. */
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return luaL_error(L, "curl_global_init failed");
    curl_ready = 1;
  }
  linky_connection_createmeta(L);
  linky_http_client_createmeta(L);
  linky_sqlite_createmeta(L);
  luaL_newlibtable(L, functions);
  load_json_decoder(L);
  luaL_setfuncs(L, functions, 1);
  linky_random_register(L);
  lua_pushliteral(L, LINKY_VERSION);
  lua_setfield(L, -2, "_VERSION");
  /* curl_version_info, not curl_version(): the latter initialises libldap,
   * which leaks a one-time allocation that valgrind reports */
  lua_pushstring(L, curl_version_info(CURLVERSION_NOW)->version);
  lua_setfield(L, -2, "curl_version");
  return 1;
}
