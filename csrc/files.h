/* files.h: filesystem helpers for the files linky writes (state, config): private modes. */
#ifndef LINKY_FILES_H
#define LINKY_FILES_H

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* core.mkdirs(path) -> true | nil, message: creates the missing folders of path's parent
 * (mode 0700), like mkdir -p; existing folders are left as they are. */
int linky_mkdirs(lua_State *L);

/* core.create_private(path) -> true | nil, message: creates path empty with mode 0600 if it
 * is missing; never truncates an existing file, refuses a symbolic link. */
int linky_create_private(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
