/* points_reader.h: core.decode's fast path: the result table of a 2026 or legacy body built
 * straight from its bytes, or a refusal that sends the body down the lua-cjson path. */
#ifndef LINKY_POINTS_READER_H
#define LINKY_POINTS_READER_H

#include <stddef.h>

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

typedef struct {
  int legacy;                  /* the legacy shape, else 2026 */
  const char *metier, *measure; /* 2026: the grandeur wanted (measure NULL: the first one) */
  int curve;                   /* load curve: a missing step is inferred from the neighbours */
} linky_reader_spec;

/* Reads text[0..len), which must be valid UTF-8 already (linky_utf8_valid). Returns 1 with the
 * result table pushed, the very table the lua-cjson path builds; else returns 0 with the stack
 * as it was and *why (a static string) saying what it does not handle: the caller then takes
 * the lua-cjson path, which gives the same result or the message of the failure. */
int linky_read_points(lua_State *L, const char *text, size_t len, const linky_reader_spec *spec,
                      const char **why);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
