/* points.h: the `points` builder every response shape ends in (legacy, 2026, index), and the
 * message a failed decode leaves for core.decode's nil, message. */
#ifndef LINKY_POINTS_H
#define LINKY_POINTS_H

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

typedef struct {
  char msg[256];
} linky_decode_ctx;

/* Field names of one point in a given shape. */
typedef struct {
  const char *value, *date, *step, *nature;
  int curve; /* load curve: a missing step is inferred from the neighbours */
  int reuse; /* the decoded body is not returned: its objects become the points */
} linky_point_keys;

/* Formats the failure into c->msg and returns 0, so a check reads `return linky_decode_fail(...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int linky_decode_fail(linky_decode_ctx *c, const char *fmt, ...);

/* Pushes the normalised points of the array at `arr`, in time order without duplicate times,
 * and returns 1; else returns 0 with c->msg set. `where` names the array in messages. */
int linky_build_points(lua_State *L, linky_decode_ctx *c, int arr, const linky_point_keys *k,
                       const char *where);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
