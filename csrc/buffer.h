/* buffer.h: a growable byte buffer with a hard size limit.
 * Used for response bodies: libcurl callbacks append, Lua reads once. */
#ifndef LINKY_BUFFER_H
#define LINKY_BUFFER_H

#include <stddef.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

typedef struct {
  char *data;
  size_t len;
  size_t cap;
  size_t limit;    /* appends past this fail with LINKY_BUF_TOO_LARGE */
  int status;      /* LINKY_BUF_* of the last append; LINKY_BUF_OK after a reset */
} linky_buffer;

enum { LINKY_BUF_OK = 0, LINKY_BUF_NOMEM, LINKY_BUF_TOO_LARGE };

void linky_buffer_reset(linky_buffer *b);
int linky_buffer_append(linky_buffer *b, const char *p, size_t n);
void linky_buffer_free(linky_buffer *b);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
