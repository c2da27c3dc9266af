/* base64url.h: decoding of the JWT segments (RFC 4648 section 5, padding optional), and the
 * standard base64 encoding of HTTP basic auth credentials (RFC 4648 section 4, padded). */
#ifndef LINKY_BASE64URL_H
#define LINKY_BASE64URL_H

#include <stddef.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* Decodes n characters of s into out, which must hold (n / 4 + 1) * 3 bytes.
 * Returns the decoded length, or -1 on a character or length that is not base64url. */
long linky_base64url_decode(const char *s, size_t n, unsigned char *out);

/* Encodes n bytes of in into out, which must hold (n + 2) / 3 * 4 + 1 bytes; NUL-terminated.
 * Returns the encoded length. */
size_t linky_base64_encode(const unsigned char *in, size_t n, char *out);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
