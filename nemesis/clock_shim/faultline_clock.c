/* faultline-clock: the control program of the clock shim (clock_shim.c), and
 * the system-clock stepper used on nodes with a kernel of their own.
 *
 *   faultline-clock set FILE OFFSET   creates FILE (8 bytes, mode 0644) when
 *                                     missing, then stores OFFSET in place
 *   faultline-clock get FILE          prints the offset in FILE, in ns
 *   faultline-clock step DELTA        steps the system wall clock by DELTA
 *                                     (clock_settime; needs root)
 *   faultline-clock now               prints CLOCK_REALTIME in ns
 *
 * OFFSET and DELTA are signed integers with an optional unit: ns (default),
 * us, ms, s. Exit 0 on success, 1 when the operation failed, 2 for bad usage;
 * errors go to stderr naming the file or argument.
 *
 * `set` stores through a shared mapping with one atomic 8-byte store, so a
 * process reading the mapping (the shim) sees either the old or the new
 * offset, never a torn mix; the file is never replaced (a replaced file would
 * leave running processes mapping the old one). Built statically, so it runs
 * on any x86-64 Linux it is uploaded to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int usage(const char *why) {
  fprintf(stderr,
          "faultline-clock: %s\n"
          "usage: faultline-clock set FILE OFFSET | get FILE | step DELTA | now\n"
          "  OFFSET, DELTA: signed integer with optional unit ns (default), us, ms, s\n",
          why);
  return 2;
}

/* Parses "[-+]digits[unit]" into ns; 0 on success. */
static int parse_ns(const char *text, int64_t *out) {
  errno = 0;
  char *end = NULL;
  long long v = strtoll(text, &end, 10);
  if (end == text || errno != 0) return -1;
  int64_t scale = 1;
  if (*end == '\0' || strcmp(end, "ns") == 0) {
    scale = 1;
  } else if (strcmp(end, "us") == 0) {
    scale = 1000;
  } else if (strcmp(end, "ms") == 0) {
    scale = 1000000;
  } else if (strcmp(end, "s") == 0) {
    scale = 1000000000;
  } else {
    return -1;
  }
  if (v > INT64_MAX / scale || v < INT64_MIN / scale) return -1;
  *out = (int64_t)v * scale;
  return 0;
}

static int64_t *map_word(const char *path, int create) {
  int fd = open(path, create ? (O_RDWR | O_CREAT | O_CLOEXEC) : (O_RDWR | O_CLOEXEC), 0644);
  if (fd < 0) {
    fprintf(stderr, "faultline-clock: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    fprintf(stderr, "faultline-clock: %s: %s\n", path, strerror(errno));
    close(fd);
    return NULL;
  }
  if (st.st_size < (off_t)sizeof(int64_t)) {
    if (!create) {
      fprintf(stderr, "faultline-clock: %s: shorter than 8 bytes (not an offset file)\n", path);
      close(fd);
      return NULL;
    }
    /* A fresh file reads as zeros: offset 0 until the store below. */
    if (ftruncate(fd, sizeof(int64_t)) != 0) {
      fprintf(stderr, "faultline-clock: %s: %s\n", path, strerror(errno));
      close(fd);
      return NULL;
    }
  }
  void *map = mmap(NULL, sizeof(int64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int saved = errno;
  close(fd);
  if (map == MAP_FAILED) {
    fprintf(stderr, "faultline-clock: %s: mmap: %s\n", path, strerror(saved));
    return NULL;
  }
  return (int64_t *)map;
}

static int64_t realtime_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage("missing command");
  const char *cmd = argv[1];
  if (strcmp(cmd, "set") == 0) {
    if (argc != 4) return usage("set needs FILE OFFSET");
    int64_t offset;
    if (parse_ns(argv[3], &offset) != 0) return usage("set: OFFSET must be a signed integer with optional unit ns, us, ms or s");
    int64_t *word = map_word(argv[2], 1);
    if (!word) return 1;
    __atomic_store_n(word, offset, __ATOMIC_SEQ_CST);
    if (msync(word, sizeof(int64_t), MS_SYNC) != 0) {
      fprintf(stderr, "faultline-clock: %s: msync: %s\n", argv[2], strerror(errno));
    }
    munmap(word, sizeof(int64_t));
    return 0;
  }
  if (strcmp(cmd, "get") == 0) {
    if (argc != 3) return usage("get needs FILE");
    int64_t *word = map_word(argv[2], 0);
    if (!word) return 1;
    printf("%" PRId64 "\n", __atomic_load_n(word, __ATOMIC_SEQ_CST));
    munmap(word, sizeof(int64_t));
    return 0;
  }
  if (strcmp(cmd, "step") == 0) {
    if (argc != 3) return usage("step needs DELTA");
    int64_t delta;
    if (parse_ns(argv[2], &delta) != 0) return usage("step: DELTA must be a signed integer with optional unit ns, us, ms or s");
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
      fprintf(stderr, "faultline-clock: clock_gettime: %s\n", strerror(errno));
      return 1;
    }
    int64_t ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + delta;
    if (ns < 0) {
      fprintf(stderr, "faultline-clock: step %s would go before 1970\n", argv[2]);
      return 1;
    }
    ts.tv_sec = (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    if (clock_settime(CLOCK_REALTIME, &ts) != 0) {
      fprintf(stderr, "faultline-clock: clock_settime: %s\n", strerror(errno));
      return 1;
    }
    return 0;
  }
  if (strcmp(cmd, "now") == 0) {
    if (argc != 2) return usage("now takes no argument");
    printf("%" PRId64 "\n", realtime_ns());
    return 0;
  }
  return usage("unknown command");
}
