/* fuzz_core.c: libFuzzer target over the C entry points that take untrusted bytes.
 * Each input goes to the base64url, timestamp and step parsers directly, then through
 * fuzz/harness.lua: the body normaliser for every kind, the token path, the error-body reader. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "base64url.h"
#include "calendar.h"

int luaopen_linky_core(lua_State *L);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;
static int harness; /* registry reference of the function harness.lua returns */

/* Pushes data base64url-encoded without padding (the token payload form). */
static void push_base64url(const uint8_t *data, size_t size) {
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  luaL_Buffer b;
  size_t i;
  luaL_buffinit(L, &b);
  for (i = 0; i < size; i += 3) {
    uint32_t n = (uint32_t)data[i] << 16;
    size_t left = size - i;
    if (left > 1) n |= (uint32_t)data[i + 1] << 8;
    if (left > 2) n |= data[i + 2];
    luaL_addchar(&b, abc[(n >> 18) & 63]);
    luaL_addchar(&b, abc[(n >> 12) & 63]);
    if (left > 1) luaL_addchar(&b, abc[(n >> 6) & 63]);
    if (left > 2) luaL_addchar(&b, abc[n & 63]);
  }
  luaL_pushresult(&b);
}

/* NOLINTNEXTLINE(readability-non-const-parameter): libFuzzer's signature */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  L = luaL_newstate();
  if (L == NULL) abort();
  luaL_openlibs(L);
  /* the module under test is linked in: require "linky.core" finds it through preload */
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_linky_core);
  lua_setfield(L, -2, "linky.core");
  lua_pop(L, 1);
  if (luaL_dofile(L, "fuzz/harness.lua") != LUA_OK || !lua_isfunction(L, -1)) {
    fprintf(stderr, "fuzz/harness.lua: %s\n", lua_tostring(L, -1));
    abort();
  }
  harness = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  unsigned char *out = malloc((size / 4 + 1) * 3);
  linky_stamp st;
  if (out == NULL) return 0;
  (void)linky_base64url_decode(s, size, out);
  free(out);
  if (linky_parse_stamp(s, size, &st)) (void)linky_stamp_to_utc(&st, 0, 0);
  (void)linky_parse_duration(s, size);
  /* untrusted bytes must never make linky raise: a Lua error here is a finding too */
  lua_rawgeti(L, LUA_REGISTRYINDEX, harness);
  lua_pushlstring(L, s, size);
  push_base64url(data, size);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    fprintf(stderr, "harness raised: %s\n", lua_tostring(L, -1));
    abort();
  }
  /* a full collection after each input: what the input allocated is freed within it, so
   * libFuzzer's leak check (mallocs > frees) only fires on real leaks */
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}
