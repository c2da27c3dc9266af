/* transport_errors.h: libcurl failures mapped to linky error kinds. */
#ifndef LINKY_TRANSPORT_ERRORS_H
#define LINKY_TRANSPORT_ERRORS_H

#include <curl/curl.h>

/* "timeout", "network", "tls", "invalid_argument" or NULL for out of memory. */
const char *linky_curl_kind(CURLcode code);

#endif
