/* userdata.c: the metatable and printing shared by the userdata types of linky.core,
 * built the way liolib builds its file handles. */
#include "compat.h"
#include "userdata.h"

void linky_createmeta(lua_State *L, const char *name, const luaL_Reg *metamethods, const luaL_Reg *methods) {
  luaL_newmetatable(L, name);
  luaL_setfuncs(L, metamethods, 0);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

int linky_push_tostring(lua_State *L, const char *name, const void *open) {
  if (open == NULL) lua_pushfstring(L, "%s: closed", name);
  else lua_pushfstring(L, "%s: %p", name, open);
  return 1;
}
