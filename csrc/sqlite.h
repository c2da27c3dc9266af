/* sqlite.h: the linky.SQLite userdata, one SQLite connection to the state file. */
#ifndef LINKY_SQLITE_H
#define LINKY_SQLITE_H

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

#define LINKY_SQLITE "linky.SQLite"

/* Builds the metatable; leaves nothing on the stack. */
void linky_sqlite_createmeta(lua_State *L);

/* core.open_sqlite(path, busy_ms) -> db | nil, message, code */
int linky_open_sqlite(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
