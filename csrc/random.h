/* random.h: linky's own randomness (the cron minute, the retry jitter): the system's random
 * source and a private generator, so that math.random stays the host program's alone. */
#ifndef LINKY_RANDOM_H
#define LINKY_RANDOM_H

#include <stddef.h>

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* Fills out with n bytes of the system's random source: getrandom(2) where there is one, else
 * /dev/urandom (a character device only: a planted FIFO would block). 0, or an errno value. */
int linky_random_fill(void *out, size_t n);

/* Sets core.random_bytes(n) -> bytes | nil, "system", message and core.random() -> [0, 1) on the table at
 * the top of the stack. */
void linky_random_register(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
