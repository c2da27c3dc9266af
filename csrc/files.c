/* files.c: filesystem helpers for the files linky writes (the state file, the command's
 * config, --output): folders 0700 and files 0600, created before anything else can open them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>

#include "compat.h"
#include "files.h"
#include "random.h"
#include "transport_errors.h"

/* POSIX.1-2008 has both; a libc without them still gets the rest of the guarantees */
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif

/* nil, "system", "cannot <what> <path>: <errno's message>" */
static int fail(lua_State *L, const char *what, const char *path, int err) {
  lua_pushfstring(L, "cannot %s %s: %s", what, path, strerror(err));
  return linky_fail(L, "system");
}

/* A path the system would read shorter than the caller gave: nil, "invalid_argument", message. */
static int zero_byte(lua_State *L, const char *what) {
  lua_pushfstring(L, "cannot %s a path with a zero byte", what);
  return linky_fail(L, "invalid_argument");
}

/* core.mkdirs(path [, mode]) -> true | nil, kind, message */
int linky_mkdirs(lua_State *L) {
  size_t len, i;
  const char *path = luaL_checklstring(L, 1, &len);
  lua_Integer mode = luaL_optinteger(L, 2, 0700);
  char *copy;
  luaL_argcheck(L, mode >= 0 && mode <= 0777, 2, "mode out of range");
  if (strlen(path) != len) return zero_byte(L, "create the folders of");
  /* a private copy to cut at each '/'; a userdata, so a raise on the way frees it */
  copy = (char *)lua_newuserdatauv(L, len + 1, 0);
  memcpy(copy, path, len + 1);
  for (i = 1; i < len; i++) {
    if (copy[i] != '/' || copy[i - 1] == '/') continue;
    copy[i] = '\0';
    if (mkdir(copy, (mode_t)mode) != 0 && errno != EEXIST) {
      /* some file systems answer EACCES or EROFS for a folder that exists */
      int err = errno;
      struct stat st;
      if (stat(copy, &st) != 0 || !S_ISDIR(st.st_mode)) return fail(L, "create", copy, err);
    }
    copy[i] = '/';
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* What a file of this mode is, in messages; NULL for a regular file. */
static const char *special_name(mode_t mode) {
  if (S_ISREG(mode)) return NULL;
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "a special file";
}

int linky_refuse_special(lua_State *L, const char *path) {
  struct stat st;
  const char *what;
  /* lstat, not open and fstat: an open blocks on a FIFO and runs a device's own open, and
   * closing any descriptor of a database drops the POSIX locks SQLite holds on it in this
   * process (another client's: see SQLite's "How To Corrupt", 2.2) */
  if (lstat(path, &st) != 0 || (what = special_name(st.st_mode)) == NULL) return 0;
  lua_pushfstring(L, "it is %s, not a regular file", what);
  return 1;
}

/* core.create_private(path) -> true | nil, kind, message */
int linky_create_private(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  int fd;
  /* the system would see a shorter path than the caller gave */
  if (strlen(path) != len) return zero_byte(L, "create");
  /* O_EXCL: a new file or nothing, so an existing one is never opened here (its bytes kept,
   * no FIFO waited on, no lock dropped); a link planted at the path, dangling or not, is EEXIST */
  do {
    fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno != EEXIST) return fail(L, "create", path, errno);
    if (linky_refuse_special(L, path)) return linky_fail(L, "system");
  } else if (close(fd) != 0 && errno != EINTR) {
    return fail(L, "close", path, errno);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* Names tried before create_temp gives up: a clash is already a 2^-64 event. */
#define TEMP_ATTEMPTS 16
#define TEMP_RANDOM_BYTES ((size_t)8)

/* Fills out with random.c's system source; when it cannot be read (a chroot without /dev), with
 * the clock, the pid and a counter: still unique, and O_EXCL keeps the creation safe. */
static void random_bytes(unsigned char *out, size_t n) {
  static unsigned long counter = 0;
  unsigned long mix;
  struct timespec ts;
  size_t i;
  if (linky_random_fill(out, n) == 0) return;
  clock_gettime(CLOCK_REALTIME, &ts);
  mix = (unsigned long)ts.tv_nsec ^ ((unsigned long)ts.tv_sec << 20) ^ ((unsigned long)getpid() << 8) ^ ++counter;
  for (i = 0; i < n; i++) {
    mix = mix * 6364136223846793005UL + 1442695040888963407UL;
    out[i] = (unsigned char)(mix >> 33);
  }
}

/* The stream's close: flushed, synced to the disk, closed; the first failure is the result, so
 * a full disk or a refused write is never silent. A file's close, so io's shape (nil, message,
 * errno), the one failure of linky.core that is not nil, kind, message. An io library file close function (where the
 * Lua version lets a handle have one: LINKY_FILE_CLOSEF; elsewhere the file is opened O_DSYNC). */
static int temp_close(lua_State *L) {
  FILE **f = linky_tofile(L, 1);
  int ok = 1, err = 0;
  if (fflush(*f) != 0) { ok = 0; err = errno; }
  /* EINVAL: a file system (or a special file) that cannot sync: nothing more to wait for */
  if (ok && fsync(fileno(*f)) != 0 && errno != EINVAL) { ok = 0; err = errno; }
  if (fclose(*f) != 0 && ok) { ok = 0; err = errno; }
  *f = NULL;
  if (ok) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushnil(L);
  lua_pushstring(L, strerror(err));
  lua_pushinteger(L, err);
  return 3;
}

/* core.create_temp(prefix [, mode]) -> file, name | nil, kind, message */
int linky_create_temp(lua_State *L) {
  size_t len;
  const char *prefix = luaL_checklstring(L, 1, &len);
  lua_Integer mode = luaL_optinteger(L, 2, -1);
  static const char hex[] = "0123456789abcdef";
  FILE *f = NULL;
  char *name;
  int fd = -1, err = 0, i;
  luaL_argcheck(L, mode >= -1 && mode <= 0777, 2, "mode out of range");
  if (strlen(prefix) != len) return zero_byte(L, "create");
  /* both are owned by Lua before the file exists: a raise later leaks no descriptor */
  name = (char *)lua_newuserdatauv(L, len + 2 * TEMP_RANDOM_BYTES + 1, 0);
  if (!linky_newfile(L)) return luaL_error(L, "%s", lua_tostring(L, -1)); /* a closed file */
  memcpy(name, prefix, len);
  for (i = 0; i < TEMP_ATTEMPTS; i++) {
    unsigned char r[TEMP_RANDOM_BYTES];
    size_t j;
    random_bytes(r, sizeof r);
    for (j = 0; j < sizeof r; j++) {
      name[len + 2 * j] = hex[r[j] >> 4];
      name[len + 2 * j + 1] = hex[r[j] & 15];
    }
    name[len + 2 * sizeof r] = '\0';
    /* O_EXCL: a new file or nothing, never a link (dangling or not) someone planted there */
    do {
      fd = open(name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC | (LINKY_FILE_CLOSEF ? 0 : O_DSYNC),
                0600);
    } while (fd < 0 && errno == EINTR);
    if (fd >= 0 || errno != EEXIST) break;
  }
  if (fd < 0) return fail(L, "create a file in the folder of", prefix, errno);
  /* fchmod, unlike open's mode, is not reduced by the umask */
  if (mode >= 0 && fchmod(fd, (mode_t)mode) != 0) err = errno;
  if (!err && (f = fdopen(fd, "wb")) == NULL) err = errno;
  if (err) {
    close(fd);
    unlink(name);
    return fail(L, "create", name, err);
  }
  linky_setfile(L, -1, f, temp_close);
  lua_pushstring(L, name);
  return 2;
}

/* core.file_type(path [, follow]) -> type, mode | nothing | nil, kind, message */
int linky_file_type(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  int follow = lua_toboolean(L, 2);
  struct stat st;
  const char *type = "other";
  if (strlen(path) != len) return zero_byte(L, "examine");
  if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return 0; /* nothing there */
    return fail(L, "examine", path, errno);
  }
  if (S_ISREG(st.st_mode)) type = "file";
  else if (S_ISDIR(st.st_mode)) type = "directory";
  else if (S_ISFIFO(st.st_mode)) type = "fifo";
  else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) type = "device";
  else if (S_ISLNK(st.st_mode)) type = "link";
  lua_pushstring(L, type);
  lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
  return 2;
}
