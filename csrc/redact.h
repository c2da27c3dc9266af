/* redact.h: a secret's bytes replaced by "<token>" in what a server sends back,
 * the whole token and each of its long dot-separated segments. */
#ifndef LINKY_REDACT_H
#define LINKY_REDACT_H

#include <stddef.h>

#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* A secret that must never leave in a message or a body: its bytes become "<token>". */
typedef struct {
  const char *data; /* NULL: nothing to redact */
  size_t len;
} linky_secret;

/* Redacts token[0..token_len) in data[0..len), in place; returns the new length. A NULL data
 * or token leaves it as it is. */
size_t linky_redact(const char *token, size_t token_len, char *data, size_t len);

/* Pushes s[0..n) with the token redacted; the copy lives in a userdata, so a raise leaks nothing. */
void linky_push_redacted(lua_State *L, const char *token, size_t token_len, const char *s, size_t n);

/* linky_redact of each secret in turn, then again until none is found; returns the new length. */
size_t linky_redact_all(const linky_secret *secrets, int n, char *data, size_t len);

/* linky_push_redacted for several secrets. */
void linky_push_redacted_all(lua_State *L, const linky_secret *secrets, int n, const char *s, size_t len);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
