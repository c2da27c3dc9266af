/* points_reader.c: core.decode's fast path: one pass over a 2026 or legacy body's bytes, each
 * point read into its result table with no table for the source objects.
 * Hand-written: lua-cjson has no streaming interface, and its tables for the whole document are
 * what cost (issue 29). The reader takes strict JSON only and handles what a valid body holds;
 * it refuses, and the lua-cjson path (normalise.c) then decides, on anything else:
 *   - a backslash or a control character in any string (escapes), a byte outside strings that
 *     is not JSON, text after the body, a truncated body;
 *   - a body whose shape differs: not an object, grandeur/interval_reading/points not arrays,
 *     reading_type not an object, a point not an object, a key that matters given twice
 *     (lua-cjson keeps the last one);
 *   - a value that is a JSON number (lua-cjson reads it as a double), a step neither a string
 *     nor null, a date, value or step the checks of points.c refuse;
 *   - more arrays and objects than linky_json_container_limit, or skipped values nested deeper
 *     than MAX_SKIP_DEPTH.
 * Refusing is always safe: the lua-cjson path gives the same result or the failure's message. */
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>

#include "calendar.h"
#include "compat.h"
#include "json_bounds.h"
#include "points.h"
#include "points_reader.h"

/* Deeper values than this in the fields the reader skips are left to lua-cjson (its own bound
 * is decode_max_depth, 1000). */
#define MAX_SKIP_DEPTH 64

/* The source fields of a point, in the order of the names below. */
enum { F_VALUE, F_DATE, F_STEP, F_NATURE, F_COUNT };

/* The keys of a result point, kept on the stack from `keys` on. */
enum { K_DATE, K_TIME, K_VALUE, K_STEP, K_NATURE, K_COUNT };

typedef struct {
  lua_State *L;
  const unsigned char *p, *end;
  size_t containers, limit;
  const char *why;
  const linky_reader_spec *spec;
  const char *names[F_COUNT];
  size_t lens[F_COUNT];
  int keys;
} reader;

/* One point's source fields, pointers into the body. */
typedef struct {
  const char *date, *value, *step, *nature;
  size_t date_len, value_len, step_len, nature_len;
} point_fields;

#define IS(s, len, lit) ((len) == sizeof(lit) - 1 && memcmp((s), (lit), (len)) == 0)

static int refuse(reader *r, const char *why) {
  r->why = why;
  return 0;
}

static void skip_ws(reader *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

/* Whether the next byte (after white space) is c; consumes it if so. */
static int next_is(reader *r, unsigned char c) {
  skip_ws(r);
  if (r->p < r->end && *r->p == c) {
    r->p++;
    return 1;
  }
  return 0;
}

static int expect(reader *r, unsigned char c) {
  return next_is(r, c) || refuse(r, "the body is not JSON the reader takes");
}

/* Opens an array ('[') or an object ('{'), counted against the body's limit. */
static int open_container(reader *r, unsigned char c) {
  if (!next_is(r, c)) return refuse(r, "a field has another shape");
  if (++r->containers > r->limit) return refuse(r, "too many arrays and objects");
  return 1;
}

/* A string without escapes: *s points into the body. */
static int read_string(reader *r, const char **s, size_t *len) {
  const unsigned char *q;
  if (!next_is(r, '"')) return refuse(r, "a field has another shape");
  for (q = r->p; q < r->end && *q != '"'; q++)
    if (*q == '\\' || *q < 0x20) return refuse(r, "a string holds an escape or a control byte");
  if (q == r->end) return refuse(r, "the body is truncated");
  *s = (const char *)r->p;
  *len = (size_t)(q - r->p);
  r->p = q + 1;
  return 1;
}

/* The next value is null (consumed). */
static int next_is_null(reader *r) {
  skip_ws(r);
  if (r->end - r->p >= 4 && memcmp(r->p, "null", 4) == 0) {
    r->p += 4;
    return 1;
  }
  return 0;
}

static int skip_literal(reader *r) {
  static const char *const words[] = {"true", "false", "null"};
  size_t i;
  for (i = 0; i < 3; i++) {
    size_t n = strlen(words[i]);
    if ((size_t)(r->end - r->p) >= n && memcmp(r->p, words[i], n) == 0) {
      r->p += n;
      return 1;
    }
  }
  return refuse(r, "the body is not JSON the reader takes");
}

static int skip_digits(reader *r) {
  const unsigned char *start = r->p;
  while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
  return r->p > start;
}

/* A number as RFC 8259 writes it. */
static int skip_number(reader *r) {
  if (r->p < r->end && *r->p == '-') r->p++;
  if (r->p < r->end && *r->p == '0') r->p++;
  else if (r->p >= r->end || *r->p < '1' || *r->p > '9' || !skip_digits(r)) goto bad;
  if (r->p < r->end && *r->p == '.') {
    r->p++;
    if (!skip_digits(r)) goto bad;
  }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
    r->p++;
    if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
    if (!skip_digits(r)) goto bad;
  }
  return 1;
bad:
  return refuse(r, "the body is not JSON the reader takes");
}

/* Skips one value of any kind, checking its syntax. `objects` is a stack of bits (1: an object)
 * of the open containers. */
static int skip_value(reader *r) {
  uint64_t objects = 0;
  int depth = 0;
  const char *key;
  size_t key_len;
  for (;;) {
    unsigned char c;
    skip_ws(r);
    if (r->p == r->end) return refuse(r, "the body is truncated");
    c = *r->p;
    if (c == '{' || c == '[') {
      if (depth == MAX_SKIP_DEPTH) return refuse(r, "a skipped value is nested too deep");
      if (!open_container(r, c)) return 0;
      objects = objects << 1 | (c == '{');
      depth++;
      if (next_is(r, c == '{' ? '}' : ']')) {
        objects >>= 1;
        depth--;
      } else {
        if (c == '{' && (!read_string(r, &key, &key_len) || !expect(r, ':'))) return 0;
        continue;                                        /* to the first element */
      }
    } else if (c == '"') {
      if (!read_string(r, &key, &key_len)) return 0;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      if (!skip_number(r)) return 0;
    } else if (!skip_literal(r)) {
      return 0;
    }
    /* a value ended: close what it ends, or go to the next element */
    for (;;) {
      if (depth == 0) return 1;
      if (next_is(r, ',')) {
        if ((objects & 1) && (!read_string(r, &key, &key_len) || !expect(r, ':'))) return 0;
        break;
      }
      if (!next_is(r, (objects & 1) ? '}' : ']'))
        return refuse(r, "the body is not JSON the reader takes");
      objects >>= 1;
      depth--;
    }
  }
}

/* After a member: 1 if another follows, 0 at the object's end (or an array's, for ']'). */
static int more(reader *r, unsigned char close, int *done) {
  if (next_is(r, ',')) return 1;
  if (next_is(r, close)) {
    *done = 1;
    return 1;
  }
  return refuse(r, "the body is not JSON the reader takes");
}

/* Reads a key and its colon; *k is the key. */
static int read_key(reader *r, const char **k, size_t *len) {
  return read_string(r, k, len) && expect(r, ':');
}

/* Marks a field read; a key given twice is refused (lua-cjson keeps the last one). */
static int first_time(reader *r, unsigned *seen, int bit) {
  if (*seen & 1u << bit) return refuse(r, "a key is given twice");
  *seen |= 1u << bit;
  return 1;
}

/* Reads one point object's fields. */
static int read_point_fields(reader *r, point_fields *f) {
  unsigned seen = 0;
  int done = 0;
  if (!open_container(r, '{')) return 0;
  f->nature = NULL;
  f->step = NULL;
  f->value = NULL;
  if (next_is(r, '}')) return refuse(r, "a point has no date");
  while (!done) {
    const char *k;
    size_t klen;
    int which;
    if (!read_key(r, &k, &klen)) return 0;
    for (which = 0; which < F_COUNT; which++)
      if (klen == r->lens[which] && memcmp(k, r->names[which], klen) == 0) break;
    if (which < F_COUNT && !first_time(r, &seen, which)) return 0;
    switch (which) {
      case F_DATE:
        if (!read_string(r, &f->date, &f->date_len)) return 0;
        break;
      case F_VALUE: /* a decimal string or null (no value); a number is lua-cjson's */
        if (!next_is_null(r) && !read_string(r, &f->value, &f->value_len)) return 0;
        break;
      case F_STEP:
        if (!next_is_null(r) && !read_string(r, &f->step, &f->step_len)) return 0;
        break;
      case F_NATURE: /* anything but a string is no nature */
        skip_ws(r);
        if (r->p < r->end && *r->p == '"') {
          if (!read_string(r, &f->nature, &f->nature_len)) return 0;
        } else if (!skip_value(r)) {
          return 0;
        }
        break;
      default:
        if (!skip_value(r)) return 0;
    }
    if (!more(r, '}', &done)) return 0;
  }
  if (!(seen & 1u << F_DATE) || !(seen & 1u << F_VALUE)) return refuse(r, "a point lacks a field");
  return 1;
}

static void set_integer(lua_State *L, int key, lua_Integer v) {
  lua_pushvalue(L, key);
  lua_pushinteger(L, v);
  lua_rawset(L, -3);
}

static void set_string(lua_State *L, int key, const char *s, size_t len) {
  lua_pushvalue(L, key);
  lua_pushlstring(L, s, len);
  lua_rawset(L, -3);
}

/* Rebuilds the slots linky_finish_points needs from the points table at `points` (their time,
 * whether a load curve's step was missing), pushed as a userdata. */
static linky_point_slot *slots_of(lua_State *L, int points, int n, int curve) {
  linky_point_slot *slots = lua_newuserdatauv(L, (n > 0 ? (size_t)n : 1) * sizeof *slots, 0);
  int i;
  for (i = 0; i < n; i++) {
    lua_rawgeti(L, points, i + 1);
    lua_getfield(L, -1, "time");
    slots[i].time = (int64_t)lua_tointeger(L, -1);
    lua_getfield(L, -2, "step");
    slots[i].step_missing = curve && lua_isnil(L, -1);
    slots[i].index = i + 1;
    lua_pop(L, 3);
  }
  return slots;
}

/* Reads a points array and pushes its result table, as linky_build_points makes it. The slots
 * that builder keeps for each point are only made when the rare steps need them: a load curve
 * with a step missing, points out of time order. */
static int read_points(reader *r) {
  lua_State *L = r->L;
  int n = 0, sorted = 1, missing = 0, done = 0, points;
  int64_t prev = 0;
  linky_day_offset cache = {INT64_MIN, 0};
  if (!open_container(r, '[')) return 0;
  lua_newtable(L);
  points = lua_gettop(L);
  if (next_is(r, ']')) done = 1;
  while (!done) {
    point_fields f;
    linky_stamp st;
    lua_Integer value = 0;
    int64_t step = 0, time;
    if (!read_point_fields(r, &f)) return 0;
    if (!linky_parse_stamp(f.date, f.date_len, &st)) return refuse(r, "a date the checks refuse");
    if (f.value && linky_parse_integer(f.value, f.value_len, &value) != 1)
      return refuse(r, "a value the checks refuse");
    if (f.step) {
      step = linky_parse_duration(f.step, f.step_len);
      if (step < LINKY_STEP_MIN || step > LINKY_STEP_MAX) return refuse(r, "a step the checks refuse");
    }
    time = linky_point_time(&st, n > 0, prev, &cache);
    if (n > 0 && time <= prev) sorted = 0;
    prev = time;
    missing |= !f.step;
    lua_createtable(L, 0, 5);
    set_string(L, r->keys + K_DATE, f.date, f.date_len);
    set_integer(L, r->keys + K_TIME, (lua_Integer)time);
    if (f.value) set_integer(L, r->keys + K_VALUE, value);
    if (step > 0) set_integer(L, r->keys + K_STEP, (lua_Integer)step);
    if (f.nature) set_string(L, r->keys + K_NATURE, f.nature, f.nature_len);
    lua_rawseti(L, points, ++n);
    if (!more(r, ']', &done)) return 0;
  }
  if (sorted && n > 0) { /* a table of the exact size, as linky_build_points makes */
    int i;
    lua_createtable(L, n, 0);
    for (i = 1; i <= n; i++) {
      lua_rawgeti(L, points, i);
      lua_rawseti(L, -2, i);
    }
    lua_replace(L, points);
  }
  if (!sorted || (missing && r->spec->curve)) {
    linky_point_slot *slots = slots_of(L, points, n, r->spec->curve);
    linky_finish_points(L, points, slots, n, r->spec->curve, sorted);
    lua_pop(L, 1);                                      /* the slots */
  }
  return 1;
}

/* Pushes a string field's value read as a string. */
static int push_string(reader *r) {
  const char *s;
  size_t len;
  if (!read_string(r, &s, &len)) return 0;
  lua_pushlstring(r->L, s, len);
  return 1;
}

/* A string field copied when it is a string (quality, etapeMetier), else skipped. */
static int copy_string(reader *r, int result, const char *rkey) {
  skip_ws(r);
  if (r->p < r->end && *r->p == '"') {
    if (!push_string(r)) return 0;
    lua_setfield(r->L, result, rkey);
    return 1;
  }
  return skip_value(r);
}

/* Legacy: {reading_type: {unit}, quality, interval_reading: [...]} */
static int read_legacy(reader *r, int result) {
  unsigned seen = 0;
  int done = 0;
  if (!open_container(r, '{')) return 0;
  if (next_is(r, '}')) return refuse(r, "the body has no interval_reading");
  while (!done) {
    const char *k;
    size_t klen;
    if (!read_key(r, &k, &klen)) return 0;
    if (IS(k, klen, "reading_type")) {
      unsigned rseen = 0;
      int rdone = 0;
      if (!first_time(r, &seen, 0) || !open_container(r, '{')) return 0;
      if (next_is(r, '}')) return refuse(r, "reading_type has no unit");
      while (!rdone) {
        if (!read_key(r, &k, &klen)) return 0;
        if (IS(k, klen, "unit")) {
          if (!first_time(r, &rseen, 0) || !push_string(r)) return 0;
          lua_setfield(r->L, result, "unit");
        } else if (!skip_value(r)) {
          return 0;
        }
        if (!more(r, '}', &rdone)) return 0;
      }
      if (!rseen) return refuse(r, "reading_type has no unit");
    } else if (IS(k, klen, "quality")) {
      if (!first_time(r, &seen, 1) || !copy_string(r, result, "quality")) return 0;
    } else if (IS(k, klen, "interval_reading")) {
      if (!first_time(r, &seen, 2) || !read_points(r)) return 0;
      lua_setfield(r->L, result, "points");
    } else if (!skip_value(r)) {
      return 0;
    }
    if (!more(r, '}', &done)) return 0;
  }
  if (!(seen & 1u) || !(seen & 4u)) return refuse(r, "the body lacks a field");
  return 1;
}

/* One grandeur of a 2026 body: its points become the result's (the first of the measure),
 * an entry of result.series (another measure of the metier), or nothing (another metier). */
static int read_grandeur(reader *r, int result, int *found) {
  lua_State *L = r->L;
  const char *gm = NULL, *gp = NULL, *unite = NULL;
  size_t gm_len = 0, gp_len = 0, unite_len = 0;
  unsigned seen = 0;
  int done = 0, points = 0, other_metier = 0, top = lua_gettop(L);
  const char *metier = r->spec->metier, *measure = r->spec->measure;
  if (!open_container(r, '{')) return 0;
  if (next_is(r, '}')) return refuse(r, "a grandeur has no grandeurMetier");
  while (!done) {
    const char *k;
    size_t klen;
    if (!read_key(r, &k, &klen)) return 0;
    if (IS(k, klen, "grandeurMetier")) {
      if (!first_time(r, &seen, 0) || !read_string(r, &gm, &gm_len)) return 0;
      other_metier = gm_len != strlen(metier) || memcmp(gm, metier, gm_len) != 0;
    } else if (IS(k, klen, "grandeurPhysique")) {
      if (!first_time(r, &seen, 1) || !read_string(r, &gp, &gp_len)) return 0;
    } else if (IS(k, klen, "unite")) { /* only the metier's grandeurs need one */
      if (!first_time(r, &seen, 2)) return 0;
      skip_ws(r);
      if (r->p < r->end && *r->p == '"') {
        if (!read_string(r, &unite, &unite_len)) return 0;
      } else if (!skip_value(r)) {
        return 0;
      }
    } else if (IS(k, klen, "points")) {
      if (!first_time(r, &seen, 3)) return 0;
      if (other_metier) {                               /* never read by the lua-cjson path */
        if (!skip_value(r)) return 0;
      } else {                                          /* the metier may come after it */
        if (!read_points(r)) return 0;
        points = lua_gettop(L);
      }
    } else if (!skip_value(r)) {
      return 0;
    }
    if (!more(r, '}', &done)) return 0;
  }
  if (!gm || !gp) return refuse(r, "a grandeur lacks grandeurMetier or grandeurPhysique");
  if (other_metier) {
    lua_settop(L, top);
    return 1;
  }
  if (!unite || !points) return refuse(r, "a grandeur lacks unite or points");
  lua_pushlstring(L, unite, unite_len);
  if (!*found && (measure == NULL || (gp_len == strlen(measure) && memcmp(gp, measure, gp_len) == 0))) {
    *found = 1;
    lua_setfield(L, result, "unit");
    lua_setfield(L, result, "points");
  } else { /* another physical measure, e.g. one phase of a three-phase meter */
    lua_createtable(L, 0, 2);
    lua_insert(L, -3);                                  /* entry, points, unite */
    lua_setfield(L, -3, "unit");
    lua_setfield(L, -2, "points");
    if (lua_getfield(L, result, "series") != LUA_TTABLE) {
      lua_pop(L, 1);
      lua_newtable(L);
      lua_pushvalue(L, -1);
      lua_setfield(L, result, "series");
    }
    lua_pushlstring(L, gp, gp_len);
    lua_pushvalue(L, -3);                               /* entry */
    lua_rawset(L, -3);
  }
  lua_settop(L, top);
  return 1;
}

/* 2026: {etapeMetier, grandeur: [{grandeurMetier, grandeurPhysique, unite, points}...]} */
static int read_v2026(reader *r, int result) {
  unsigned seen = 0;
  int done = 0;
  if (!open_container(r, '{')) return 0;
  if (next_is(r, '}')) return refuse(r, "the body has no grandeur");
  while (!done) {
    const char *k;
    size_t klen;
    if (!read_key(r, &k, &klen)) return 0;
    if (IS(k, klen, "etapeMetier")) {
      if (!first_time(r, &seen, 0) || !copy_string(r, result, "quality")) return 0;
    } else if (IS(k, klen, "grandeur")) {
      int found = 0, gdone = 0;
      if (!first_time(r, &seen, 1) || !open_container(r, '[')) return 0;
      if (next_is(r, ']')) gdone = 1;
      while (!gdone) {
        if (!read_grandeur(r, result, &found) || !more(r, ']', &gdone)) return 0;
      }
      if (!found) return refuse(r, "no grandeur of the metier and measure");
    } else if (!skip_value(r)) {
      return 0;
    }
    if (!more(r, '}', &done)) return 0;
  }
  if (!(seen & 2u)) return refuse(r, "the body has no grandeur");
  return 1;
}

int linky_read_points(lua_State *L, const char *text, size_t len, const linky_reader_spec *spec,
                      const char **why) {
  static const char *const legacy[F_COUNT] = {"value", "date", "interval_length", "measure_type"};
  static const char *const v2026[F_COUNT] = {"v", "d", "p", "n"};
  static const char *const keys[K_COUNT] = {"date", "time", "value", "step", "nature"};
  reader r;
  int base = lua_gettop(L), i, ok;
  luaL_checkstack(L, K_COUNT + 24, "decoding points");
  r.L = L;
  r.p = (const unsigned char *)text;
  r.end = r.p + len;
  r.containers = 0;
  r.limit = linky_json_container_limit(len);
  r.why = "the body is not JSON the reader takes";
  r.spec = spec;
  for (i = 0; i < F_COUNT; i++) {
    r.names[i] = spec->legacy ? legacy[i] : v2026[i];
    r.lens[i] = strlen(r.names[i]);
  }
  lua_createtable(L, 0, 6);                             /* base + 1: the result */
  r.keys = base + 2;
  for (i = 0; i < K_COUNT; i++) lua_pushstring(L, keys[i]);
  ok = spec->legacy ? read_legacy(&r, base + 1) : read_v2026(&r, base + 1);
  if (ok) {
    skip_ws(&r);
    if (r.p != r.end) ok = refuse(&r, "text follows the body");
  }
  if (!ok) {
    lua_settop(L, base);
    *why = r.why;
    return 0;
  }
  lua_settop(L, base + 1);
  return 1;
}
