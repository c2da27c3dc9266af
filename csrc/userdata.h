/* userdata.h: what the userdata types of linky.core (Connection, State) share. */
#ifndef LINKY_USERDATA_H
#define LINKY_USERDATA_H

#include <lauxlib.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* Builds the metatable `name`: the metamethods, and the methods as `__index`.
 * Leaves nothing on the stack. */
void linky_createmeta(lua_State *L, const char *name, const luaL_Reg *metamethods, const luaL_Reg *methods);

/* __tostring of an object that may be closed: "<name>: closed" or "<name>: <address>". */
int linky_push_tostring(lua_State *L, const char *name, const void *open);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
