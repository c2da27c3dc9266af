/* linky.h: the public entry point for programs that embed Lua and link
 * build/liblinky.a (the C core and the Lua module, compiled in). */
#ifndef LINKY_H
#define LINKY_H

#include <lua.h>

/* Registers `linky`, its `linky.*` submodules, `linky.core`, `cjson` and
 * `cjson.safe` in package.preload, so `require "linky"` needs no file at run
 * time. Call it after luaL_openlibs (it needs the `package` library).
 * Returns LUA_OK, or an error status with a message on the stack.
 *
 * Threads: one lua_State per thread, as usual for Lua; a linky client (one
 * libcurl handle) must stay on the thread of its state. libcurl's global
 * initialisation runs once, on the first `require "linky.core"`, and is never
 * torn down; a host that uses libcurl from several threads should call
 * curl_global_init itself before starting them. */
int linky_openlibs(lua_State *L);

/* The C module opener, also usable directly with luaL_requiref. */
int luaopen_linky_core(lua_State *L);

#endif
