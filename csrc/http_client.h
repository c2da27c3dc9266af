/* http_client.h: the linky.HttpClient userdata, an HTTPS client for services other than Conso
 * API (the Tempo colour sources, later the database writers); it never holds the Conso API token. */
#ifndef LINKY_HTTP_CLIENT_H
#define LINKY_HTTP_CLIENT_H

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

#define LINKY_HTTP_CLIENT "linky.HttpClient"

/* Builds the metatable; leaves nothing on the stack. */
void linky_http_client_createmeta(lua_State *L);

/* core.http_client(opts) -> client */
int linky_http_client(lua_State *L);

/* core.open_http_clients() -> count */
int linky_open_http_clients(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
