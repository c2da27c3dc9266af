/* sqlite.c: the linky.SQLite userdata, one SQLite connection to the state file.
 * The Lua side holds the policy (schema, ledger, store); this file binds and steps statements. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <sqlite3.h>

#include "compat.h"

#include "files.h"
#include "sqlite.h"
#include "transport_errors.h"
#include "userdata.h"

/* Compiled statements kept between calls: every request runs the same few
 * (the ledger's), and compiling them again each time cost more than the transfer. */
#define STMT_CACHE 16

typedef struct {
  char *sql;            /* a copy of the statement's text */
  sqlite3_stmt *stmt;
} cached_stmt;

typedef struct {
  sqlite3 *db;          /* NULL once closed */
  sqlite3_stmt *stmt;   /* the statement in use; owned here so a raise leaks nothing */
  int stmt_cached;      /* stmt belongs to cache[] (reset after use, not finalized) */
  int next_slot;        /* the cache slot replaced next when all are taken */
  int busy_ms;          /* the busy timeout set, which busy_timeout returns to restore it */
  /* what db:stats() reports: the per-request cost the specs pin without a clock */
  lua_Integer compiled; /* statements compiled (cache misses, and each db:exec of several) */
  lua_Integer commits;  /* write transactions committed (SQLite's commit hook) */
  lua_Integer vm_steps; /* SQLite virtual-machine steps of the statements run through the cache */
  cached_stmt cache[STMT_CACHE];
  sqlite3_stmt *data_version; /* PRAGMA data_version, compiled on first use */
} linky_sqlite;

static void drop_stmt(linky_sqlite *s) {
  if (s->stmt) {
    s->vm_steps += sqlite3_stmt_status(s->stmt, SQLITE_STMTSTATUS_VM_STEP, 1);
    if (s->stmt_cached) {
      sqlite3_reset(s->stmt);
      sqlite3_clear_bindings(s->stmt);
    } else {
      sqlite3_finalize(s->stmt);
    }
    s->stmt = NULL;
  }
}

static int sqlite_close(lua_State *L) {
  linky_sqlite *s = luaL_checkudata(L, 1, LINKY_SQLITE);
  int i;
  drop_stmt(s);
  for (i = 0; i < STMT_CACHE; i++) {
    sqlite3_finalize(s->cache[i].stmt);
    free(s->cache[i].sql);
    s->cache[i].stmt = NULL;
    s->cache[i].sql = NULL;
  }
  sqlite3_finalize(s->data_version);
  s->data_version = NULL;
  if (s->db) {
    sqlite3_close_v2(s->db);
    s->db = NULL;
  }
  return 0;
}

static linky_sqlite *check_open(lua_State *L) {
  linky_sqlite *s = luaL_checkudata(L, 1, LINKY_SQLITE);
  if (s->db == NULL) luaL_error(L, "attempt to use a closed " LINKY_SQLITE);
  return s;
}

/* Pushes the message at the top of the stack as the run-time failure of the state file:
 * nil, "state_unavailable", message, rc (SQLite's extended result code). */
static int fail_pushed(lua_State *L, int rc) {
  linky_fail(L, "state_unavailable");
  lua_pushinteger(L, rc);
  return 4;
}

/* The failure of a statement: the connection's message unless `why`. */
static int fail_why(lua_State *L, linky_sqlite *s, int rc, const char *why) {
  drop_stmt(s);
  lua_pushstring(L, why ? why : sqlite3_errmsg(s->db));
  return fail_pushed(L, rc);
}

static int fail(lua_State *L, linky_sqlite *s, int rc) {
  return fail_why(L, s, rc, NULL);
}

/* The SQL text argument at idx; raises when it holds a zero byte, which would cut it short. */
static const char *check_sql(lua_State *L, int idx) {
  size_t len;
  const char *sql = luaL_checklstring(L, idx, &len);
  if (strlen(sql) != len) luaL_argerror(L, idx, "SQL text holds a zero byte");
  return sql;
}

/* Binds the Lua value at idx to parameter n of the current statement. */
static int bind_value(lua_State *L, linky_sqlite *s, int n, int idx) {
  switch (lua_type(L, idx)) {
    case LUA_TNIL: case LUA_TNONE:
      return sqlite3_bind_null(s->stmt, n);
    case LUA_TBOOLEAN:
      return sqlite3_bind_int(s->stmt, n, lua_toboolean(L, idx));
    case LUA_TNUMBER: {
      lua_Number d;
      if (lua_isinteger(L, idx)) return sqlite3_bind_int64(s->stmt, n, (sqlite3_int64)lua_tointeger(L, idx));
      d = lua_tonumber(L, idx);
      if (d != d) return luaL_error(L, "cannot store NaN in the state"); /* SQLite stores a NULL */
      return sqlite3_bind_double(s->stmt, n, (double)d);
    }
    case LUA_TSTRING: {
      size_t len;
      const char *p = lua_tolstring(L, idx, &len);
      return sqlite3_bind_text64(s->stmt, n, p, (sqlite3_uint64)len, SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    default:
      return luaL_error(L, "cannot store a %s in the state", luaL_typename(L, idx));
  }
}

/* Makes sql the statement in use (NULL for a text without one): from the cache, else compiled
 * and cached. A text of more than one statement is refused, with *why set: only the first
 * would run. */
static int prepare(linky_sqlite *s, const char *sql, const char **why) {
  int i, rc;
  size_t len;
  const char *tail = NULL;
  cached_stmt *slot;
  *why = NULL;
  drop_stmt(s);
  for (i = 0; i < STMT_CACHE; i++) {
    if (s->cache[i].sql && strcmp(s->cache[i].sql, sql) == 0) {
      s->stmt = s->cache[i].stmt;
      s->stmt_cached = 1;
      return SQLITE_OK;
    }
  }
  s->stmt_cached = 0;
  s->compiled++;
  rc = sqlite3_prepare_v2(s->db, sql, -1, &s->stmt, &tail);
  if (rc != SQLITE_OK || s->stmt == NULL) return rc;
  if (tail && *tail) { /* only spaces, comments and semicolons may follow */
    sqlite3_stmt *more = NULL;
    rc = sqlite3_prepare_v2(s->db, tail, -1, &more, NULL);
    sqlite3_finalize(more);
    if (rc != SQLITE_OK || more != NULL) {
      *why = "more than one SQL statement";
      return SQLITE_MISUSE;
    }
  }
  slot = &s->cache[s->next_slot];
  len = strlen(sql) + 1;
  sqlite3_finalize(slot->stmt);
  free(slot->sql);
  slot->stmt = NULL;
  slot->sql = malloc(len);
  if (slot->sql == NULL) return SQLITE_OK; /* not cached: finalized after use */
  memcpy(slot->sql, sql, len);
  slot->stmt = s->stmt;
  s->stmt_cached = 1;
  s->next_slot = (s->next_slot + 1) % STMT_CACHE;
  return SQLITE_OK;
}

/* Pushes the current row as a table keyed by column name (NULL columns are absent). */
static void push_row(lua_State *L, sqlite3_stmt *st) {
  int i, n = sqlite3_column_count(st);
  lua_createtable(L, 0, n);
  for (i = 0; i < n; i++) {
    const char *name = sqlite3_column_name(st, i); /* NULL when SQLite is out of memory */
    if (name == NULL) luaL_error(L, "not enough memory");
    switch (sqlite3_column_type(st, i)) {
      case SQLITE_INTEGER: lua_pushinteger(L, (lua_Integer)sqlite3_column_int64(st, i)); break;
      case SQLITE_FLOAT: lua_pushnumber(L, (lua_Number)sqlite3_column_double(st, i)); break;
      case SQLITE_NULL: continue;
      default: {
        const char *p = (const char *)sqlite3_column_blob(st, i);
        lua_pushlstring(L, p ? p : "", (size_t)sqlite3_column_bytes(st, i));
      }
    }
    lua_setfield(L, -2, name);
  }
}

/* Sets how long a statement waits for another connection's lock, in ms (0: not at all). */
static void set_busy(linky_sqlite *s, lua_Integer ms) {
  s->busy_ms = ms > 0x7fffffff ? 0x7fffffff : (int)ms;
  sqlite3_busy_timeout(s->db, s->busy_ms);
}

/* db:busy_timeout(ms) -> previous ms: how long a statement waits for another connection's lock
 * (0: not at all, it fails with SQLITE_BUSY at once); non-blocking mode retries BEGIN by
 * yielding instead, then puts the previous value back */
static int sqlite_busy_timeout(lua_State *L) {
  linky_sqlite *s = check_open(L);
  lua_Integer ms = luaL_checkinteger(L, 2);
  int previous = s->busy_ms;
  luaL_argcheck(L, ms >= 0, 2, "negative busy time");
  set_busy(s, ms);
  lua_pushinteger(L, previous);
  return 1;
}

/* db:exec(sql) -> true | nil, "state_unavailable", message, code (several statements, no rows) */
static int sqlite_exec(lua_State *L) {
  linky_sqlite *s = check_open(L);
  const char *sql = check_sql(L, 2), *why;
  int rc;
  if (strchr(sql, ';') == NULL) { /* one statement (BEGIN, COMMIT...): through the cache */
    rc = prepare(s, sql, &why);
    if (rc != SQLITE_OK) return fail_why(L, s, rc, why);
    while (s->stmt && (rc = sqlite3_step(s->stmt)) == SQLITE_ROW) {}
    if (s->stmt && rc != SQLITE_DONE) return fail(L, s, rc);
    drop_stmt(s);
  } else {
    drop_stmt(s);
    s->compiled++;
    rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return fail(L, s, rc);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* Makes the statement at 2 the one in use, its parameters bound to the values from 3 on:
 * 0, or the pushed failure's count of values. */
static int start_bound(lua_State *L, linky_sqlite *s) {
  const char *sql = check_sql(L, 2), *why;
  int i, rc, top = lua_gettop(L);
  rc = prepare(s, sql, &why);
  if (rc != SQLITE_OK) return fail_why(L, s, rc, why);
  if (s->stmt == NULL) return fail_why(L, s, SQLITE_MISUSE, "no SQL statement");
  for (i = 3; i <= top; i++) {
    rc = bind_value(L, s, i - 2, i);
    if (rc != SQLITE_OK) return fail(L, s, rc);
  }
  return 0;
}

/* db:rows(sql, ...) -> { row, ... } | nil, "state_unavailable", message, code (one statement, ...
 * bound to ?1, ?2...) */
static int sqlite_rows(lua_State *L) {
  linky_sqlite *s = check_open(L);
  int rc, failed = start_bound(L, s);
  lua_Integer n = 0;
  if (failed) return failed;
  lua_newtable(L);
  while ((rc = sqlite3_step(s->stmt)) == SQLITE_ROW) {
    push_row(L, s->stmt);
    lua_rawseti(L, -2, ++n);
  }
  if (rc != SQLITE_DONE) return fail(L, s, rc);
  drop_stmt(s);
  return 1;
}

/* db:insert(sql, ...) -> rowid | nil, "state_unavailable", message, code: runs one statement
 * (... bound as db:rows binds them) and returns the rowid of the last row this connection
 * inserted (sqlite3_last_insert_rowid), without a second statement to read it */
static int sqlite_insert(lua_State *L) {
  linky_sqlite *s = check_open(L);
  int rc, failed = start_bound(L, s);
  if (failed) return failed;
  while ((rc = sqlite3_step(s->stmt)) == SQLITE_ROW) {}
  if (rc != SQLITE_DONE) return fail(L, s, rc);
  drop_stmt(s);
  lua_pushinteger(L, (lua_Integer)sqlite3_last_insert_rowid(s->db));
  return 1;
}

/* db:data_version() -> integer | nil, "state_unavailable", message, code: SQLite's PRAGMA
 * data_version, which changes when another connection committed to the file since this one last
 * read it (never for this connection's own commits); inside a transaction, as of its start. Its
 * own statement, out of the cache: the ledger asks it at each admission. */
static int sqlite_data_version(lua_State *L) {
  linky_sqlite *s = check_open(L);
  lua_Integer v;
  int rc;
  drop_stmt(s);
  if (s->data_version == NULL) {
    s->compiled++;
    rc = sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &s->data_version, NULL);
    if (rc != SQLITE_OK) return fail(L, s, rc);
  }
  rc = sqlite3_step(s->data_version);
  v = (lua_Integer)sqlite3_column_int64(s->data_version, 0);
  s->vm_steps += sqlite3_stmt_status(s->data_version, SQLITE_STMTSTATUS_VM_STEP, 1);
  sqlite3_reset(s->data_version);
  if (rc != SQLITE_ROW) return fail(L, s, rc);
  lua_pushinteger(L, v);
  return 1;
}

/* db:run_many(sql, fixed, items, fields) -> count | nil, "state_unavailable", message, code
 * Runs sql once per item: ?1..?#fixed are the values of `fixed`, the next ones item[field]. */
static int sqlite_run_many(lua_State *L) {
  linky_sqlite *s = check_open(L);
  const char *sql = check_sql(L, 2), *why;
  lua_Integer k, nfixed, nfields, i, nitems;
  int rc;
  luaL_checktype(L, 3, LUA_TTABLE);
  luaL_checktype(L, 4, LUA_TTABLE);
  luaL_checktype(L, 5, LUA_TTABLE);
  nfixed = (lua_Integer)lua_rawlen(L, 3);
  nitems = (lua_Integer)lua_rawlen(L, 4);
  nfields = (lua_Integer)lua_rawlen(L, 5);
  rc = prepare(s, sql, &why);
  if (rc != SQLITE_OK) return fail_why(L, s, rc, why);
  if (s->stmt == NULL) return fail_why(L, s, SQLITE_MISUSE, "no SQL statement");
  for (k = 1; k <= nfixed; k++) {
    lua_rawgeti(L, 3, k);
    rc = bind_value(L, s, (int)k, -1);
    lua_pop(L, 1);
    if (rc != SQLITE_OK) return fail(L, s, rc);
  }
  for (i = 1; i <= nitems; i++) {
    if (lua_rawgeti(L, 4, i) != LUA_TTABLE) {
      char item[32];
      snprintf(item, sizeof item, "%lld", (long long)i);
      return luaL_argerror(L, 4, lua_pushfstring(L, "item %s is a %s, not a table", item, luaL_typename(L, -1)));
    }
    for (k = 1; k <= nfields; k++) {
      lua_rawgeti(L, 5, k);
      lua_rawget(L, -2);
      rc = bind_value(L, s, (int)(nfixed + k), -1);
      lua_pop(L, 1);
      if (rc != SQLITE_OK) return fail(L, s, rc);
    }
    lua_pop(L, 1);
    rc = sqlite3_step(s->stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return fail(L, s, rc);
    sqlite3_reset(s->stmt);
  }
  drop_stmt(s);
  lua_pushinteger(L, nitems);
  return 1;
}

/* db:copy_into(other) -> true | nil, "state_unavailable", message, code: other's database
 * becomes a copy of db's
 * (SQLite's online backup), e.g. a read-only file into an in-memory one that can be migrated */
static int sqlite_copy_into(lua_State *L) {
  linky_sqlite *s = check_open(L);
  linky_sqlite *d = luaL_checkudata(L, 2, LINKY_SQLITE);
  sqlite3_backup *b;
  int rc;
  if (d->db == NULL) return luaL_argerror(L, 2, "attempt to use a closed " LINKY_SQLITE);
  luaL_argcheck(L, d != s, 2, "a database cannot be copied into itself");
  drop_stmt(s);
  drop_stmt(d);
  b = sqlite3_backup_init(d->db, "main", s->db, "main");
  if (b == NULL) return fail(L, d, sqlite3_extended_errcode(d->db));
  rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return fail_why(L, s, rc, sqlite3_errstr(rc));
  lua_pushboolean(L, 1);
  return 1;
}

/* db:stats() -> { compiled =, commits =, vm_steps = }: counts since the connection opened (see
 * the fields above); for specs and diagnostics */
static int sqlite_stats(lua_State *L) {
  linky_sqlite *s = check_open(L);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, s->compiled);
  lua_setfield(L, -2, "compiled");
  lua_pushinteger(L, s->commits);
  lua_setfield(L, -2, "commits");
  lua_pushinteger(L, s->vm_steps);
  lua_setfield(L, -2, "vm_steps");
  return 1;
}

static int sqlite_tostring(lua_State *L) {
  linky_sqlite *s = luaL_checkudata(L, 1, LINKY_SQLITE);
  return linky_push_tostring(L, LINKY_SQLITE, s->db ? (void *)s : NULL);
}

/* Pushes path as a SQLite URI followed by `query`: every byte but letters, digits and -._~/
 * percent-encoded, so that SQLite opens exactly that file ('?', '#' and '%' in its name
 * included) and no URI parameter comes from the name; a relative path starts with ./, so that
 * a file named ":memory:" is that file. */
static const char *push_uri(lua_State *L, const char *path, const char *query) {
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *p;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, path[0] == '/' ? "file://" : "file:./"); /* an empty authority: "//x" is a path */
  for (p = (const unsigned char *)path; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
      luaL_addchar(&b, (char)*p);
    } else {
      luaL_addchar(&b, '%');
      luaL_addchar(&b, hex[*p >> 4]);
      luaL_addchar(&b, hex[*p & 15]);
    }
  }
  luaL_addstring(&b, query);
  luaL_pushresult(&b);
  return lua_tostring(L, -1);
}

/* Whether a read-only connection failed only because it cannot share the WAL index: a WAL file
 * without its -shm in a folder it cannot write. SQLite's immutable mode reads it without one. */
static int needs_immutable(int rc) {
  return rc == SQLITE_READONLY_DIRECTORY || rc == SQLITE_READONLY_CANTINIT || rc == SQLITE_READONLY_CANTLOCK
      || rc == SQLITE_READONLY_RECOVERY
      || (rc & 0xff) == SQLITE_CANTOPEN;
}

/* Counts a commit; pure C, and 0 lets the commit go on. */
static int count_commit(void *ud) {
  ((linky_sqlite *)ud)->commits++;
  return 0;
}

/* Opens name (a URI, or ":memory:") into s->db with the given flags: a SQLite result code. */
static int open_db(linky_sqlite *s, const char *name, int flags, lua_Integer busy_ms) {
  int rc = sqlite3_open_v2(name, &s->db, flags | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX
#ifdef SQLITE_OPEN_NOFOLLOW
                           | SQLITE_OPEN_NOFOLLOW
#endif
                           , NULL);
  if (s->db == NULL) return rc;
  sqlite3_extended_result_codes(s->db, 1);
  sqlite3_commit_hook(s->db, count_commit, s);
  set_busy(s, busy_ms);
  return rc;
}

/* The failure of a connection that could not be opened (closed here). */
static int open_failed(lua_State *L, linky_sqlite *s, int rc, const char *why) {
  lua_pushstring(L, why ? why : s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
  sqlite3_close_v2(s->db);
  s->db = NULL;
  return fail_pushed(L, rc);
}

/* core.open_sqlite(path [, busy_ms [, readonly]]) -> db, unlocked
 *   | nil, "state_unavailable", message, code */
int linky_open_sqlite(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len), *name = path;
  lua_Integer busy_ms = luaL_optinteger(L, 2, 10000);
  int readonly = lua_toboolean(L, 3), unlocked = 0, rc;
  linky_sqlite *s;
  luaL_argcheck(L, busy_ms >= 0, 2, "negative busy time");
  if (strlen(path) != len) { /* SQLite would open a shorter path than the caller gave */
    lua_pushliteral(L, "cannot open a state file whose path holds a zero byte");
    return fail_pushed(L, SQLITE_CANTOPEN);
  }
  if (readonly || strcmp(path, ":memory:") != 0) {
    /* a FIFO would hang the first read, a device would get a -journal beside it */
    if (linky_refuse_special(L, path)) return fail_pushed(L, SQLITE_CANTOPEN);
    name = push_uri(L, path, readonly ? "?mode=ro" : "");
  }
  s = lua_newuserdatauv(L, sizeof *s, 0);
  memset(s, 0, sizeof *s);
  luaL_setmetatable(L, LINKY_SQLITE);
  /* never through a symbolic link swapped in after the check */
  rc = open_db(s, name, readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, busy_ms);
  if (rc != SQLITE_OK) return open_failed(L, s, rc, NULL);
  if (readonly) {
    /* SQLite opens lazily: reading the schema is what meets a missing -shm */
    rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    if (needs_immutable(rc)) {
      sqlite3_close_v2(s->db);
      s->db = NULL;
      unlocked = 1;
      rc = open_db(s, push_uri(L, path, "?immutable=1"), SQLITE_OPEN_READONLY, busy_ms);
      lua_pop(L, 1); /* SQLite keeps its own copy of the name */
      if (rc == SQLITE_OK) rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) return open_failed(L, s, rc, NULL);
  } else if (sqlite3_db_readonly(s->db, "main") == 1) {
    /* SQLite falls back to read-only when the file is not writable: never accept that */
    return open_failed(L, s, SQLITE_READONLY, "the state file is not writable");
  }
  lua_pushboolean(L, unlocked);
  return 2;
}

void linky_sqlite_createmeta(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"exec", sqlite_exec},
    {"busy_timeout", sqlite_busy_timeout},
    {"rows", sqlite_rows},
    {"insert", sqlite_insert},
    {"data_version", sqlite_data_version},
    {"run_many", sqlite_run_many},
    {"copy_into", sqlite_copy_into},
    {"stats", sqlite_stats},
    {"close", sqlite_close},
    {NULL, NULL}
  };
  static const luaL_Reg metamethods[] = {
    {"__gc", sqlite_close},
    {"__close", sqlite_close},
    {"__tostring", sqlite_tostring},
    {NULL, NULL}
  };
  linky_createmeta(L, LINKY_SQLITE, metamethods, methods);
}
