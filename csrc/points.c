/* points.c: the `points` builder every response shape ends in: integer values, UTC times,
 * steps checked or inferred, time order without duplicates, in one pass over the array. */
#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>

#include "calendar.h"
#include "compat.h"
#include "points.h"

/* lua-cjson reads every JSON number as a double: from 2^53 on, the double may not be the
 * number sent (9007199254740993 reads as 2^53), so such values are refused. */
#define EXACT_LIMIT 9007199254740992.0

typedef linky_point_slot point_slot;

int linky_decode_fail(linky_decode_ctx *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->msg, sizeof c->msg, fmt, ap);
  va_end(ap);
  return 0;
}

/* A short, printable excerpt of a bad value for messages. */
static const char *excerpt(lua_State *L, int idx, char *buf, size_t size) {
  size_t len, i, o = 0;
  const char *s;
  if (lua_type(L, idx) != LUA_TSTRING) return luaL_typename(L, idx);
  s = lua_tolstring(L, idx, &len);
  buf[o++] = '"';
  for (i = 0; i < len && o + 5 < size; i++) {
    if (s[i] >= 0x20 && s[i] < 0x7f) buf[o++] = s[i];
    else buf[o++] = '?';
  }
  if (i < len) { buf[o++] = '.'; buf[o++] = '.'; buf[o++] = '.'; }
  buf[o++] = '"';
  buf[o] = '\0';
  return buf;
}

static int is_null(lua_State *L, int idx) {
  return lua_islightuserdata(L, idx) && lua_touserdata(L, idx) == NULL;
}

int linky_parse_integer(const char *s, size_t len, lua_Integer *out) {
  size_t i = 0;
  int neg = 0, range = 1;
  unsigned long long acc = 0, limit;
  if (len > 0 && s[0] == '-') { neg = 1; i = 1; }
  if (i == len) return 0;
  limit = LINKY_INTEGER_MAX;
  if (neg) limit += LINKY_INTEGER_NEG_EXTRA;
  for (; i < len; i++) {
    unsigned d;
    if (s[i] < '0' || s[i] > '9') return 0;
    d = (unsigned)(s[i] - '0');
    if (range && acc > (limit - d) / 10) range = 0; /* the digits are still checked */
    if (range) acc = acc * 10 + d;
  }
  if (!range) return -1;
  /* two's complement negation of acc, written without signed overflow */
  *out = neg ? (lua_Integer)(0 - acc) : (lua_Integer)acc;
  return 1;
}

/* Reads the value at the top of the stack into an integer; sets *present. A JSON number
 * must be integral and below 2^53 in magnitude. Returns 1, 0 for no integer, -1 for a decimal
 * string out of range. */
static int read_value(lua_State *L, lua_Integer *out, int *present) {
  *present = 1;
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, -1, &len);
      return linky_parse_integer(s, len, out);
    }
    case LUA_TNUMBER: {
      lua_Number d = lua_tonumber(L, -1); /* exact for an integer below 2^53 too */
      if (!(d > -EXACT_LIMIT && d < EXACT_LIMIT) || d != floor(d)) return 0;
      *out = (lua_Integer)d;
      return 1;
    }
    case LUA_TLIGHTUSERDATA:
      if (is_null(L, -1)) { *present = 0; return 1; }
      return 0;
    default:
      return 0;
  }
}

static int compare_slots(const void *a, const void *b) {
  const point_slot *x = a, *y = b;
  if (x->time != y->time) return x->time < y->time ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* A missing step is the distance to the previous point, else the next point's step. */
static void infer_steps(lua_State *L, int points, point_slot *slots, int n) {
  int i;
  for (i = 0; i < n; i++) {
    int64_t step = -1;
    if (!slots[i].step_missing) continue;
    if (i > 0 && slots[i].time > slots[i - 1].time) {
      step = slots[i].time - slots[i - 1].time;
    } else if (i + 1 < n && !slots[i + 1].step_missing) {
      lua_rawgeti(L, points, slots[i + 1].index);
      lua_getfield(L, -1, "step");
      if (lua_isinteger(L, -1)) step = lua_tointeger(L, -1);
      lua_pop(L, 2);
    } else if (i + 1 < n && slots[i + 1].time > slots[i].time) {
      step = slots[i + 1].time - slots[i].time;
    }
    if (step >= LINKY_STEP_MIN && step <= LINKY_STEP_MAX) { /* a gap or a duplicate is no step */
      lua_rawgeti(L, points, slots[i].index);
      lua_pushinteger(L, step);
      lua_setfield(L, -2, "step");
      lua_pop(L, 1);
    }
  }
}

/* Empties the table at t, a decoded object about to become a point. */
static void clear_table(lua_State *L, int t) {
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, t);
  }
}

/* Positions of the key strings build_points keeps on the stack: interned once
 * per array instead of once per field access. */
enum { K_SRC_DATE, K_SRC_VALUE, K_SRC_STEP, K_SRC_NATURE, K_DATE, K_TIME, K_VALUE, K_STEP,
       K_NATURE, K_COUNT };

static void push_keys(lua_State *L, const linky_point_keys *k) {
  const char *names[K_COUNT];
  int j;
  names[K_SRC_DATE] = k->date;
  names[K_SRC_VALUE] = k->value;
  names[K_SRC_STEP] = k->step;
  names[K_SRC_NATURE] = k->nature;
  names[K_DATE] = "date";
  names[K_TIME] = "time";
  names[K_VALUE] = "value";
  names[K_STEP] = "step";
  names[K_NATURE] = "nature";
  for (j = 0; j < K_COUNT; j++) {
    if (names[j]) lua_pushstring(L, names[j]);
    else lua_pushnil(L);
  }
}

/* Pushes t[key] for a key kept at stack index `key`; returns its type. */
static int get_key(lua_State *L, int t, int key) {
  lua_pushvalue(L, key);
  return lua_rawget(L, t);
}

/* t[key] = v, for keys kept on the stack. */
static void set_integer(lua_State *L, int t, int key, lua_Integer v) {
  lua_pushvalue(L, key);
  lua_pushinteger(L, v);
  lua_rawset(L, t);
}

static void set_copy(lua_State *L, int t, int key, int idx) {
  lua_pushvalue(L, key);
  lua_pushvalue(L, idx);
  lua_rawset(L, t);
}

int64_t linky_point_time(const linky_stamp *st, int has_prev, int64_t prev,
                         linky_day_offset *cache) {
  int64_t day;
  if (st->has_offset) return st->local - st->offset;
  day = st->local >= 0 ? st->local / 86400 : -((-st->local + 86399) / 86400);
  if (day != cache->day) {
    /* every UTC instant a local time of this day can map to */
    int first = linky_paris_offset(day * 86400 - 7200);
    int last = linky_paris_offset(day * 86400 + 86400 - 3600);
    cache->day = day;
    cache->offset = first == last ? first : 0;
  }
  if (cache->offset) return st->local - cache->offset;
  return linky_stamp_to_utc(st, has_prev, prev);
}

/* Pushes the normalised points of the array at `arr`, in time order without
 * duplicate times. `where` names the array in messages. */
int linky_build_points(lua_State *L, linky_decode_ctx *c, int arr, const linky_point_keys *k,
                       const char *where) {
  int n, i, j, sorted = 1, points, keys;
  point_slot *slots;
  linky_day_offset cache = {INT64_MIN, 0};
  char bad[64];
  if (!lua_istable(L, arr)) return linky_decode_fail(c, "%s is not an array", where);
  n = (int)lua_rawlen(L, arr);
  if (n == 0) { /* cjson decodes {} and [] alike: an object has some key */
    lua_pushnil(L);
    if (lua_next(L, arr) != 0) return linky_decode_fail(c, "%s is not an array", where);
  }
  luaL_checkstack(L, K_COUNT + 12, "decoding points");
  /* scratch owned by the GC, so a memory error while building leaks nothing */
  slots = lua_newuserdatauv(L, (n > 0 ? (size_t)n : 1) * sizeof *slots, 0);
  lua_createtable(L, n, 0);
  points = lua_gettop(L);
  push_keys(L, k);
  keys = points + 1;
  for (i = 1; i <= n; i++) {
    linky_stamp st;
    size_t dlen;
    const char *date;
    lua_Integer value;
    int64_t step = 0;
    int present, src, point, r, nature = 0;
    unsigned read = 1u << K_SRC_DATE | 1u << K_SRC_VALUE; /* fields this point has */
    point_slot *slot = &slots[i - 1];
    if (lua_rawgeti(L, arr, i) != LUA_TTABLE)
      return linky_decode_fail(c, "%s[%d] is not an object", where, i);
    src = lua_gettop(L);
    if (get_key(L, src, keys + K_SRC_DATE) != LUA_TSTRING)  /* src + 1: the date */
      return linky_decode_fail(c, "%s[%d].%s is missing or not a string", where, i, k->date);
    date = lua_tolstring(L, -1, &dlen);
    if (!linky_parse_stamp(date, dlen, &st))
      return linky_decode_fail(c, "%s[%d].%s: %s is not a date", where, i, k->date,
                               excerpt(L, -1, bad, sizeof bad));
    slot->time = linky_point_time(&st, i > 1, i > 1 ? slots[i - 2].time : 0, &cache);
    slot->index = i;
    if (i > 1 && slot->time <= slots[i - 2].time) sorted = 0;
    get_key(L, src, keys + K_SRC_VALUE);
    if (lua_isnil(L, -1))
      return linky_decode_fail(c, "%s[%d].%s is missing", where, i, k->value);
    r = read_value(L, &value, &present);
    if (r < 0)
      return linky_decode_fail(c, "%s[%d].%s: %s is not an integer " LINKY_INTEGER_RANGE, where, i,
                               k->value, excerpt(L, -1, bad, sizeof bad));
    if (r == 0) {
      if (lua_type(L, -1) == LUA_TNUMBER)
        return linky_decode_fail(
            c, "%s[%d].%s: number is not an integer below 2^53 in magnitude (%.17g)", where, i,
            k->value, (double)lua_tonumber(L, -1));
      return linky_decode_fail(c, "%s[%d].%s: %s is not an integer", where, i, k->value,
                               excerpt(L, -1, bad, sizeof bad));
    }
    lua_pop(L, 1);
    slot->step_missing = 0;
    if (k->step) {
      int t = get_key(L, src, keys + K_SRC_STEP);
      if (t != LUA_TNIL) read |= 1u << K_SRC_STEP;
      if (t == LUA_TSTRING) {
        size_t slen;
        const char *s = lua_tolstring(L, -1, &slen);
        step = linky_parse_duration(s, slen);
        if (step < 0)
          return linky_decode_fail(c, "%s[%d].%s: %s is not a duration", where, i, k->step,
                                   excerpt(L, -1, bad, sizeof bad));
        if (step < LINKY_STEP_MIN || step > LINKY_STEP_MAX)
          return linky_decode_fail(c, "%s[%d].%s: %s is not a step from 1 minute to 1 day",
                                   where, i, k->step, excerpt(L, -1, bad, sizeof bad));
      } else if (t == LUA_TNIL || is_null(L, -1)) {
        slot->step_missing = k->curve;
      } else {
        return linky_decode_fail(c, "%s[%d].%s is not a string", where, i, k->step);
      }
      lua_pop(L, 1);
    }
    if (k->nature) {                                    /* src + 2: the nature */
      int t = get_key(L, src, keys + K_SRC_NATURE);
      if (t != LUA_TNIL) read |= 1u << K_SRC_NATURE;
      nature = t == LUA_TSTRING;
      if (!nature) lua_pop(L, 1);
    }
    if (k->reuse) { /* the source object becomes the point: no second table per point */
      for (j = K_SRC_DATE; j <= K_SRC_NATURE; j++) {
        if (!(read & 1u << j)) continue; /* Lua 5.3 would store a nil under an absent key */
        lua_pushvalue(L, keys + j);
        lua_pushnil(L);
        lua_rawset(L, src);
      }
      clear_table(L, src);                              /* any other field */
      point = src;
    } else {
      lua_createtable(L, 0, 5);
      point = lua_gettop(L);
    }
    set_copy(L, point, keys + K_DATE, src + 1);
    set_integer(L, point, keys + K_TIME, (lua_Integer)slot->time);
    if (present) set_integer(L, point, keys + K_VALUE, value);
    if (step > 0) set_integer(L, point, keys + K_STEP, (lua_Integer)step);
    if (nature) set_copy(L, point, keys + K_NATURE, src + 2);
    lua_pushvalue(L, point);
    lua_rawseti(L, points, i);
    lua_settop(L, src - 1);
  }
  lua_settop(L, points);                                /* the keys */
  linky_finish_points(L, points, slots, n, k->curve, sorted);
  lua_remove(L, points - 1);                            /* scratch */
  return 1;
}

void linky_finish_points(lua_State *L, int points, linky_point_slot *slots, int n, int curve,
                         int sorted) {
  if (curve) infer_steps(L, points, slots, n);
  if (!sorted) { /* rare: reorder by time and keep the first of equal times */
    int j, out = 0;
    qsort(slots, (size_t)n, sizeof *slots, compare_slots);
    lua_createtable(L, n, 0);
    for (j = 0; j < n; j++) {
      if (j > 0 && slots[j].time == slots[j - 1].time) continue;
      lua_rawgeti(L, points, slots[j].index);
      lua_rawseti(L, -2, ++out);
    }
    lua_replace(L, points);
  }
}
