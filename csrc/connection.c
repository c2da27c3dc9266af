/* connection.c: authenticated HTTPS GETs through one reused libcurl handle.
 * The userdata owns every C resource, so a Lua error at any point leaks nothing.
 * Whatever a server sends back reaches Lua with the token's bytes replaced by "<token>". */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include <curl/curl.h>
#include <lauxlib.h>

#include "buffer.h"
#include "compat.h"
#include "connection.h"
#include "transport_errors.h"
#include "userdata.h"

typedef struct {
  CURL *curl;                  /* NULL once closed */
  struct curl_slist *headers;  /* holds the Authorization header */
  linky_buffer body;
  int body_status;             /* LINKY_BUF_* of the last append */
  char *base;                  /* base URL, ending in "/" */
  char *token;                 /* copy of the token, to redact what the server echoes */
  size_t token_len;
  long requests;
  long connects;               /* new TCP connections libcurl opened */
  char errbuf[CURL_ERROR_SIZE];
  CURLM *multi;                /* the non-blocking transfer's multi handle, made on first start */
  int active;                  /* curl is in multi: a transfer started and not finished */
  int done;                    /* that transfer ended with `result` */
  CURLcode result;
} linky_connection;

/* Overwrites a secret before its memory is released; volatile so it is not elided. */
static void wipe(char *p, size_t n) {
  volatile char *v = p;
  while (n--) *v++ = 0;
}

/* libcurl handles alive in the process: what a spec checks after garbage collection */
static long open_handles = 0;

static int connection_close(lua_State *L) {
  linky_connection *c = luaL_checkudata(L, 1, LINKY_CONNECTION);
  struct curl_slist *h;
  if (c->multi) { /* the easy handle leaves the multi before either is freed */
    if (c->active) curl_multi_remove_handle(c->multi, c->curl);
    c->active = 0;
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
  }
  if (c->curl) {
    curl_easy_cleanup(c->curl);
    c->curl = NULL;
    open_handles--;
  }
  for (h = c->headers; h; h = h->next) wipe(h->data, strlen(h->data));
  curl_slist_free_all(c->headers);
  c->headers = NULL;
  linky_buffer_free(&c->body);
  free(c->base);
  c->base = NULL;
  if (c->token) wipe(c->token, c->token_len);
  free(c->token);
  c->token = NULL;
  c->token_len = 0;
  return 0;
}

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
static size_t redact(const linky_connection *c, char *data, size_t len) {
  const char *tok = c->token;
  size_t n = c->token_len;
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

/* Pushes s[0..n) with the token redacted; the copy lives in a userdata, so a raise leaks nothing. */
static void push_redacted(lua_State *L, const linky_connection *c, const char *s, size_t n) {
  char *p = (char *)lua_newuserdatauv(L, n, 0);
  memcpy(p, s, n);
  lua_pushlstring(L, p, redact(c, p, n));
  lua_remove(L, -2);
}

static linky_connection *check_open(lua_State *L) {
  linky_connection *c = luaL_checkudata(L, 1, LINKY_CONNECTION);
  if (c->curl == NULL) luaL_error(L, "attempt to use a closed " LINKY_CONNECTION);
  return c;
}

static int prepare(lua_State *L);
static int outcome(lua_State *L, linky_connection *c, CURLcode rc);

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
  linky_connection *c = userdata;
  size_t n = size * nmemb;
  c->body_status = linky_buffer_append(&c->body, ptr, n);
  return c->body_status == LINKY_BUF_OK ? n : 0; /* 0 aborts the transfer */
}

/* Pushes a string option and returns it; it stays on the stack, since a string an __index
 * made is anchored nowhere else. A zero byte would cut it short and a line break in a header
 * value would start another header: both raise. */
static const char *opt_string(lua_State *L, const char *key, int required, int header) {
  size_t len;
  const char *s;
  int t = lua_getfield(L, 1, key);
  if (t == LUA_TNIL && !required) {
    lua_pop(L, 1);
    return NULL;
  }
  if (t != LUA_TSTRING) luaL_error(L, "bad option '%s' (string expected, got %s)", key, luaL_typename(L, -1));
  s = lua_tolstring(L, -1, &len);
  if (strlen(s) != len) luaL_error(L, "bad option '%s' (holds a zero byte)", key);
  if (header && strpbrk(s, "\r\n") != NULL) luaL_error(L, "bad option '%s' (holds a line break)", key);
  return s;
}

static double opt_number(lua_State *L, const char *key, double def) {
  double v = def;
  int t = lua_getfield(L, 1, key);
  if (t == LUA_TNUMBER) v = lua_tonumber(L, -1);
  else if (t != LUA_TNIL) luaL_error(L, "bad option '%s' (number expected, got %s)", key, luaL_typename(L, -1));
  lua_pop(L, 1);
  return v;
}

/* Seconds to whole milliseconds for libcurl, rounded up: a positive time under 1 ms is 1 ms,
 * not 0, which libcurl reads as "never"; anything past INT_MAX ms (24.8 days, beyond libcurl's
 * own limit on some versions) is INT_MAX ms. */
static long to_ms(double seconds) {
  double ms = ceil(seconds * 1000);
  if (!(ms >= 1)) return 1;
  if (ms >= (double)INT_MAX) return INT_MAX;
  return (long)ms;
}

/* Sets a string option of the handle; libcurl refuses strings over 8 MB, and a refused
 * option must not be silently left out (a proxy, a CA file). */
static void set_string(lua_State *L, linky_connection *c, CURLoption opt, const char *key,
                       const char *value) {
  CURLcode rc = curl_easy_setopt(c->curl, opt, value);
  if (rc == CURLE_OUT_OF_MEMORY) luaL_error(L, "not enough memory");
  if (rc != CURLE_OK) luaL_error(L, "bad option '%s' (%s)", key, curl_easy_strerror(rc));
}

/* Appends "<head><value>" to the header list; the temporary copy is wiped
 * because it may hold the token. Raises only after freeing it. */
static void append_header(lua_State *L, linky_connection *c, const char *head, const char *value) {
  size_t n = strlen(head) + strlen(value) + 1;
  char *line = malloc(n);
  struct curl_slist *grown = NULL;
  if (line != NULL) {
    snprintf(line, n, "%s%s", head, value);
    grown = curl_slist_append(c->headers, line);
    wipe(line, n);
    free(line);
  }
  if (grown == NULL) luaL_error(L, "not enough memory");
  c->headers = grown;
}

/* core.connect{ base_url, token, user_agent [, from, timeout, connect_timeout,
 *   cainfo, proxy, max_body, insecure] } -> connection */
int linky_connect(lua_State *L) {
  linky_connection *c;
  const char *base, *token, *agent, *from, *cainfo, *proxy;
  double timeout, connect_timeout, max_body;
  size_t base_len;
  luaL_checktype(L, 1, LUA_TTABLE);
  base = opt_string(L, "base_url", 1, 0);                /* the strings stay on the stack */
  token = opt_string(L, "token", 1, 1);
  agent = opt_string(L, "user_agent", 1, 1);
  from = opt_string(L, "from", 0, 1);
  cainfo = opt_string(L, "cainfo", 0, 0);
  proxy = opt_string(L, "proxy", 0, 0);
  timeout = opt_number(L, "timeout", 30);
  connect_timeout = opt_number(L, "connect_timeout", 10);
  max_body = opt_number(L, "max_body", 32.0 * 1024 * 1024);
  lua_getfield(L, 1, "insecure");
  if (!(timeout > 0 && connect_timeout > 0 && max_body >= 1))
    luaL_error(L, "bad option values (timeouts and max_body must be positive)");

  c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, LINKY_CONNECTION);
  c->body.limit = max_body >= (double)((size_t)-1) ? (size_t)-1 : (size_t)max_body;
  base_len = strlen(base);
  c->base = malloc(base_len + 2);
  if (c->base == NULL) return luaL_error(L, "not enough memory");
  memcpy(c->base, base, base_len);
  if (base_len == 0 || base[base_len - 1] != '/') c->base[base_len++] = '/';
  c->base[base_len] = '\0';
  c->token_len = strlen(token);
  c->token = malloc(c->token_len + 1);
  if (c->token == NULL) return luaL_error(L, "not enough memory");
  memcpy(c->token, token, c->token_len + 1);

  c->curl = curl_easy_init();
  if (c->curl == NULL) return luaL_error(L, "curl_easy_init failed");
  open_handles++;
  append_header(L, c, "Authorization: Bearer ", token);
  append_header(L, c, "Accept: ", "application/json");
  if (from) append_header(L, c, "From: ", from);

  curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
  set_string(L, c, CURLOPT_USERAGENT, "user_agent", agent);
  curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
  curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, to_ms(timeout));
  curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, to_ms(connect_timeout));
  curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl decodes */
  curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  if (lua_toboolean(L, -2)) { /* insecure: an explicit choice the Lua side warns about */
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
  }
  if (cainfo) set_string(L, c, CURLOPT_CAINFO, "cainfo", cainfo);
  if (proxy) set_string(L, c, CURLOPT_PROXY, "proxy", proxy);
  return 1;
}

/* connection:get(path_and_query) -> status, body, content_type | nil, kind, message [, unsent]
 * Body, content type and message come with the token redacted. `unsent` is true when the
 * failure happened before any byte of the request left (no name, no connection): the
 * service never saw it. */
static int connection_get(lua_State *L) {
  int n = prepare(L);
  linky_connection *c = lua_touserdata(L, 1);
  if (n > 0) return n;
  return outcome(L, c, curl_easy_perform(c->curl));
}

/* Sets the URL of the next request and empties the body: 0, or the count of what it pushed
 * (nil, "invalid_argument", message). Shared by get and start. */
static int prepare(lua_State *L) {
  linky_connection *c = check_open(L);
  size_t len;
  const char *path = luaL_checklstring(L, 2, &len);
  CURLcode rc;
  if (c->active) luaL_error(L, "a transfer of this " LINKY_CONNECTION " is in progress");
  luaL_argcheck(L, strlen(path) == len, 2, "path holds a zero byte");
  lua_pushstring(L, c->base);
  lua_pushvalue(L, 2);
  lua_concat(L, 2);
  rc = curl_easy_setopt(c->curl, CURLOPT_URL, lua_tostring(L, -1)); /* libcurl copies it */
  lua_pop(L, 1);
  if (rc == CURLE_OUT_OF_MEMORY) return luaL_error(L, "not enough memory");
  if (rc != CURLE_OK) { /* over 8 MB: the previous URL must not be asked again */
    lua_pushnil(L);
    lua_pushliteral(L, "invalid_argument");
    lua_pushfstring(L, "URL refused: %s", curl_easy_strerror(rc));
    return 3;
  }
  linky_buffer_reset(&c->body);
  c->body_status = LINKY_BUF_OK;
  c->errbuf[0] = '\0';
  return 0;
}

/* What get and finish return once libcurl has ended a transfer with rc. */
static int outcome(lua_State *L, linky_connection *c, CURLcode rc) {
  long status = 0, connects = 0, sent = -1;
  char *ctype = NULL;
  c->requests++;
  if (curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
    c->connects += connects;
  if (rc != CURLE_OK) {
    const char *kind = linky_curl_kind(rc);
    if (c->body_status == LINKY_BUF_TOO_LARGE) {
      char limit[32];
      snprintf(limit, sizeof limit, "%llu", (unsigned long long)c->body.limit);
      lua_pushnil(L);
      lua_pushliteral(L, "invalid_response");
      lua_pushfstring(L, "response body larger than max_body (%s bytes)", limit);
    } else if (c->body_status == LINKY_BUF_NOMEM || kind == NULL) {
      linky_buffer_reset(&c->body);
      return luaL_error(L, "not enough memory");
    } else {
      const char *msg = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
      linky_buffer_reset(&c->body);
      lua_pushnil(L);
      lua_pushstring(L, kind);
      push_redacted(L, c, msg, strlen(msg));
      if ((rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_COULDNT_CONNECT)
          && curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK && sent == 0) {
        lua_pushboolean(L, 1);
        return 4;
      }
      return 3;
    }
    linky_buffer_reset(&c->body);
    return 3;
  }
  curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ctype);
  c->body.len = redact(c, c->body.data, c->body.len); /* before anything decodes or keeps it */
  lua_pushinteger(L, status);
  lua_pushlstring(L, c->body.data ? c->body.data : "", c->body.len);
  linky_buffer_reset(&c->body);
  if (ctype) push_redacted(L, c, ctype, strlen(ctype)); else lua_pushnil(L);
  return 3;
}

/* connection:start(path_and_query) -> true | nil, "invalid_argument", message
 * Starts the request without waiting: perform advances it, finish ends it. */
static int connection_start(lua_State *L) {
  int n = prepare(L);
  linky_connection *c = lua_touserdata(L, 1);
  CURLMcode mc;
  if (n > 0) return n;
  if (c->multi == NULL && (c->multi = curl_multi_init()) == NULL)
    return luaL_error(L, "not enough memory");
  mc = curl_multi_add_handle(c->multi, c->curl);
  if (mc == CURLM_OUT_OF_MEMORY) return luaL_error(L, "not enough memory");
  if (mc != CURLM_OK) return luaL_error(L, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
  c->active = 1;
  c->done = 0;
  lua_pushboolean(L, 1);
  return 1;
}

/* connection:perform() -> true (ended: call finish) | false, fds, timeout
 * Advances the transfer without blocking. While it runs, fds maps each file descriptor to wait
 * on to "r", "w" or "rw", and timeout is the longest wait in seconds before calling again. */
static int connection_perform(lua_State *L) {
  linky_connection *c = check_open(L);
  int running = 0, queued, maxfd = -1, fd;
  long ms = -1;
  CURLMsg *m;
  CURLMcode mc;
  fd_set rd, wr, ex;
  if (!c->active) return luaL_error(L, "no transfer of this " LINKY_CONNECTION " is in progress");
  if (!c->done) {
    mc = curl_multi_perform(c->multi, &running);
    while ((m = curl_multi_info_read(c->multi, &queued)) != NULL) {
      if (m->msg == CURLMSG_DONE && m->easy_handle == c->curl) {
        c->done = 1;
        c->result = m->data.result;
      }
    }
    if (!c->done && mc != CURLM_OK) { /* the multi handle itself failed: end the transfer */
      c->done = 1;
      c->result = mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_SEND_ERROR;
    }
  }
  if (c->done) {
    lua_pushboolean(L, 1);
    return 1;
  }
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_ZERO(&ex);
  curl_multi_fdset(c->multi, &rd, &wr, &ex, &maxfd);
  curl_multi_timeout(c->multi, &ms);
  /* no descriptor yet (a name being resolved): libcurl advises calling again within 100 ms */
  if (maxfd < 0 && (ms < 0 || ms > 100)) ms = 100;
  if (ms < 0) ms = 1000;
  lua_pushboolean(L, 0);
  lua_newtable(L);
  for (fd = 0; fd <= maxfd; fd++) {
    int r = FD_ISSET(fd, &rd), w = FD_ISSET(fd, &wr);
    if (!r && !w) continue;
    lua_pushstring(L, r && w ? "rw" : r ? "r" : "w");
    lua_rawseti(L, -2, fd);
  }
  lua_pushnumber(L, (double)ms / 1000);
  return 3;
}

/* connection:finish() -> what get returns, once perform returned true */
static int connection_finish(lua_State *L) {
  linky_connection *c = check_open(L);
  if (!c->active || !c->done) return luaL_error(L, "no ended transfer of this " LINKY_CONNECTION);
  curl_multi_remove_handle(c->multi, c->curl);
  c->active = 0;
  c->done = 0;
  return outcome(L, c, c->result);
}

/* connection:cancel() -> nothing: abandons the transfer in progress, if any */
static int connection_cancel(lua_State *L) {
  linky_connection *c = check_open(L);
  if (c->active) {
    curl_multi_remove_handle(c->multi, c->curl);
    c->active = 0;
    c->done = 0;
    linky_buffer_reset(&c->body);
  }
  return 0;
}

/* connection:stats() -> { requests =, connects = } */
static int connection_stats(lua_State *L) {
  linky_connection *c = check_open(L);
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, c->requests);
  lua_setfield(L, -2, "requests");
  lua_pushinteger(L, c->connects);
  lua_setfield(L, -2, "connects");
  return 1;
}

/* core.open_connections() -> how many connections are open (not yet closed or collected) */
int linky_open_connections(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)open_handles);
  return 1;
}

static int connection_tostring(lua_State *L) {
  linky_connection *c = luaL_checkudata(L, 1, LINKY_CONNECTION);
  return linky_push_tostring(L, LINKY_CONNECTION, c->curl ? (void *)c : NULL);
}

void linky_connection_createmeta(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"get", connection_get},
    {"start", connection_start},
    {"perform", connection_perform},
    {"finish", connection_finish},
    {"cancel", connection_cancel},
    {"stats", connection_stats},
    {"close", connection_close},
    {NULL, NULL}
  };
  static const luaL_Reg metamethods[] = {
    {"__gc", connection_close},
    {"__close", connection_close},
    {"__tostring", connection_tostring},
    {NULL, NULL}
  };
  linky_createmeta(L, LINKY_CONNECTION, metamethods, methods);
}
