/* terminal.c: the terminal helpers of the command (isatty, echo off while a token is typed),
 * here because Debian 12's luaposix has no Lua 5.4 build and the command runs no shell. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <lauxlib.h>

#include "compat.h"
#include "terminal.h"
#include "transport_errors.h"

/* core.isatty(fd) -> boolean */
int linky_isatty(lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  lua_pushboolean(L, fd >= 0 && fd <= INT_MAX && isatty((int)fd));
  return 1;
}

/* core.set_echo(fd, on) -> previous | nil, "system", message */
int linky_set_echo(lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  int on, was, r;
  struct termios t;
  luaL_checktype(L, 2, LUA_TBOOLEAN);
  on = lua_toboolean(L, 2);
  if (fd < 0 || fd > INT_MAX) {
    errno = EBADF;
    r = -1;
  } else {
    r = tcgetattr((int)fd, &t);
  }
  if (r == 0) {
    was = (t.c_lflag & ECHO) != 0;
    if (on) t.c_lflag |= ECHO;
    else t.c_lflag &= ~(tcflag_t)ECHO;
    /* TCSANOW: what was typed before the change stays in the input queue */
    do {
      r = tcsetattr((int)fd, TCSANOW, &t);
    } while (r != 0 && errno == EINTR);
  }
  if (r != 0) {
    lua_pushfstring(L, "cannot set the terminal's echo: %s", strerror(errno));
    return linky_fail(L, "system");
  }
  lua_pushboolean(L, was);
  return 1;
}
