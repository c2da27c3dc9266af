/* http_client.c: the linky.HttpClient userdata, one reused libcurl easy handle (keep-alive) for
 * GET and POST requests to another service, with the caller's headers, basic auth and body. A
 * request's secrets live only in its header list, wiped and freed as soon as it has ended. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <lauxlib.h>

#include "base64url.h"
#include "buffer.h"
#include "compat.h"
#include "easy.h"
#include "http_client.h"
#include "json_bounds.h"
#include "redact.h"
#include "userdata.h"

/* Response header bytes kept: far above what a service sends, far below what memory allows. */
#define HEAD_LIMIT ((size_t)100 * 1024)
/* Secrets of one request: an Authorization header's credentials, or the basic-auth password
 * and its encoded form. */
#define MAX_SECRETS 2
#define BASIC_HEAD "Authorization: Basic "

typedef struct {
  CURL *curl;                  /* NULL once closed */
  struct curl_slist *headers;  /* the request's headers, secrets included; NULL between requests */
  linky_buffer body;
  linky_buffer head;           /* the last response's header lines */
  char *base;                  /* base URL, without a trailing "/" */
  long requests;
  long connects;               /* new TCP connections libcurl opened */
  char errbuf[CURL_ERROR_SIZE];
} linky_http;

/* handles alive in the process: what a spec checks after garbage collection */
static long open_clients = 0;

/* Wipes and frees the request's header list; libcurl is told first, so it never reads freed
 * memory. */
static void drop_headers(linky_http *c) {
  struct curl_slist *h;
  if (c->curl) curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
  for (h = c->headers; h; h = h->next) linky_wipe(h->data, strlen(h->data));
  curl_slist_free_all(c->headers);
  c->headers = NULL;
}

/* client:close(): idempotent, never raises; also __gc and __close */
static int http_close(lua_State *L) {
  linky_http *c = luaL_checkudata(L, 1, LINKY_HTTP_CLIENT);
  drop_headers(c);
  if (c->curl) {
    curl_easy_cleanup(c->curl);
    c->curl = NULL;
    open_clients--;
  }
  linky_buffer_free(&c->body);
  linky_buffer_free(&c->head);
  free(c->base);
  c->base = NULL;
  return 0;
}

static linky_http *check_open(lua_State *L) {
  linky_http *c = luaL_checkudata(L, 1, LINKY_HTTP_CLIENT);
  if (c->curl == NULL) luaL_error(L, "attempt to use a closed " LINKY_HTTP_CLIENT);
  return c;
}

/* Keeps the last response's header lines: a status line starts a response (a 1xx comes first). */
static size_t on_header(char *ptr, size_t size, size_t nitems, void *userdata) {
  linky_buffer *b = userdata;
  size_t n = size * nitems;
  if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) linky_buffer_reset(b);
  return linky_buffer_append(b, ptr, n) == LINKY_BUF_OK ? n : 0;
}

/* core.http_client{ base_url [, user_agent, timeout, connect_timeout, cainfo, proxy, max_body,
 *   insecure] } -> client. The base URL's scheme and host are checked by the Lua side
 *   (options.check_base_url, through linky.http). */
int linky_http_client(lua_State *L) {
  linky_http *c;
  linky_easy_options o;
  const char *base;
  size_t base_len;
  luaL_checktype(L, 1, LUA_TTABLE);
  base = linky_opt_string(L, "base_url", 1, 1);          /* the strings stay on the stack */
  linky_easy_read_options(L, &o, 0);

  c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, LINKY_HTTP_CLIENT);
  c->body.limit = linky_easy_limit(o.max_body);
  c->head.limit = HEAD_LIMIT;
  base_len = strlen(base);
  while (base_len > 0 && base[base_len - 1] == '/') base_len--; /* paths start with "/" */
  c->base = malloc(base_len + 1);
  if (c->base == NULL) return luaL_error(L, "not enough memory");
  memcpy(c->base, base, base_len);
  c->base[base_len] = '\0';

  c->curl = curl_easy_init();
  if (c->curl == NULL) return luaL_error(L, "curl_easy_init failed");
  open_clients++;
  linky_easy_setup(L, c->curl, c->errbuf, &o, &c->body);
  curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, &c->head);
  return 1;
}

/* Pushes nil, "invalid_argument", msg: a value the caller passed cannot be sent. */
static int invalid(lua_State *L, const char *msg) {
  lua_pushnil(L);
  lua_pushliteral(L, "invalid_argument");
  lua_pushstring(L, msg);
  return 3;
}

/* The string field `key` of the request table (index 2), pushed and kept on the stack; NULL
 * (nil pushed) when absent. Another type raises. */
static const char *field_string(lua_State *L, const char *key, size_t *len) {
  int t = lua_getfield(L, 2, key);
  *len = 0;
  if (t == LUA_TNIL) return NULL;
  if (t != LUA_TSTRING) luaL_error(L, "bad field '%s' (string expected, got %s)", key, luaL_typename(L, -1));
  return lua_tolstring(L, -1, len);
}

/* An HTTP header name (RFC 9110 token). */
static int is_token(const char *s, size_t n) {
  size_t i;
  if (n == 0) return 0;
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
          || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL)))
      return 0;
  }
  return 1;
}

/* Text that cannot start another header line or cut one short: no control byte but a tab. */
static int is_field_text(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if ((ch < 0x20 && ch != '\t') || ch == 0x7F) return 0;
  }
  return 1;
}

static int same_name(const char *s, size_t n, const char *lower) {
  size_t i;
  if (strlen(lower) != n) return 0;
  for (i = 0; i < n; i++) {
    char ch = s[i];
    if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
    if (ch != lower[i]) return 0;
  }
  return 1;
}

static struct curl_slist *last_line(struct curl_slist *h) {
  while (h && h->next) h = h->next;
  return h;
}

/* Adds the caller's headers (the table at idx) to the list; an Authorization header's
 * credentials become a secret. NULL, or why a header is refused (never its value). */
static const char *add_headers(lua_State *L, linky_http *c, int idx, linky_secret *secrets, int *nsecrets) {
  static const char *const managed[] = {"host", "content-length", "transfer-encoding", "connection", NULL};
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    size_t nlen, vlen;
    const char *name, *value;
    int i;
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "bad field 'headers' (string names and values expected, got %s = %s)",
                 luaL_typename(L, -2), luaL_typename(L, -1));
    name = lua_tolstring(L, -2, &nlen);
    value = lua_tolstring(L, -1, &vlen);
    if (!is_token(name, nlen)) {
      lua_pop(L, 2);
      return "a header name is not an HTTP token";
    }
    if (!is_field_text(value, vlen)) {
      lua_pop(L, 2);
      return "a header value holds a line break or another control character";
    }
    for (i = 0; managed[i]; i++)
      if (same_name(name, nlen, managed[i])) {
        lua_pop(L, 2);
        return "Host, Content-Length, Transfer-Encoding and Connection are set by linky";
      }
    lua_pushfstring(L, "%s: ", name);
    linky_append_header(L, &c->headers, lua_tostring(L, -1), value);
    lua_pop(L, 2); /* the head and the value; the name stays for lua_next */
    if (same_name(name, nlen, "authorization")) {
      const char *line = last_line(c->headers)->data + nlen + 2, *space = strchr(line, ' ');
      if (*nsecrets > 0) {
        lua_pop(L, 1);
        return "more than one Authorization header";
      }
      secrets[0].data = space && space[1] ? space + 1 : line; /* the credentials, after the scheme */
      secrets[0].len = strlen(secrets[0].data);
      *nsecrets = 1;
    }
  }
  return NULL;
}

/* Adds "Authorization: Basic base64(user:password)"; the plain form is wiped at once. Its
 * encoded form and the password become secrets. */
static void add_basic(lua_State *L, linky_http *c, const char *user, size_t ulen, const char *pass,
                      size_t plen, linky_secret *secrets) {
  size_t plain = ulen + 1 + plen, head = sizeof BASIC_HEAD - 1, enc = (plain + 2) / 3 * 4;
  size_t n = plain + head + enc + 1;
  char *scratch = malloc(n);
  struct curl_slist *grown = NULL;
  if (scratch != NULL) {
    char *line = scratch + plain;
    memcpy(scratch, user, ulen);
    scratch[ulen] = ':';
    memcpy(scratch + ulen + 1, pass, plen);
    memcpy(line, BASIC_HEAD, head);
    linky_base64_encode((const unsigned char *)scratch, plain, line + head);
    grown = curl_slist_append(c->headers, line);
    linky_wipe(scratch, n);
    free(scratch);
  }
  if (grown == NULL) luaL_error(L, "not enough memory");
  c->headers = grown;
  secrets[0].data = last_line(grown)->data + head;
  secrets[0].len = enc;
  secrets[1].data = pass;
  secrets[1].len = plen;
}

/* Pushes p[0..len) with the secrets redacted and every byte outside a valid UTF-8 sequence
 * replaced by "?"; the copy lives in a userdata, so a raise leaks nothing. */
static void push_text(lua_State *L, const linky_secret *secrets, int nsecrets, const char *p, size_t len) {
  char *copy = (char *)lua_newuserdatauv(L, len, 0);
  size_t at = 0, bad;
  memcpy(copy, p, len);
  len = linky_redact_all(secrets, nsecrets, copy, len);
  while (!linky_utf8_valid(copy + at, len - at, &bad)) {
    copy[at + bad] = '?';
    at += bad + 1;
  }
  lua_pushlstring(L, copy, len);
  lua_remove(L, -2);
}

/* Pushes the last response's headers: lower-case names, values trimmed, redacted and valid
 * UTF-8; a name that comes again has its values joined by ", ". */
static void push_headers(lua_State *L, const linky_http *c, const linky_secret *secrets, int nsecrets) {
  const char *p = c->head.data, *end = p ? p + c->head.len : NULL;
  lua_newtable(L);
  while (p != NULL && p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p)), *stop, *colon;
    if (eol == NULL) eol = end;
    stop = eol;
    if (stop > p && stop[-1] == '\r') stop--;
    colon = memchr(p, ':', (size_t)(stop - p));
    if (colon != NULL && !((size_t)(stop - p) >= 5 && memcmp(p, "HTTP/", 5) == 0)
        && is_token(p, (size_t)(colon - p))) {
      const char *v = colon + 1, *q;
      luaL_Buffer name;
      while (v < stop && (*v == ' ' || *v == '\t')) v++;
      while (stop > v && (stop[-1] == ' ' || stop[-1] == '\t')) stop--;
      luaL_buffinit(L, &name);
      for (q = p; q < colon; q++) luaL_addchar(&name, (*q >= 'A' && *q <= 'Z') ? (char)(*q - 'A' + 'a') : *q);
      luaL_pushresult(&name);
      lua_pushvalue(L, -1);
      if (lua_rawget(L, -3) == LUA_TSTRING) {
        lua_pushliteral(L, ", ");
        push_text(L, secrets, nsecrets, v, (size_t)(stop - v));
        lua_concat(L, 3);
      } else {
        lua_pop(L, 1);
        push_text(L, secrets, nsecrets, v, (size_t)(stop - v));
      }
      lua_rawset(L, -3);
    }
    p = eol + 1;
  }
}

/* What the request returns once libcurl has ended it with rc. */
static int outcome(lua_State *L, linky_http *c, CURLcode rc, const linky_secret *secrets, int nsecrets) {
  long status = 0, connects = 0;
  c->requests++;
  if (curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK) c->connects += connects;
  if (rc != CURLE_OK) {
    int head = c->head.status;
    linky_buffer_reset(&c->head);
    if (head == LINKY_BUF_NOMEM) return luaL_error(L, "not enough memory");
    if (head == LINKY_BUF_TOO_LARGE) {
      linky_buffer_reset(&c->body);
      lua_pushnil(L);
      lua_pushliteral(L, "invalid_response");
      lua_pushfstring(L, "response headers larger than %d bytes", (int)HEAD_LIMIT);
      return 3;
    }
    return linky_easy_failure(L, c->curl, rc, &c->body, c->errbuf, secrets, nsecrets);
  }
  curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
  lua_pushinteger(L, status);
  /* before anything decodes or keeps it */
  c->body.len = linky_redact_all(secrets, nsecrets, c->body.data, c->body.len);
  lua_pushlstring(L, c->body.data ? c->body.data : "", c->body.len);
  linky_buffer_reset(&c->body);
  push_headers(L, c, secrets, nsecrets);
  linky_buffer_reset(&c->head);
  return 3;
}

/* client:request{ method = "GET"|"POST", path = "/...", headers = {[name] = value},
 *   basic_auth = {user, password}, body = string }
 *   -> status, body, headers | nil, kind, message [, unsent]
 * Body and header values come with the request's secrets redacted. `unsent` is true when no
 * byte of the request left (no name, no connection). Redirects are answers, never followed. */
static int http_request(lua_State *L) {
  linky_http *c = check_open(L);
  linky_secret secrets[MAX_SECRETS];
  int nsecrets = 0, post, n;
  size_t len, body_len = 0, i;
  const char *method, *path, *body, *why;
  CURLcode rc;
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  drop_headers(c); /* a request that raised half-way left its list */
  method = field_string(L, "method", &len);               /* 3 */
  path = field_string(L, "path", &len);                   /* 4 */
  if (path == NULL) return luaL_error(L, "bad field 'path' (string expected, got nil)");
  if (len == 0 || path[0] != '/') return invalid(L, "path must start with \"/\"");
  for (i = 0; i < len; i++)
    if ((unsigned char)path[i] <= 0x20 || (unsigned char)path[i] >= 0x7F)
      return invalid(L, "path holds a space, a control character or a byte outside ASCII");
  body = field_string(L, "body", &body_len);              /* 5 */
  if (method == NULL || strcmp(method, "GET") == 0) post = 0;
  else if (strcmp(method, "POST") == 0) post = 1;
  else return invalid(L, "method must be \"GET\" or \"POST\"");
  if (!post && body != NULL) return invalid(L, "a GET request has no body");

  if (lua_getfield(L, 2, "headers") == LUA_TTABLE) {      /* 6 */
    why = add_headers(L, c, 6, secrets, &nsecrets);
    if (why != NULL) {
      drop_headers(c);
      return invalid(L, why);
    }
  } else if (!lua_isnil(L, 6)) {
    luaL_error(L, "bad field 'headers' (table expected, got %s)", luaL_typename(L, 6));
  }
  if (lua_getfield(L, 2, "basic_auth") == LUA_TTABLE) {   /* 7 */
    size_t ulen, plen;
    const char *user, *pass;
    lua_rawgeti(L, 7, 1);                                  /* 8 */
    lua_rawgeti(L, 7, 2);                                  /* 9 */
    if (lua_type(L, 8) != LUA_TSTRING || lua_type(L, 9) != LUA_TSTRING)
      luaL_error(L, "bad field 'basic_auth' ({user, password} strings expected)");
    user = lua_tolstring(L, 8, &ulen);
    pass = lua_tolstring(L, 9, &plen);
    why = nsecrets > 0 ? "basic_auth and an Authorization header both given"
        : memchr(user, ':', ulen) != NULL ? "a basic_auth user holds a colon"
        : !is_field_text(user, ulen) || !is_field_text(pass, plen) ? "basic_auth holds a control character"
        : NULL;
    if (why != NULL) {
      drop_headers(c);
      return invalid(L, why);
    }
    add_basic(L, c, user, ulen, pass, plen, secrets);
    nsecrets = 2;
  } else if (!lua_isnil(L, 7)) {
    luaL_error(L, "bad field 'basic_auth' (table expected, got %s)", luaL_typename(L, 7));
  }
  /* no "Expect: 100-continue" wait before a larger body */
  if (post) linky_append_header(L, &c->headers, "Expect:", "");

  lua_pushstring(L, c->base);
  lua_pushvalue(L, 4);
  lua_concat(L, 2);
  rc = curl_easy_setopt(c->curl, CURLOPT_URL, lua_tostring(L, -1)); /* libcurl copies it */
  lua_pop(L, 1);
  if (rc == CURLE_OUT_OF_MEMORY) return luaL_error(L, "not enough memory");
  if (rc != CURLE_OK) {
    drop_headers(c);
    return invalid(L, "URL refused by libcurl");
  }
  if (post) { /* the body stays on the stack (index 5) until the transfer has ended */
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body ? body : "");
  } else {
    curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
  linky_buffer_reset(&c->body);
  linky_buffer_reset(&c->head);
  c->errbuf[0] = '\0';
  n = outcome(L, c, curl_easy_perform(c->curl), secrets, nsecrets);
  drop_headers(c);
  return n;
}

/* client:stats() -> { requests =, connects = } */
static int http_stats(lua_State *L) {
  linky_http *c = check_open(L);
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, c->requests);
  lua_setfield(L, -2, "requests");
  lua_pushinteger(L, c->connects);
  lua_setfield(L, -2, "connects");
  return 1;
}

/* core.open_http_clients() -> how many clients are open (not yet closed or collected) */
int linky_open_http_clients(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)open_clients);
  return 1;
}

static int http_tostring(lua_State *L) {
  linky_http *c = luaL_checkudata(L, 1, LINKY_HTTP_CLIENT);
  return linky_push_tostring(L, LINKY_HTTP_CLIENT, c->curl ? (void *)c : NULL);
}

void linky_http_client_createmeta(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"request", http_request},
    {"stats", http_stats},
    {"close", http_close},
    {NULL, NULL}
  };
  static const luaL_Reg metamethods[] = {
    {"__gc", http_close},
    {"__close", http_close},
    {"__tostring", http_tostring},
    {NULL, NULL}
  };
  linky_createmeta(L, LINKY_HTTP_CLIENT, metamethods, methods);
}
