/* normalise.h: decoded Conso API bodies into linky's normalised `points`. */
#ifndef LINKY_NORMALISE_H
#define LINKY_NORMALISE_H

#include <lua.h>

/* core.decode(body, spec) -> result[, decoded] | nil, message
 * Upvalue 1 is lua-cjson's safe decode function. */
int linky_decode(lua_State *L);

#endif
