/* store.h: the linky.State userdata, one SQLite connection to the state file. */
#ifndef LINKY_STORE_H
#define LINKY_STORE_H

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

#define LINKY_STATE "linky.State"

/* Builds the metatable; leaves nothing on the stack. */
void linky_state_createmeta(lua_State *L);

/* core.open_state(path, busy_ms) -> state | nil, message, code */
int linky_open_state(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
