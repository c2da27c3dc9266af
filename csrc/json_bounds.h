/* json_bounds.h: checks of untrusted body bytes made before lua-cjson decodes them.
 * Pure C, no Lua: shared by the decoder, the Lua-facing check and the fuzzer. */
#ifndef LINKY_JSON_BOUNDS_H
#define LINKY_JSON_BOUNDS_H

#include <stddef.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* 1 if s[0..len) is valid UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF),
 * else 0 with *bad set to the offset of the first byte that is not. */
int linky_utf8_valid(const char *s, size_t len, size_t *bad);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
