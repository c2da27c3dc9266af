/* normalise.h: decoded Conso API bodies into linky's normalised `points`. */
#ifndef LINKY_NORMALISE_H
#define LINKY_NORMALISE_H

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* core.decode(body, spec) -> result[, decoded] | nil, "invalid_response", message
 * Upvalue 1 is lua-cjson's safe decode function. */
int linky_decode(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
