/* buffer.c: growable byte buffer with a hard size limit.
 * Memory is kept between requests so a steady client does not reallocate. */
#include <stdlib.h>
#include <string.h>

#include "buffer.h"

/* Keep the allocation when it is small: it will be reused by the next body. */
#define LINKY_BUF_KEEP ((size_t)1 << 20)

void linky_buffer_reset(linky_buffer *b) {
  b->len = 0;
  b->status = LINKY_BUF_OK;
  if (b->cap > LINKY_BUF_KEEP) {
    free(b->data);
    b->data = NULL;
    b->cap = 0;
  }
}

int linky_buffer_append(linky_buffer *b, const char *p, size_t n) {
  if (n > b->limit - b->len) return b->status = LINKY_BUF_TOO_LARGE;
  if (n > b->cap - b->len) {
    size_t want = b->len + n;
    size_t cap = b->cap ? b->cap : 16384;
    char *grown;
    while (cap < want) cap = cap > ((size_t)-1) / 2 ? want : cap * 2;
    grown = realloc(b->data, cap);
    if (grown == NULL) return b->status = LINKY_BUF_NOMEM;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return b->status = LINKY_BUF_OK;
}

void linky_buffer_free(linky_buffer *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->status = LINKY_BUF_OK;
}
