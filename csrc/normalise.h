/* normalise.h: decoded Conso API bodies into linky's normalised `points`; the checked JSON
 * decoding they and other services' bodies share. */
#ifndef LINKY_NORMALISE_H
#define LINKY_NORMALISE_H

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* core.decode(body, spec) -> result[, decoded] | nil, "invalid_response", message
 * Upvalue 1 is lua-cjson's safe decode function. */
int linky_decode(lua_State *L);

/* core.json_decode(body) -> value | nil, message: any JSON body, with core.decode's UTF-8 and
 * shape checks first. Upvalue 1 is lua-cjson's safe decode function. */
int linky_json_decode(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
