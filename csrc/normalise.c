/* normalise.c: one C pass from a response body to linky's result table: the checks before
 * lua-cjson, then the walk of each shape (legacy, 2026, index) down to the points builder. */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "compat.h"
#include "json_bounds.h"
#include "normalise.h"
#include "points.h"
#include "points_reader.h"
#include "transport_errors.h"

/* The point fields of each API generation. */
static const linky_point_keys LEGACY_KEYS = {"value", "date", "interval_length", "measure_type",
                                             0, 0};
static const linky_point_keys V2026_KEYS = {"v", "d", "p", "n", 0, 0};

/* Pushes t[key] if it is a string, else fails naming it. */
static int need_string(lua_State *L, linky_decode_ctx *c, int t, const char *key,
                       const char *where) {
  if (lua_getfield(L, t, key) != LUA_TSTRING)
    return linky_decode_fail(c, "%s%s is missing or not a string", where, key);
  return 1;
}

/* Copies an optional string field of t into result[rkey]. */
static void copy_string(lua_State *L, int t, const char *key, int result, const char *rkey) {
  if (lua_getfield(L, t, key) == LUA_TSTRING)
    lua_setfield(L, result, rkey);
  else
    lua_pop(L, 1);
}

static int decode_legacy(lua_State *L, linky_decode_ctx *c, int body, int result, int curve,
                         int reuse) {
  linky_point_keys k = LEGACY_KEYS;
  k.curve = curve;
  k.reuse = reuse;
  if (lua_getfield(L, body, "reading_type") != LUA_TTABLE)
    return linky_decode_fail(c, "reading_type is missing or not an object");
  if (!need_string(L, c, -1, "unit", "reading_type.")) return 0;
  lua_setfield(L, result, "unit");
  lua_pop(L, 1);
  copy_string(L, body, "quality", result, "quality");
  lua_getfield(L, body, "interval_reading");
  if (lua_isnil(L, -1)) return linky_decode_fail(c, "interval_reading is missing");
  if (!linky_build_points(L, c, lua_gettop(L), &k, "interval_reading")) return 0;
  lua_setfield(L, result, "points");
  lua_pop(L, 1);
  return 1;
}

static int decode_v2026(lua_State *L, linky_decode_ctx *c, int body, int result, int curve,
                        int reuse, const char *metier, const char *measure) {
  linky_point_keys k = V2026_KEYS;
  int grandeurs, n, i, found = 0;
  char where[64];
  k.curve = curve;
  k.reuse = reuse;
  copy_string(L, body, "etapeMetier", result, "quality");
  if (lua_getfield(L, body, "grandeur") != LUA_TTABLE)
    return linky_decode_fail(c, "grandeur is missing or not an array");
  grandeurs = lua_gettop(L);
  n = (int)lua_rawlen(L, grandeurs);
  for (i = 1; i <= n; i++) {
    int g, main;
    const char *gm, *gp;
    snprintf(where, sizeof where, "grandeur[%d].", i);
    if (lua_rawgeti(L, grandeurs, i) != LUA_TTABLE)
      return linky_decode_fail(c, "grandeur[%d] is not an object", i);
    g = lua_gettop(L);
    if (!need_string(L, c, g, "grandeurMetier", where)) return 0;
    gm = lua_tostring(L, -1);
    if (!need_string(L, c, g, "grandeurPhysique", where)) return 0;
    gp = lua_tostring(L, -1);
    if (strcmp(gm, metier) != 0) { lua_settop(L, grandeurs); continue; }
    main = !found && (measure == NULL || strcmp(gp, measure) == 0);
    if (!need_string(L, c, g, "unite", where)) return 0;
    lua_getfield(L, g, "points");
    snprintf(where, sizeof where, "grandeur[%d].points", i);
    if (!linky_build_points(L, c, lua_gettop(L), &k, where)) return 0;
    if (main) {
      found = 1;
      lua_setfield(L, result, "points");
      lua_pop(L, 1);                                    /* source points */
      lua_setfield(L, result, "unit");
    } else { /* another physical measure, e.g. one phase of a three-phase meter */
      lua_remove(L, -2);                                /* unite, points */
      lua_createtable(L, 0, 2);
      lua_insert(L, -3);                                /* entry, unite, points */
      lua_setfield(L, -3, "points");
      lua_setfield(L, -2, "unit");
      if (lua_getfield(L, result, "series") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, result, "series");
      }
      lua_insert(L, -2);                                /* series, entry */
      lua_setfield(L, -2, gp);                          /* gp is still anchored at g */
    }
    lua_settop(L, grandeurs);
  }
  if (!found)
    return linky_decode_fail(c, "no grandeur with grandeurMetier %s and grandeurPhysique %s",
                             metier, measure ? measure : "(any)");
  lua_pop(L, 1);
  return 1;
}

/* Appends every element of the array at the top of the stack to the array at dst. */
static void append_all(lua_State *L, int dst) {
  int n = (int)lua_rawlen(L, -1), i, base = (int)lua_rawlen(L, dst);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    lua_rawseti(L, dst, base + i);
  }
}

/* Index bodies (shape unconfirmed upstream): values are gathered from every
 * contexte/grandeur of the kind's metier, the totaliser into `points` and each
 * time class into `classes`, then go through the same points builder. */
static int decode_index(lua_State *L, linky_decode_ctx *c, int body, int result,
                        const char *metier) {
  int contexts, gathered, by_class, nc, i, found = 0;
  linky_point_keys k = V2026_KEYS;
  k.step = NULL;
  k.nature = NULL;
  copy_string(L, body, "etapeMetier", result, "quality");
  if (lua_getfield(L, body, "contexte") != LUA_TTABLE)
    return linky_decode_fail(c, "contexte is missing or not an array");
  contexts = lua_gettop(L);
  lua_newtable(L);
  gathered = lua_gettop(L);
  lua_newtable(L);
  by_class = lua_gettop(L);
  nc = (int)lua_rawlen(L, contexts);
  for (i = 1; i <= nc; i++) {
    int ng, j, ctx;
    if (lua_rawgeti(L, contexts, i) != LUA_TTABLE)
      return linky_decode_fail(c, "contexte[%d] is not an object", i);
    ctx = lua_gettop(L);
    copy_string(L, ctx, "etapeMetier", result, "quality");
    if (lua_getfield(L, ctx, "grandeur") != LUA_TTABLE)
      return linky_decode_fail(c, "contexte[%d].grandeur is missing or not an array", i);
    ng = (int)lua_rawlen(L, -1);
    for (j = 1; j <= ng; j++) {
      int g, nk, m;
      if (lua_rawgeti(L, ctx + 1, j) != LUA_TTABLE)
        return linky_decode_fail(c, "contexte[%d].grandeur[%d] is not an object", i, j);
      g = lua_gettop(L);
      if (lua_getfield(L, g, "grandeurMetier") != LUA_TSTRING ||
          strcmp(lua_tostring(L, -1), metier) != 0) {
        lua_settop(L, g - 1);
        continue;
      }
      if (lua_getfield(L, g, "unite") != LUA_TSTRING)
        return linky_decode_fail(c, "contexte[%d].grandeur[%d].unite is missing or not a string",
                                 i, j);
      lua_setfield(L, result, "unit");
      if (lua_getfield(L, g, "cadranTotalisateur") != LUA_TTABLE ||
          lua_getfield(L, -1, "valeur") != LUA_TTABLE)
        return linky_decode_fail(
            c, "contexte[%d].grandeur[%d].cadranTotalisateur.valeur is missing", i, j);
      found = 1;
      append_all(L, gathered);
      lua_settop(L, g);
      if (lua_getfield(L, g, "calendrier") == LUA_TTABLE) {
        int cal = lua_gettop(L), ncal = (int)lua_rawlen(L, cal);
        for (m = 1; m <= ncal; m++) {
          if (lua_rawgeti(L, cal, m) != LUA_TTABLE ||
              lua_getfield(L, -1, "classeTemporelle") != LUA_TTABLE)
            return linky_decode_fail(
                c, "contexte[%d].grandeur[%d].calendrier[%d].classeTemporelle is missing", i, j, m);
          nk = (int)lua_rawlen(L, -1);
          for (int q = 1; q <= nk; q++) {
            if (lua_rawgeti(L, -1, q) != LUA_TTABLE)
              return linky_decode_fail(c, "classeTemporelle[%d] is not an object", q);
            if (lua_getfield(L, -1, "libelleClasseTemporelle") != LUA_TSTRING) {
              lua_pop(L, 1);
              if (lua_getfield(L, -1, "idClasseTemporelle") != LUA_TSTRING)
                return linky_decode_fail(c, "classeTemporelle[%d] has no libelleClasseTemporelle",
                                         q);
            }
            if (lua_getfield(L, -2, "valeur") != LUA_TTABLE)
              return linky_decode_fail(c, "classeTemporelle[%d].valeur is missing", q);
            lua_pushvalue(L, -2);                       /* label */
            if (lua_rawget(L, by_class) != LUA_TTABLE) {
              lua_pop(L, 1);
              lua_newtable(L);
              lua_pushvalue(L, -3);
              lua_pushvalue(L, -2);
              lua_rawset(L, by_class);
            }
            lua_insert(L, -2);                          /* list, valeur */
            append_all(L, lua_gettop(L) - 1);
            lua_pop(L, 4);                              /* valeur, list, label, class */
          }
          lua_pop(L, 2);
        }
      }
      lua_settop(L, g - 1);
    }
    lua_settop(L, contexts + 2);
  }
  if (!found) return linky_decode_fail(c, "no %s index grandeur in contexte", metier);
  if (!linky_build_points(L, c, gathered, &k, "cadranTotalisateur.valeur")) return 0;
  lua_setfield(L, result, "points");
  lua_newtable(L);                                      /* classes */
  lua_pushnil(L);
  while (lua_next(L, by_class) != 0) {
    if (!linky_build_points(L, c, lua_gettop(L), &k, "classeTemporelle.valeur")) return 0;
    lua_remove(L, -2);
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_setfield(L, result, "classes");
  return 1;
}

/* Pushes an optional string field of the spec table and returns it (def when absent). It
 * stays on the stack: a string an __index made is anchored nowhere else. */
static const char *spec_string(lua_State *L, const char *key, const char *def) {
  size_t len;
  const char *s;
  int t = lua_getfield(L, 2, key);
  if (t == LUA_TNIL) return def;
  if (t != LUA_TSTRING)
    luaL_argerror(L, 2, lua_pushfstring(L, "field '%s' is a %s, not a string", key, luaL_typename(L, -1)));
  s = lua_tolstring(L, -1, &len);
  if (strlen(s) != len) luaL_argerror(L, 2, lua_pushfstring(L, "field '%s' holds a zero byte", key));
  return s;
}

/* Decodes the JSON text at index arg (text[0..len)) with lua-cjson (upvalue 1), checked first:
 * strings reach the user as valid UTF-8 (its escapes decode to valid UTF-8 already), and a body
 * cannot cost much more than its size in tables. Pushes the value and returns 1, or pushes
 * nil, "invalid_response" and a message and returns 3. */
static int decode_checked(lua_State *L, int arg, const char *text, size_t len) {
  char msg[128];
  size_t bad;
  if (!linky_utf8_valid(text, len, &bad)) {
    char at[32];
    snprintf(at, sizeof at, "%llu", (unsigned long long)bad + 1);
    lua_pushfstring(L, "body is not valid UTF-8 (byte %s)", at);
    return linky_fail(L, "invalid_response");
  }
  if (!linky_json_shape_ok(text, len, msg, sizeof msg)) {
    lua_pushstring(L, msg);
    return linky_fail(L, "invalid_response");
  }
  lua_pushvalue(L, lua_upvalueindex(1));                /* cjson.safe decode */
  lua_pushvalue(L, arg);
  if (lua_pcall(L, 1, 2, 0) != LUA_OK) {
    lua_pushfstring(L, "body is not JSON: %s", lua_tostring(L, -1));
    return linky_fail(L, "invalid_response");
  }
  if (lua_isnil(L, -2)) {
    lua_pushfstring(L, "body is not JSON: %s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "invalid");
    return linky_fail(L, "invalid_response");
  }
  lua_pop(L, 1);
  return 1;
}

/* core.json_decode(body) -> value | nil, "invalid_response", message: any JSON body, with
 * core.decode's checks */
int linky_json_decode(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  lua_settop(L, 1);
  return decode_checked(L, 1, text, len);
}

/* core.decode(body, spec) -> result[, decoded] | nil, "invalid_response", message
 * spec = { shape = "legacy"|"2026"|"index", metier =, measure =, curve =, keep =, reader = }
 * Load-curve and daily bodies (legacy, 2026) go through points_reader.c unless kept; what it
 * does not handle, index bodies and kept ones are decoded by lua-cjson and walked here.
 * `reader` is internal, for the specs: "cjson" takes the lua-cjson path, "fast" the reader
 * alone (a body it does not handle returns nil, "unhandled", what). */
int linky_decode(lua_State *L) {
  linky_decode_ctx c;
  const char *text, *shape, *metier, *measure, *reader;
  size_t len, bad;
  int curve, keep, body, result, ok;
  text = luaL_checklstring(L, 1, &len);
  luaL_checktype(L, 2, LUA_TTABLE);
  shape = spec_string(L, "shape", "2026");             /* 3 */
  metier = spec_string(L, "metier", "CONS");           /* 4 */
  measure = spec_string(L, "measure", NULL);           /* 5 */
  reader = spec_string(L, "reader", "");               /* 6 */
  if (strcmp(shape, "2026") != 0 && strcmp(shape, "legacy") != 0 && strcmp(shape, "index") != 0)
    return luaL_argerror(L, 2, "field 'shape' is not \"2026\", \"legacy\" or \"index\"");
  if (*reader && strcmp(reader, "cjson") != 0 && strcmp(reader, "fast") != 0)
    return luaL_argerror(L, 2, "field 'reader' is not \"cjson\" or \"fast\"");
  lua_getfield(L, 2, "curve");
  curve = lua_toboolean(L, -1);
  lua_getfield(L, 2, "keep");
  keep = lua_toboolean(L, -1);
  lua_pop(L, 2);                                        /* the spec's strings stay */
  c.msg[0] = '\0';

  if (strcmp(reader, "cjson") != 0) {
    const char *why = keep ? "a kept body is lua-cjson's" : "an index body is lua-cjson's";
    if (!keep && strcmp(shape, "index") != 0) {
      linky_reader_spec rs;
      rs.legacy = strcmp(shape, "legacy") == 0;
      rs.metier = metier;
      rs.measure = measure;
      rs.curve = curve;
      why = "the body is not valid UTF-8";            /* the lua-cjson path's to report */
      if (linky_utf8_valid(text, len, &bad) && linky_read_points(L, text, len, &rs, &why)) return 1;
    }
    if (strcmp(reader, "fast") == 0) {
      lua_pushstring(L, why);
      return linky_fail(L, "unhandled");
    }
  }

  if (decode_checked(L, 1, text, len) != 1) return 3;
  body = lua_gettop(L);
  if (!lua_istable(L, body)) {
    lua_pushliteral(L, "body is not a JSON object");
    return linky_fail(L, "invalid_response");
  }
  lua_createtable(L, 0, 6);
  result = lua_gettop(L);
  if (strcmp(shape, "legacy") == 0)
    ok = decode_legacy(L, &c, body, result, curve, !keep);
  else if (strcmp(shape, "index") == 0)
    ok = decode_index(L, &c, body, result, metier);
  else
    ok = decode_v2026(L, &c, body, result, curve, !keep, metier, measure);
  if (!ok) {
    lua_pushstring(L, c.msg);
    return linky_fail(L, "invalid_response");
  }
  lua_settop(L, result);
  if (!keep) return 1;
  lua_pushvalue(L, body);
  return 2;
}
