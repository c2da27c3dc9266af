/* embed.c: linky_openlibs, the preloader for hosts that link build/liblinky.a.
 * Lua sources are compiled in, so a host needs no .lua or .so file at run time. */
#include <lauxlib.h>

#include "compat.h"
#include "embedded.h"
#include "linky.h"

int luaopen_cjson(lua_State *L);
int luaopen_cjson_safe(lua_State *L);

/* package.preload loader for an embedded Lua module; upvalue 1 is its index. */
static int load_embedded(lua_State *L) {
  const linky_lua_module *m = &linky_lua_modules[lua_tointeger(L, lua_upvalueindex(1))];
  if (luaL_loadbufferx(L, m->source, m->size, m->name, "t") != LUA_OK) return lua_error(L);
  lua_pushstring(L, m->name);
  lua_call(L, 1, 1);
  return 1;
}

static int openlibs(lua_State *L) {
  lua_Integer i;
  /* package.preload, found the same way in every Lua version */
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
  if (lua_getfield(L, -1, "package") != LUA_TTABLE || lua_getfield(L, -1, "preload") != LUA_TTABLE)
    return luaL_error(L, "the package library is not loaded");
  lua_pushcfunction(L, luaopen_cjson);
  lua_setfield(L, -2, "cjson");
  lua_pushcfunction(L, luaopen_cjson_safe);
  lua_setfield(L, -2, "cjson.safe");
  lua_pushcfunction(L, luaopen_linky_core);
  lua_setfield(L, -2, "linky.core");
  for (i = 0; linky_lua_modules[i].name != NULL; i++) {
    lua_pushinteger(L, i);
    lua_pushcclosure(L, load_embedded, 1);
    lua_setfield(L, -2, linky_lua_modules[i].name);
  }
  return 0;
}

int linky_openlibs(lua_State *L) {
  lua_pushcfunction(L, openlibs);
  return lua_pcall(L, 0, 0, 0);
}
