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

/* core.open_sqlite(path [, busy_ms [, readonly]]) -> db, unlocked
 *   | nil, "state_unavailable", message, code: path
 * (":memory:" for a private database, unless readonly) must be a regular file or missing (then
 * created, unless readonly); readonly opens it with SQLite's mode=ro, else immutable=1
 * (unlocked true) when a WAL file's -shm is missing and cannot be made. */
int linky_open_sqlite(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
