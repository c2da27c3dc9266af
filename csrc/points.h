/* points.h: the `points` builder every response shape ends in (legacy, 2026, index), and the
 * message a failed decode leaves for core.decode's nil, message. */
#ifndef LINKY_POINTS_H
#define LINKY_POINTS_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "calendar.h"

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

/* Steps a point may have, sent or inferred: 1 minute to 1 day. */
#define LINKY_STEP_MIN 60
#define LINKY_STEP_MAX 86400

/* What the builder keeps of each point until the array is complete. */
typedef struct {
  int64_t time;
  int index;          /* position in document order, 1-based */
  int step_missing;
} linky_point_slot;

/* Paris offset of one local day when it is the same all day (else 0), so the
 * points of a day cost one calendar lookup; DST days take the exact path. */
typedef struct {
  int64_t day;
  int offset;
} linky_day_offset;

/* Formats the failure into c->msg and returns 0, so a check reads `return linky_decode_fail(...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int linky_decode_fail(linky_decode_ctx *c, const char *fmt, ...);

/* Pushes the normalised points of the array at `arr`, in time order without duplicate times,
 * and returns 1; else returns 0 with c->msg set. `where` names the array in messages. */
int linky_build_points(lua_State *L, linky_decode_ctx *c, int arr, const linky_point_keys *k,
                       const char *where);

/* The API writes values as decimal strings: "^-?%d+$", within the integers this Lua holds
 * exactly (compat.h: int64 from 5.3, below 2^53 in magnitude before). Returns 1, 0 for another
 * string, -1 for an integer out of that range. */
int linky_parse_integer(const char *s, size_t len, lua_Integer *out);

/* UTC epoch of a point's parsed date; prev is the previous point's (when has_prev); cache starts
 * as {INT64_MIN, 0} for each array. */
int64_t linky_point_time(const linky_stamp *st, int has_prev, int64_t prev,
                         linky_day_offset *cache);

/* Completes the points table at `points` (slots[i] describes points[slots[i].index]): steps
 * inferred for a load curve, then, unless sorted, the table replaced by one in time order
 * keeping the first of equal times. */
void linky_finish_points(lua_State *L, int points, linky_point_slot *slots, int n, int curve,
                         int sorted);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
