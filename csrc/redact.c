/* redact.c: the token's bytes replaced by "<token>" in whatever a server sends back,
 * in place (each replacement shrinks the bytes), before anything decodes or keeps them. */
#include <string.h>

#include <lua.h>

#include "compat.h"
#include "redact.h"

#define REDACTED "<token>"
#define REDACTED_LEN (sizeof REDACTED - 1)
/* A needle shorter than this is not replaced: a segment of a few bytes also occurs in
 * ordinary text, so a segment shorter than 8 bytes is left alone (it goes with the whole
 * token). A needle longer than REDACTED also makes each replacement shrink the bytes: it works
 * in place and cannot loop. A token linky.new accepts (a JWT listing a PRM) is far longer. */
#define REDACT_MIN 8

/* Like lstrlib's lmemfind: memchr for the first byte, memcmp for the rest. The needle is the
 * user's token, not chosen by the server, so the scan stays close to linear. */
static const char *find(const char *s, size_t n, const char *needle, size_t m) {
  const char *last;
  if (m > n) return NULL;
  last = s + (n - m);
  while (s <= last) {
    const char *p = memchr(s, needle[0], (size_t)(last - s) + 1);
    if (p == NULL) return NULL;
    if (memcmp(p + 1, needle + 1, m - 1) == 0) return p;
    s = p + 1;
  }
  return NULL;
}

/* Replaces each occurrence of needle in data[0..len) by REDACTED, left to right, in place;
 * returns the new length and sets *hits when it replaced any. */
static size_t replace(char *data, size_t len, const char *needle, size_t m, int *hits) {
  size_t r = 0, w = 0; /* read and write offsets: w <= r since m > REDACTED_LEN */
  const char *p;
  if (m < REDACT_MIN) return len;
  while ((p = find(data + r, len - r, needle, m)) != NULL) {
    size_t at = (size_t)(p - data);
    if (w != r) memmove(data + w, data + r, at - r);
    w += at - r;
    memcpy(data + w, REDACTED, REDACTED_LEN);
    w += REDACTED_LEN;
    r = at + m;
    *hits = 1;
  }
  if (w != r) memmove(data + w, data + r, len - r);
  return w + (len - r);
}

/* The length of the dot-separated segment of tok[0..n) that starts at *pos; moves *pos past it. */
static size_t next_segment(const char *tok, size_t n, size_t *pos) {
  size_t start = *pos, end = start;
  while (end < n && tok[end] != '.') end++;
  *pos = end + 1;
  return end - start;
}

/* Replaces in data[0..len) the token, then each of its dot-separated segments, longest first
 * (a segment inside another must not cut that one up), by "<token>"; again until a pass finds
 * nothing, since a replacement next to other bytes could form a needle of an odd token.
 * Returns the new length. */
size_t linky_redact(const char *token, size_t token_len, char *data, size_t len) {
  const char *tok = token;
  size_t n = token_len;
  int hits;
  if (data == NULL || tok == NULL) return len;
  do {
    size_t below = n; /* segments shorter than this are still to do; the token has been */
    hits = 0;
    len = replace(data, len, tok, n, &hits);
    for (;;) {
      size_t pos = 0, longest = 0, m;
      while (pos <= n) {
        m = next_segment(tok, n, &pos);
        if (m < below && m > longest) longest = m;
      }
      if (longest < REDACT_MIN) break;
      for (pos = 0; pos <= n;) {
        size_t start = pos;
        m = next_segment(tok, n, &pos);
        if (m == longest) len = replace(data, len, tok + start, m, &hits);
      }
      below = longest;
    }
  } while (hits > 0);
  return len;
}

/* A pass over every secret shrinks the bytes or leaves them as they are: repeated until it
 * leaves them, since a replacement next to other bytes could form another secret. */
size_t linky_redact_all(const linky_secret *secrets, int n, char *data, size_t len) {
  size_t before;
  int i;
  do {
    before = len;
    for (i = 0; i < n; i++) len = linky_redact(secrets[i].data, secrets[i].len, data, len);
  } while (len != before);
  return len;
}

/* Pushes s[0..n) with the token redacted; the copy lives in a userdata, so a raise leaks nothing. */
void linky_push_redacted(lua_State *L, const char *token, size_t token_len, const char *s, size_t n) {
  linky_secret one;
  one.data = token;
  one.len = token_len;
  linky_push_redacted_all(L, &one, 1, s, n);
}

void linky_push_redacted_all(lua_State *L, const linky_secret *secrets, int n, const char *s, size_t len) {
  char *p = (char *)lua_newuserdatauv(L, len, 0);
  memcpy(p, s, len);
  lua_pushlstring(L, p, linky_redact_all(secrets, n, p, len));
  lua_remove(L, -2);
}
