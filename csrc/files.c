/* files.c: filesystem helpers for the files linky writes (the state file, the command's
 * config): folders 0700 and files 0600, created before anything else can open them. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <lauxlib.h>

#include "compat.h"
#include "files.h"

/* POSIX.1-2008 has both; a libc without them still gets the rest of the guarantees */
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif

static int fail(lua_State *L, const char *what, const char *path, int err) {
  lua_pushnil(L);
  lua_pushfstring(L, "cannot %s %s: %s", what, path, strerror(err));
  return 2;
}

/* core.mkdirs(path) -> true | nil, message */
int linky_mkdirs(lua_State *L) {
  size_t len, i;
  const char *path = luaL_checklstring(L, 1, &len);
  char *copy;
  if (strlen(path) != len) return fail(L, "create the folders of", "a path with a zero byte", EINVAL);
  /* a private copy to cut at each '/'; a userdata, so a raise on the way frees it */
  copy = (char *)lua_newuserdatauv(L, len + 1, 0);
  memcpy(copy, path, len + 1);
  for (i = 1; i < len; i++) {
    if (copy[i] != '/' || copy[i - 1] == '/') continue;
    copy[i] = '\0';
    if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
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

/* core.create_private(path) -> true | nil, message */
int linky_create_private(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  int fd;
  /* the system would see a shorter path than the caller gave */
  if (strlen(path) != len) return fail(L, "create", "a path with a zero byte", EINVAL);
  /* no O_TRUNC: an existing state file keeps its bytes; O_NOFOLLOW: a link planted at the
   * path is refused (ELOOP) rather than followed to a file of someone else's choosing */
  do {
    fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return fail(L, "create", path, errno);
  if (close(fd) != 0 && errno != EINTR) return fail(L, "close", path, errno);
  lua_pushboolean(L, 1);
  return 1;
}
