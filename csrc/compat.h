/* compat.h: the Lua 5.4 C API linky uses, for Lua 5.1, 5.2, 5.3 and LuaJIT 2.1, in the spirit of
 * lua-compat-5.3; the one file that tests the Lua version. Include it after the Lua headers. */
#ifndef LINKY_COMPAT_H
#define LINKY_COMPAT_H

#include <math.h>
#include <stdio.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#if LUA_VERSION_NUM >= 503
/* The largest integer linky hands to Lua: lua_Integer's (int64), whose negative side holds one
 * more. */
#define LINKY_INTEGER_MAX 9223372036854775807ULL
#define LINKY_INTEGER_NEG_EXTRA 1ULL
#define LINKY_INTEGER_RANGE "in the 64-bit range"
#else
/* Before 5.3 every number is a double: an integer is exact below 2^53 in magnitude, so a larger
 * one is refused rather than rounded. */
#define LINKY_INTEGER_MAX 9007199254740991ULL
#define LINKY_INTEGER_NEG_EXTRA 0ULL
#define LINKY_INTEGER_RANGE "below 2^53 in magnitude"
#endif

#if LUA_VERSION_NUM < 504
/* userdata before 5.4 have one user value (an environment in 5.1), which linky never uses */
#define lua_newuserdatauv(L, size, nuv) ((void)(nuv), lua_newuserdata((L), (size)))
#endif

#if LUA_VERSION_NUM < 503
/* 5.3 made these return the type of the value they push. */
#define lua_getfield(L, i, k) (lua_getfield((L), (i), (k)), lua_type((L), -1))
#define lua_rawget(L, i) (lua_rawget((L), (i)), lua_type((L), -1))
#define lua_rawgeti(L, i, n) (lua_rawgeti((L), (i), (int)(n)), lua_type((L), -1))
#define lua_rawseti(L, i, n) lua_rawseti((L), (i), (int)(n)) /* an int before 5.3 */

/* An integer is a number with an integral value below 2^53 in magnitude (as in linky.compat). */
static inline int linky_integral(lua_Number n) {
  return n == floor(n) && n > -9007199254740992.0 && n < 9007199254740992.0;
}

static inline int linky_isinteger(lua_State *L, int idx) {
  return lua_type(L, idx) == LUA_TNUMBER && linky_integral(lua_tonumber(L, idx));
}
#define lua_isinteger(L, idx) linky_isinteger((L), (idx))

/* As in 5.3: a number without an integer value raises instead of being truncated. */
static inline lua_Integer linky_checkinteger(lua_State *L, int arg) {
  lua_Number n = luaL_checknumber(L, arg);
  if (!linky_integral(n)) luaL_argerror(L, arg, "number has no integer representation");
  return (lua_Integer)n;
}
#define luaL_checkinteger(L, arg) linky_checkinteger((L), (arg))
#define luaL_optinteger(L, arg, def) (lua_isnoneornil((L), (arg)) ? (lua_Integer)(def) : linky_checkinteger((L), (arg)))
#endif

#if LUA_VERSION_NUM < 502
#ifndef LUA_OK
#define LUA_OK 0
#endif
#define lua_rawlen(L, i) lua_objlen((L), (i))
#ifndef luaL_newlibtable
#define luaL_newlibtable(L, l) lua_createtable((L), 0, (int)(sizeof(l) / sizeof((l)[0]) - 1))
#endif

static inline void linky_setmetatable(lua_State *L, const char *name) {
  luaL_getmetatable(L, name);
  lua_setmetatable(L, -2);
}
#define luaL_setmetatable(L, name) linky_setmetatable((L), (name))

static inline void linky_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  luaL_checkstack(L, nup + 1, "too many upvalues");
  for (; l->name != NULL; l++) {
    int i;
    for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}
#define luaL_setfuncs(L, l, nup) linky_setfuncs((L), (l), (nup))
#endif

/* io library file handles made in C: linky_newfile pushes a closed one (or returns 0 and pushes
 * a message), linky_setfile opens the one at idx on f, linky_tofile is its FILE * slot. */
#if LUA_VERSION_NUM >= 502
/* Closing runs closef (luaL_Stream), so the file can be synced on close. */
#define LINKY_FILE_CLOSEF 1

static inline int linky_newfile(lua_State *L) {
  luaL_Stream *p;
  luaL_getmetatable(L, LUA_FILEHANDLE);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushliteral(L, "the io library is not loaded");
    return 0;
  }
  lua_pop(L, 1);
  p = (luaL_Stream *)lua_newuserdatauv(L, sizeof(luaL_Stream), 0);
  p->f = NULL;
  p->closef = NULL; /* a closed file */
  luaL_setmetatable(L, LUA_FILEHANDLE);
  return 1;
}

static inline void linky_setfile(lua_State *L, int idx, FILE *f, lua_CFunction closef) {
  luaL_Stream *p = (luaL_Stream *)lua_touserdata(L, idx);
  p->f = f;
  p->closef = closef;
}

#define linky_tofile(L, idx) (&((luaL_Stream *)luaL_checkudata((L), (idx), LUA_FILEHANDLE))->f)
#else
/* Only the io library makes a handle (LuaJIT checks a type tag of its own): one is opened on
 * /dev/null and its FILE * taken over (the first field of the handle in 5.1 and LuaJIT alike);
 * the io library's fclose closes it, so closef is not called (files.c opens with O_DSYNC). */
#define LINKY_FILE_CLOSEF 0

static inline int linky_newfile(lua_State *L) {
  FILE **slot;
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
  if (lua_getfield(L, -1, "io") != LUA_TTABLE || lua_getfield(L, -1, "open") != LUA_TFUNCTION) {
    lua_pop(L, 3);
    lua_pushliteral(L, "the io library is not loaded");
    return 0;
  }
  lua_replace(L, -3);
  lua_pop(L, 1);
  lua_pushliteral(L, "/dev/null");
  lua_pushliteral(L, "wb");
  lua_call(L, 2, 2);
  if (lua_isnil(L, -2)) {
    lua_remove(L, -2);
    return 0;
  }
  lua_pop(L, 1);
  slot = (FILE **)lua_touserdata(L, -1);
  if (slot == NULL || *slot == NULL) {
    lua_pop(L, 1);
    lua_pushliteral(L, "io.open returned no file");
    return 0;
  }
  fclose(*slot);
  *slot = NULL; /* a closed file */
  return 1;
}

static inline void linky_setfile(lua_State *L, int idx, FILE *f, lua_CFunction closef) {
  (void)closef;
  *(FILE **)lua_touserdata(L, idx) = f;
}

#define linky_tofile(L, idx) ((FILE **)luaL_checkudata((L), (idx), LUA_FILEHANDLE))
#endif

#endif
