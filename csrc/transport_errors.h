/* transport_errors.h: libcurl failures mapped to linky error kinds. */
#ifndef LINKY_TRANSPORT_ERRORS_H
#define LINKY_TRANSPORT_ERRORS_H

#include <curl/curl.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* "timeout", "network", "tls", "invalid_argument" or NULL for out of memory. */
const char *linky_curl_kind(CURLcode code);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
