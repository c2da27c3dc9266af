/* connection.h: the linky.Connection userdata, one reused libcurl easy handle. */
#ifndef LINKY_CONNECTION_H
#define LINKY_CONNECTION_H

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

#define LINKY_CONNECTION "linky.Connection"

/* Builds the metatable; leaves nothing on the stack. */
void linky_connection_createmeta(lua_State *L);

/* core.connect(opts) -> connection */
int linky_connect(lua_State *L);

/* core.open_connections() -> count */
int linky_open_connections(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
