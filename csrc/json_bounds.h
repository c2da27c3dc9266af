/* json_bounds.h: checks of untrusted body bytes made before lua-cjson decodes them.
 * Pure C, no Lua: shared by the decoder, the Lua-facing check and the fuzzer. */
#ifndef LINKY_JSON_BOUNDS_H
#define LINKY_JSON_BOUNDS_H

#include <stddef.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* Bodies up to this size may hold any number of arrays and objects; past it, at most one
 * per LINKY_JSON_BYTES_PER_CONTAINER bytes; never more than LINKY_JSON_MAX_CONTAINERS. */
#define LINKY_JSON_SMALL_BODY 4096
#define LINKY_JSON_BYTES_PER_CONTAINER 16
#define LINKY_JSON_MAX_CONTAINERS 1000000

/* 1 if s[0..len) is valid UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF),
 * else 0 with *bad set to the offset of the first byte that is not. */
int linky_utf8_valid(const char *s, size_t len, size_t *bad);

/* How many arrays and objects a body of len bytes may open. */
size_t linky_json_container_limit(size_t len);

/* 1 if the JSON text s[0..len) opens few enough arrays and objects (counted as '[' and '{'
 * outside strings; the text need not be valid JSON), else 0 with a message in msg. */
int linky_json_shape_ok(const char *s, size_t len, char *msg, size_t size);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
