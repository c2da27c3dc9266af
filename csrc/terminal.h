/* terminal.h: what the command asks of the terminal (is it one, echo off while a token is
 * typed), with POSIX termios rather than shell commands. */
#ifndef LINKY_TERMINAL_H
#define LINKY_TERMINAL_H

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* core.isatty(fd) -> boolean: whether the descriptor is a terminal (false for any other,
 * closed or out of range). */
int linky_isatty(lua_State *L);

/* core.set_echo(fd, on) -> previous | nil, "system", message: turns the terminal's echo on or off and
 * returns whether it was on, so that the caller can put it back as it was. */
int linky_set_echo(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
