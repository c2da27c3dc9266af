/* base64url.c: base64url decoding for the token payload.
 * Strict: rejects the standard alphabet's '+' and '/', stray padding and bad lengths. */
#include "base64url.h"

static int sextet(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

long linky_base64url_decode(const char *s, size_t n, unsigned char *out) {
  unsigned long acc = 0;
  int bits = 0;
  long len = 0;
  size_t i;
  while (n > 0 && s[n - 1] == '=') n--; /* optional padding */
  if (n % 4 == 1) return -1;
  for (i = 0; i < n; i++) {
    int v = sextet((unsigned char)s[i]);
    if (v < 0) return -1;
    acc = (acc << 6) | (unsigned long)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[len++] = (unsigned char)((acc >> bits) & 0xFF);
    }
  }
  return len;
}
