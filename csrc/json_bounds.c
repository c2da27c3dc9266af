/* json_bounds.c: UTF-8 validation and an array/object count of untrusted JSON bytes, before
 * lua-cjson decodes them. Hand-written: lua-cjson bounds only the depth, and each check is a
 * single loop over the bytes that must run before cjson allocates anything. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json_bounds.h"

int linky_utf8_valid(const char *s, size_t len, size_t *bad) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  while (p < end) {
    unsigned c = *p, lo = 0x80, hi = 0xBF;
    size_t need, k;
    if (c < 0x80) {
      /* ASCII, the bulk of every body: eight bytes a step */
      while ((size_t)(end - p) >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        if (w & UINT64_C(0x8080808080808080)) break;
        p += 8;
      }
      while (p < end && *p < 0x80) p++;
      continue;
    }
    /* the first continuation byte's range rules out overlong forms, surrogates
     * and code points past U+10FFFF (RFC 3629, section 4) */
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c == 0xE0) { need = 2; lo = 0xA0; }
    else if (c == 0xED) { need = 2; hi = 0x9F; }
    else if (c >= 0xE1 && c <= 0xEF) need = 2;
    else if (c == 0xF0) { need = 3; lo = 0x90; }
    else if (c == 0xF4) { need = 3; hi = 0x8F; }
    else if (c >= 0xF1 && c <= 0xF3) need = 3;
    else break;
    if ((size_t)(end - p) <= need || p[1] < lo || p[1] > hi) break;
    for (k = 2; k <= need && (p[k] & 0xC0) == 0x80; k++) {}
    if (k <= need) break;
    p += need + 1;
  }
  if (p == end) return 1;
  *bad = (size_t)(p - (const unsigned char *)s);
  return 0;
}

size_t linky_json_container_limit(size_t len) {
  if (len > LINKY_JSON_SMALL_BODY && len / LINKY_JSON_BYTES_PER_CONTAINER < LINKY_JSON_MAX_CONTAINERS)
    return len / LINKY_JSON_BYTES_PER_CONTAINER;
  return LINKY_JSON_MAX_CONTAINERS;
}

int linky_json_shape_ok(const char *s, size_t len, char *msg, size_t size) {
  size_t i, count = 0, limit = linky_json_container_limit(len);
  for (i = 0; i < len; i++) {
    char c = s[i];
    if (c == '"') { /* to the closing quote: one not escaped by an odd run of backslashes */
      for (;;) {
        const char *q = memchr(s + i + 1, '"', len - i - 1);
        size_t j;
        if (q == NULL) return 1;        /* an unterminated string: cjson refuses the text */
        i = (size_t)(q - s);
        for (j = i; s[j - 1] == '\\'; j--) {} /* stops at the opening quote at the latest */
        if ((i - j) % 2 == 0) break;
      }
    } else if ((c == '[' || c == '{') && ++count > limit) {
      snprintf(msg, size, "body opens more than %lu arrays and objects in %lu bytes",
               (unsigned long)limit, (unsigned long)len);
      return 0;
    }
  }
  return 1;
}
