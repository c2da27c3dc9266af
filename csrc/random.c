/* random.c: the system's random source (core.random_bytes) and core.random, the generator of
 * the cron minute and the retry jitter.
 * Why a generator of linky's own rather than math.random: math.random is the host program's
 * (seeding it would change the host's sequence), and before Lua 5.4 it starts from the same
 * seed in every process, so every install would pick the same cron minute and two processes
 * would back off by the same delay. Each draw reads 8 fresh bytes from the system (draws are
 * rare: one per retry, three per `linky cron`), so there is no state to seed, to share between
 * threads or to duplicate on fork. splitmix64 (a counter and a 64-bit mixer, a dozen lines)
 * only mixes them with a counter: when the source cannot be read (a chroot without /dev, a
 * seccomp filter), the clock, the pid and an address still make every process draw its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>

#include "compat.h"
#include "random.h"
#include "transport_errors.h"

/* getrandom(2) came with glibc 2.25 (features.h, read by the headers above, says which one);
 * elsewhere /dev/urandom alone */
#if defined(__linux__) && defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
#include <sys/random.h>
#define LINKY_HAVE_GETRANDOM 1
#endif

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* The most core.random_bytes hands out at once: seeds and names, not bulk data. */
#define RANDOM_BYTES_MAX 256

#ifdef LINKY_HAVE_GETRANDOM
/* 0 when out is filled; ENOSYS (an old kernel), EPERM (a seccomp filter), EAGAIN (early boot,
 * the pool not ready: GRND_NONBLOCK rather than a hang) send the caller to /dev/urandom. */
static int from_getrandom(unsigned char *out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out + got, n - got, GRND_NONBLOCK);
    if (r > 0) got += (size_t)r;
    else if (r < 0 && errno == EINTR) continue;
    else return r < 0 ? errno : EIO;
  }
  return 0;
}
#endif

static int from_urandom(unsigned char *out, size_t n) {
  size_t got = 0;
  struct stat sb;
  int fd, err = 0;
  do {
    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  if (fstat(fd, &sb) != 0) err = errno;
  else if (!S_ISCHR(sb.st_mode)) err = ENODEV;
  while (!err && got < n) {
    ssize_t r = read(fd, out + got, n - got);
    if (r > 0) got += (size_t)r;
    else if (r < 0 && errno == EINTR) continue;
    else err = r < 0 ? errno : EIO;
  }
  close(fd);
  return err;
}

int linky_random_fill(void *out, size_t n) {
#ifdef LINKY_HAVE_GETRANDOM
  if (from_getrandom((unsigned char *)out, n) == 0) return 0;
#endif
  return from_urandom((unsigned char *)out, n);
}

/* splitmix64's mixer: a bijection of 64-bit words whose every output bit depends on every
 * input bit (Steele, Lea and Flood, 2014). */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* What tells this process and this instant apart, for when the system source fails. */
static uint64_t process_noise(const void *where) {
  struct timespec ts;
  uint64_t x;
  clock_gettime(CLOCK_REALTIME, &ts);
  x = (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
  x ^= (uint64_t)getpid() << 40;
  return x ^ mix64((uint64_t)(uintptr_t)where); /* ASLR puts the stack elsewhere each run */
}

/* core.random_bytes(n) -> bytes | nil, "system", message */
static int core_random_bytes(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  unsigned char buf[RANDOM_BYTES_MAX];
  int err;
  luaL_argcheck(L, n >= 1 && n <= RANDOM_BYTES_MAX, 1, "between 1 and 256 bytes");
  err = linky_random_fill(buf, (size_t)n);
  if (err) {
    lua_pushfstring(L, "cannot read the system's random source: %s", strerror(err));
    return linky_fail(L, "system");
  }
  lua_pushlstring(L, (const char *)buf, (size_t)n);
  return 1;
}

/* core.random() -> a number in [0, 1): 53 bits of the system source, never an error */
static int core_random(lua_State *L) {
  uint64_t *counter = (uint64_t *)lua_touserdata(L, lua_upvalueindex(1));
  uint64_t fresh;
  *counter += UINT64_C(0x9e3779b97f4a7c15);
  if (linky_random_fill(&fresh, sizeof fresh) != 0) fresh = process_noise(&fresh);
  lua_pushnumber(L, (lua_Number)(mix64(*counter ^ fresh) >> 11) * (1.0 / 9007199254740992.0));
  return 1;
}

void linky_random_register(lua_State *L) {
  uint64_t *counter = (uint64_t *)lua_newuserdatauv(L, sizeof *counter, 0);
  *counter = process_noise(counter);
  lua_pushcclosure(L, core_random, 1);
  lua_setfield(L, -2, "random");
  lua_pushcfunction(L, core_random_bytes);
  lua_setfield(L, -2, "random_bytes");
}
