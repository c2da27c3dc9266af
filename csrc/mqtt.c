/* mqtt.c: linky.mqtt, a module of its own (build/linky/mqtt.so, the linky-mqtt rock): one MQTT
 * client userdata over libmosquitto, driven by mosquitto_loop on this thread under a deadline. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <mosquitto.h>

#include "clock.h"
#include "compat.h"

#define LINKY_MQTT_CLIENT "linky.mqtt.Client"
/* The longest a host name or a topic may be: far above any real one. */
#define MAX_HOST 255
/* The longest single wait inside the loop, in ms: the deadline is checked at least this often. */
#define SLICE_MS 200
/* MQTT's largest payload (a remaining length of at most 268435455), less room for the topic. */
#define MAX_PAYLOAD ((size_t)256 * 1024 * 1024)

typedef struct {
  struct mosquitto *mosq; /* NULL once closed */
  char host[MAX_HOST + 1];
  int port;
  int keepalive;
  double connect_timeout, timeout; /* seconds */
  double deadline;                 /* monotonic seconds; set by connect */
  int connected;                   /* a CONNACK accepted, no disconnection since */
  int connack;                     /* the CONNACK's code; -1 before one came */
  int waiting_mid;                 /* the QoS 1 message waited for */
  int acked;                       /* its PUBACK came */
} linky_mqtt;

static int initialised = 0;
/* clients alive in the process: what a spec checks after garbage collection */
static long open_clients = 0;

/* Callbacks: pure C, they only note what happened for the loop below. */
static void on_connect(struct mosquitto *mosq, void *obj, int rc) {
  linky_mqtt *c = obj;
  (void)mosq;
  c->connack = rc;
  c->connected = rc == 0;
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc) {
  linky_mqtt *c = obj;
  (void)mosq;
  (void)rc;
  c->connected = 0;
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid) {
  linky_mqtt *c = obj;
  (void)mosq;
  if (mid == c->waiting_mid) c->acked = 1;
}

/* client:close(): idempotent, never raises; also __gc and __close. Without a `disconnect`
 * first, the broker sends the last will, as for a crash. */
static int mqtt_close(lua_State *L) {
  linky_mqtt *c = luaL_checkudata(L, 1, LINKY_MQTT_CLIENT);
  if (c->mosq) {
    mosquitto_destroy(c->mosq);
    c->mosq = NULL;
    c->connected = 0;
    open_clients--;
  }
  return 0;
}

static linky_mqtt *check_open(lua_State *L) {
  linky_mqtt *c = luaL_checkudata(L, 1, LINKY_MQTT_CLIENT);
  if (c->mosq == NULL) luaL_error(L, "attempt to use a closed " LINKY_MQTT_CLIENT);
  return c;
}

/* Pushes nil, kind, message and returns 3: the failure of every client method. */
static int fail(lua_State *L, const char *kind, const char *message) {
  lua_pushnil(L);
  lua_pushstring(L, kind);
  lua_pushstring(L, message);
  return 3;
}

/* The failure of a libmosquitto return code. */
static int fail_rc(lua_State *L, linky_mqtt *c, int rc, const char *during) {
  const char *kind = "network";
  int err = errno;
  if (rc == MOSQ_ERR_TLS || rc == MOSQ_ERR_TLS_HANDSHAKE || rc == MOSQ_ERR_OCSP) kind = "tls";
  else if (rc == MOSQ_ERR_INVAL || rc == MOSQ_ERR_PAYLOAD_SIZE || rc == MOSQ_ERR_MALFORMED_UTF8 ||
           rc == MOSQ_ERR_QOS_NOT_SUPPORTED || rc == MOSQ_ERR_OVERSIZE_PACKET) kind = "invalid_argument";
  else if (rc == MOSQ_ERR_NOMEM) kind = "network";
  lua_pushnil(L);
  lua_pushstring(L, kind);
  if (rc == MOSQ_ERR_ERRNO)
    lua_pushfstring(L, "%s %s:%d: %s", during, c->host, c->port, strerror(err));
  else
    lua_pushfstring(L, "%s %s:%d: %s", during, c->host, c->port, mosquitto_strerror(rc));
  return 3;
}

static int fail_timeout(lua_State *L, linky_mqtt *c, const char *during) {
  lua_pushnil(L);
  lua_pushstring(L, "timeout");
  lua_pushfstring(L, "%s %s:%d: no answer in time", during, c->host, c->port);
  return 3;
}

/* One turn of the network loop, waiting at most until `until` (monotonic seconds). */
static int turn(linky_mqtt *c, double until) {
  double left = until - linky_monotonic();
  int ms = left <= 0 ? 0 : (int)(left * 1000) + 1;
  if (ms > SLICE_MS) ms = SLICE_MS;
  return mosquitto_loop(c->mosq, ms, 1);
}

/* The refusal of a CONNACK code (MQTT 3.1.1 codes, and MQTT 5 reason codes). */
static int fail_connack(lua_State *L, linky_mqtt *c) {
  int rc = c->connack;
  const char *kind = (rc == 4 || rc == 5 || rc == 134 || rc == 135) ? "unauthorized" : "network";
  lua_pushnil(L);
  lua_pushstring(L, kind);
  lua_pushfstring(L, "connect %s:%d: the broker refused: %s", c->host, c->port,
                  rc < 128 ? mosquitto_connack_string(rc) : mosquitto_reason_string(rc));
  return 3;
}

/* mqtt.new{ host = , port = , username = , password = , cafile = , client_id = ,
 *   will = { topic = , payload = , qos = , retain = }, connect_timeout = , timeout = ,
 *   keepalive = } -> client | nil, kind, message (nothing is sent before connect) */
static int mqtt_new(lua_State *L) {
  const char *host, *username = NULL, *password = NULL, *cafile = NULL, *client_id = NULL;
  const char *will_topic = NULL, *will_payload = NULL;
  size_t host_len, will_len = 0;
  lua_Integer port, keepalive, will_qos = 1;
  lua_Number connect_timeout, timeout;
  int will_retain = 0, rc;
  linky_mqtt *c;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "host");
  host = luaL_checklstring(L, -1, &host_len);
  lua_getfield(L, 1, "port");
  port = luaL_checkinteger(L, -1);
  lua_getfield(L, 1, "username");
  username = luaL_optstring(L, -1, NULL);
  lua_getfield(L, 1, "password");
  password = luaL_optstring(L, -1, NULL);
  lua_getfield(L, 1, "cafile");
  cafile = luaL_optstring(L, -1, NULL);
  lua_getfield(L, 1, "client_id");
  client_id = luaL_optstring(L, -1, NULL);
  lua_getfield(L, 1, "connect_timeout");
  connect_timeout = luaL_optnumber(L, -1, 10);
  lua_getfield(L, 1, "timeout");
  timeout = luaL_optnumber(L, -1, 30);
  lua_getfield(L, 1, "keepalive");
  keepalive = luaL_optinteger(L, -1, 60);
  if (lua_getfield(L, 1, "will") != LUA_TNIL) {
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_getfield(L, -1, "topic");
    will_topic = luaL_checkstring(L, -1);
    lua_getfield(L, -2, "payload");
    will_payload = luaL_checklstring(L, -1, &will_len);
    lua_getfield(L, -3, "qos");
    will_qos = luaL_optinteger(L, -1, 1);
    lua_getfield(L, -4, "retain");
    will_retain = lua_toboolean(L, -1);
  }
  if (host_len == 0 || host_len > MAX_HOST || strlen(host) != host_len)
    return luaL_error(L, "bad host for " LINKY_MQTT_CLIENT);
  luaL_argcheck(L, port > 0 && port < 65536, 1, "port must be 1 to 65535");
  luaL_argcheck(L, connect_timeout > 0 && timeout > 0, 1, "timeouts must be positive");
  luaL_argcheck(L, keepalive >= 5 && keepalive <= 65535, 1, "keepalive must be 5 to 65535");
  luaL_argcheck(L, will_qos >= 0 && will_qos <= 2, 1, "will qos must be 0, 1 or 2");

  /* the userdata owns the client before anything can raise again */
  c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, LINKY_MQTT_CLIENT);
  memcpy(c->host, host, host_len + 1);
  c->port = (int)port;
  c->keepalive = (int)keepalive;
  c->connect_timeout = connect_timeout;
  c->timeout = timeout;
  c->connack = -1;
  c->waiting_mid = -1;
  if (!initialised) { /* once per process, never cleaned up (as curl_global_init in core) */
    mosquitto_lib_init();
    initialised = 1;
  }
  c->mosq = mosquitto_new(client_id, 1, c);
  if (c->mosq == NULL) return fail(L, errno == EINVAL ? "invalid_argument" : "network",
                                   "cannot create an MQTT client");
  open_clients++;
  mosquitto_connect_callback_set(c->mosq, on_connect);
  mosquitto_disconnect_callback_set(c->mosq, on_disconnect);
  mosquitto_publish_callback_set(c->mosq, on_publish);
  rc = mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  if (rc == MOSQ_ERR_SUCCESS && (username || password))
    rc = mosquitto_username_pw_set(c->mosq, username, password);
  if (rc == MOSQ_ERR_SUCCESS && cafile) rc = mosquitto_tls_set(c->mosq, cafile, NULL, NULL, NULL, NULL);
  if (rc == MOSQ_ERR_SUCCESS && will_topic)
    rc = mosquitto_will_set(c->mosq, will_topic, (int)will_len, will_payload, (int)will_qos, will_retain);
  if (rc != MOSQ_ERR_SUCCESS) {
    /* tls_set checks the CA file can be opened: a missing one is a TLS setup failure */
    int r = fail_rc(L, c, rc == MOSQ_ERR_INVAL && cafile ? MOSQ_ERR_TLS : rc, "set up");
    lua_pushcfunction(L, mqtt_close);
    lua_pushvalue(L, -5); /* the userdata, below nil, kind, message */
    lua_call(L, 1, 0);
    return r;
  }
  return 1;
}

/* client:connect() -> true | nil, kind, message; starts the total deadline */
static int mqtt_connect(lua_State *L) {
  linky_mqtt *c = check_open(L);
  double until;
  int rc;
  if (c->connected) {
    lua_pushboolean(L, 1);
    return 1;
  }
  c->deadline = linky_monotonic() + c->timeout;
  until = linky_monotonic() + c->connect_timeout;
  if (until > c->deadline) until = c->deadline;
  c->connack = -1;
  errno = 0;
  rc = mosquitto_connect_async(c->mosq, c->host, c->port, c->keepalive);
  if (rc != MOSQ_ERR_SUCCESS) return fail_rc(L, c, rc, "connect");
  while (!c->connected) {
    if (c->connack > 0) return fail_connack(L, c);
    if (linky_monotonic() >= until) {
      mosquitto_disconnect(c->mosq);
      return fail_timeout(L, c, "connect");
    }
    errno = 0;
    rc = turn(c, until);
    if (rc != MOSQ_ERR_SUCCESS) {
      if (c->connack > 0) return fail_connack(L, c);
      return fail_rc(L, c, rc, "connect");
    }
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* client:publish(topic, payload [, qos [, retain]]) -> true | nil, kind, message; with QoS 1
 * or 2, returns once the broker acknowledged the message */
static int mqtt_publish(lua_State *L) {
  linky_mqtt *c = check_open(L);
  size_t len;
  const char *topic = luaL_checkstring(L, 2);
  const char *payload = luaL_checklstring(L, 3, &len);
  lua_Integer qos = luaL_optinteger(L, 4, 1);
  int retain = lua_toboolean(L, 5), mid = 0, rc;
  luaL_argcheck(L, qos >= 0 && qos <= 2, 4, "qos must be 0, 1 or 2");
  luaL_argcheck(L, len <= MAX_PAYLOAD, 3, "payload too large");
  if (!c->connected) return fail(L, "network", "publish: not connected");
  if (linky_monotonic() >= c->deadline) return fail_timeout(L, c, "publish to");
  c->acked = 0;
  errno = 0;
  rc = mosquitto_publish(c->mosq, &mid, topic, (int)len, payload, (int)qos, retain);
  if (rc != MOSQ_ERR_SUCCESS) return fail_rc(L, c, rc, "publish to");
  c->waiting_mid = mid;
  /* QoS 0: until it is written; QoS 1 and 2: until the broker's acknowledgement */
  while (qos == 0 ? mosquitto_want_write(c->mosq) : !c->acked) {
    if (linky_monotonic() >= c->deadline) return fail_timeout(L, c, "publish to");
    errno = 0;
    rc = turn(c, c->deadline);
    if (rc != MOSQ_ERR_SUCCESS) return fail_rc(L, c, rc, "publish to");
    if (!c->connected && !c->acked) return fail(L, "network", "publish: the connection was lost");
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* client:disconnect() -> true | nil, kind, message; a clean end: the broker drops the will */
static int mqtt_disconnect(lua_State *L) {
  linky_mqtt *c = check_open(L);
  int rc;
  if (!c->connected) {
    lua_pushboolean(L, 1);
    return 1;
  }
  rc = mosquitto_disconnect(c->mosq);
  if (rc != MOSQ_ERR_SUCCESS) return fail_rc(L, c, rc, "disconnect from");
  while (c->connected) {
    if (linky_monotonic() >= c->deadline) return fail_timeout(L, c, "disconnect from");
    rc = turn(c, c->deadline);
    if (rc != MOSQ_ERR_SUCCESS) break; /* the socket closed: the DISCONNECT was sent */
  }
  c->connected = 0;
  lua_pushboolean(L, 1);
  return 1;
}

/* client:is_connected() -> boolean */
static int mqtt_is_connected(lua_State *L) {
  linky_mqtt *c = check_open(L);
  lua_pushboolean(L, c->connected);
  return 1;
}

/* __tostring: the broker's address, never the credentials */
static int mqtt_tostring(lua_State *L) {
  linky_mqtt *c = luaL_checkudata(L, 1, LINKY_MQTT_CLIENT);
  if (c->mosq == NULL) lua_pushstring(L, LINKY_MQTT_CLIENT ": closed");
  else lua_pushfstring(L, LINKY_MQTT_CLIENT ": %s:%d (%p)", c->host, c->port, (void *)c);
  return 1;
}

/* mqtt.version() -> "2.0.11": libmosquitto's version */
static int mqtt_version(lua_State *L) {
  int major, minor, revision;
  mosquitto_lib_version(&major, &minor, &revision);
  lua_pushfstring(L, "%d.%d.%d", major, minor, revision);
  return 1;
}

/* mqtt.open_clients() -> integer: clients not closed yet (for the lifecycle specs) */
static int mqtt_open_clients(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)open_clients);
  return 1;
}

int luaopen_linky_mqtt(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"connect", mqtt_connect},
    {"publish", mqtt_publish},
    {"disconnect", mqtt_disconnect},
    {"is_connected", mqtt_is_connected},
    {"close", mqtt_close},
    {NULL, NULL}
  };
  static const luaL_Reg metamethods[] = {
    {"__gc", mqtt_close},
    {"__close", mqtt_close},
    {"__tostring", mqtt_tostring},
    {NULL, NULL}
  };
  static const luaL_Reg functions[] = {
    {"new", mqtt_new},
    {"version", mqtt_version},
    {"open_clients", mqtt_open_clients},
    {NULL, NULL}
  };
  if (luaL_newmetatable(L, LINKY_MQTT_CLIENT)) {
    luaL_setfuncs(L, metamethods, 0);
    luaL_newlibtable(L, methods);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  luaL_newlibtable(L, functions);
  luaL_setfuncs(L, functions, 0);
  lua_pushliteral(L, "0.1");
  lua_setfield(L, -2, "_VERSION");
  return 1;
}
