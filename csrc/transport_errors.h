/* transport_errors.h: the kinds of linky.core's run-time failures: libcurl's codes mapped to
 * them, and the failure every function returns (see core.c's header for the list). */
#ifndef LINKY_TRANSPORT_ERRORS_H
#define LINKY_TRANSPORT_ERRORS_H

#include <curl/curl.h>
#include <lua.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

/* "timeout", "network", "tls", "invalid_argument" or NULL for out of memory. */
const char *linky_curl_kind(CURLcode code);

/* Turns the message at the top of the stack into a run-time failure, nil, kind, message, and
 * returns 3 (a caller with a fourth value pushes it and returns 4). */
int linky_fail(lua_State *L, const char *kind);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
