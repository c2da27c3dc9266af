/* base64url.c: base64url decoding for the token payload (strict: rejects the standard
 * alphabet's '+' and '/', stray padding and bad lengths), and the standard encoding for HTTP
 * basic auth. Hand-written: libcurl's own base64 is not public, and these are a few lines. */
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

size_t linky_base64_encode(const unsigned char *in, size_t n, char *out) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i, len = 0;
  for (i = 0; i < n; i += 3) {
    unsigned long v = (unsigned long)in[i] << 16;
    if (i + 1 < n) v |= (unsigned long)in[i + 1] << 8;
    if (i + 2 < n) v |= in[i + 2];
    out[len++] = alphabet[(v >> 18) & 63];
    out[len++] = alphabet[(v >> 12) & 63];
    out[len++] = alphabet[(v >> 6) & 63];
    out[len++] = alphabet[v & 63];
    if (i + 2 >= n) out[len - 1] = '='; /* padding */
    if (i + 1 >= n) out[len - 2] = '=';
  }
  out[len] = '\0';
  return len;
}
