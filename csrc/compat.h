/* compat.h: the few Lua 5.4 C API calls linky uses, for Lua 5.3.
 * Include it after lua.h in every file that calls them. */
#ifndef LINKY_COMPAT_H
#define LINKY_COMPAT_H

#include <lua.h>

#if LUA_VERSION_NUM < 504
/* 5.3 userdata have one user value, which linky never uses */
#define lua_newuserdatauv(L, size, nuv) ((void)(nuv), lua_newuserdata((L), (size)))
#endif

#endif
