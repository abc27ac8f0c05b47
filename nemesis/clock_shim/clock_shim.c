/* libfaultline_clock_shim.so: a per-process wall clock offset, for nodes that
 * share one kernel clock (the local cluster).
 *
 * Preloaded (LD_PRELOAD) into a target's processes, it replaces
 * clock_gettime for CLOCK_REALTIME and CLOCK_REALTIME_COARSE, gettimeofday,
 * time and timespec_get: each returns the real wall clock plus a signed
 * nanosecond offset. The offset is the 8-byte native-endian int64 at the start
 * of the file named by $FAULTLINE_CLOCK_FILE, mapped shared, so rewriting
 * those 8 bytes in place (faultline-clock set) moves the clock of every
 * process that mapped it at once. Monotonic, boottime and CPU clocks are
 * never touched. No file, a file shorter than 8 bytes, or no variable: offset
 * 0 for the life of the process (the file is looked at once, at load).
 *
 * Why this shape: the hot path must work before the process's allocator and
 * libc are initialised, and from inside the allocator (jemalloc reads the
 * clock while it initialises). So it never allocates, takes no lock and calls
 * no function that may: the real clock comes from the function dlsym found at
 * load time or, until then, from the raw system call; the offset is one
 * relaxed atomic load from the mapping.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static const int64_t *offset_word; /* NULL: offset 0 */
static clock_gettime_fn real_clock_gettime;

static int raw_clock_gettime(clockid_t id, struct timespec *ts) {
  return (int)syscall(SYS_clock_gettime, id, ts);
}

static int next_clock_gettime(clockid_t id, struct timespec *ts) {
  clock_gettime_fn fn = __atomic_load_n(&real_clock_gettime, __ATOMIC_ACQUIRE);
  return fn ? fn(id, ts) : raw_clock_gettime(id, ts);
}

static int64_t current_offset(void) {
  const int64_t *word = __atomic_load_n(&offset_word, __ATOMIC_ACQUIRE);
  return word ? __atomic_load_n(word, __ATOMIC_RELAXED) : 0;
}

static void add_offset(struct timespec *ts, int64_t offset) {
  int64_t sec = offset / 1000000000;
  int64_t nsec = ts->tv_nsec + offset % 1000000000;
  if (nsec < 0) {
    nsec += 1000000000;
    sec -= 1;
  } else if (nsec >= 1000000000) {
    nsec -= 1000000000;
    sec += 1;
  }
  ts->tv_sec += sec;
  ts->tv_nsec = nsec;
}

static int shifted_realtime(clockid_t id, struct timespec *ts) {
  int rc = next_clock_gettime(id, ts);
  if (rc == 0) add_offset(ts, current_offset());
  return rc;
}

__attribute__((constructor)) static void faultline_clock_shim_init(void) {
  const char *path = getenv("FAULTLINE_CLOCK_FILE");
  if (path && *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      struct stat st;
      if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(int64_t)) {
        void *map = mmap(NULL, sizeof(int64_t), PROT_READ, MAP_SHARED, fd, 0);
        if (map != MAP_FAILED) __atomic_store_n(&offset_word, (const int64_t *)map, __ATOMIC_RELEASE);
      }
      close(fd);
    }
  }
  /* dlsym may allocate, and the allocator may read the clock: until the
   * pointer is set, every call takes the raw system call instead. */
  clock_gettime_fn fn = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
  if (fn) __atomic_store_n(&real_clock_gettime, fn, __ATOMIC_RELEASE);
}

EXPORT int clock_gettime(clockid_t id, struct timespec *ts) {
  if (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) return shifted_realtime(id, ts);
  return next_clock_gettime(id, ts);
}

EXPORT int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  if (tz) {
    /* The obsolete timezone argument: let the kernel fill it. */
    if (syscall(SYS_gettimeofday, NULL, tz) != 0) return -1;
  }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnonnull-compare"
  /* Declared nonnull, yet some callers pass NULL: answer as the kernel does. */
  if (!tv) return 0;
#pragma GCC diagnostic pop
  struct timespec ts;
  if (shifted_realtime(CLOCK_REALTIME, &ts) != 0) return -1;
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}

EXPORT time_t time(time_t *out) {
  struct timespec ts;
  if (shifted_realtime(CLOCK_REALTIME, &ts) != 0) return (time_t)-1;
  if (out) *out = ts.tv_sec;
  return ts.tv_sec;
}

EXPORT int timespec_get(struct timespec *ts, int base) {
  if (base != TIME_UTC) return 0;
  return shifted_realtime(CLOCK_REALTIME, ts) == 0 ? base : 0;
}
