/* files.h: filesystem helpers for the files linky writes (state, config, --output): private
 * modes, new temporary files. */
#ifndef LINKY_FILES_H
#define LINKY_FILES_H

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* core.mkdirs(path [, mode]) -> true | nil, kind, message: creates the missing folders of path's
 * parent (mode 0700, or mode as the umask leaves it), like mkdir -p; existing folders are left
 * as they are. */
int linky_mkdirs(lua_State *L);

/* core.create_private(path) -> true | nil, kind, message: creates path empty with mode 0600 if it
 * is missing; never opens an existing file; refuses one that is not a regular file (a symbolic
 * link, a folder, a FIFO, a device, a socket). */
int linky_create_private(lua_State *L);

/* When something that is not a regular file is at path (a folder, a FIFO, a device, a socket, a
 * symbolic link), pushes a message naming it and returns 1; else pushes nothing and returns 0
 * (a missing path included). Never opens the path. */
int linky_refuse_special(lua_State *L, const char *path);

/* core.create_temp(prefix [, mode]) -> file, name | nil, kind, message: creates a new file named
 * prefix followed by 16 random hex digits (O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode 0600,
 * or mode exactly when given) and returns it as a Lua file open for writing; its close flushes,
 * syncs and reports the first failure. */
int linky_create_temp(lua_State *L);

/* core.file_type(path [, follow]) -> type, mode | nothing | nil, kind, message: what path is (lstat, or
 * stat with follow): "file", "directory", "fifo", "device", "link" or "other", and its permission
 * bits; nothing when it does not exist. */
int linky_file_type(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
