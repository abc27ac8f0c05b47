/* Unit test of the clock shim and faultline-clock, as a target process sees
 * them: usage  clock_shim_test SHIM_SO FAULTLINE_CLOCK_BIN
 *
 * The parent makes an offset file, then re-runs itself with the shim
 * preloaded (the shim reads the file when it loads, so the file must exist
 * before the process starts) and once more with a missing file. The child
 * compares every wall clock call the shim replaces against the kernel's clock
 * read by raw system call, while faultline-clock rewrites the offset: each
 * change must be seen at once, and monotonic time must stay the kernel's.
 * Exit 0 when every check passed; each failure is printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int failures = 0;

#define CHECK(cond, ...)                                     \
  do {                                                       \
    if (!(cond)) {                                           \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);   \
      fprintf(stderr, __VA_ARGS__);                          \
      fprintf(stderr, "\n");                                 \
      ++failures;                                            \
    }                                                        \
  } while (0)

static int64_t ns_of(const struct timespec *ts) { return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec; }

static int64_t raw_ns(clockid_t id) {
  struct timespec ts;
  syscall(SYS_clock_gettime, id, &ts);
  return ns_of(&ts);
}

static int run(char *const argv[]) {
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
  if (rc != 0) {
    fprintf(stderr, "spawn %s: %s\n", argv[0], strerror(rc));
    return -1;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int set_offset(const char *tool, const char *file, const char *offset) {
  char *argv[] = {(char *)tool, "set", (char *)file, (char *)offset, NULL};
  return run(argv);
}

static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

/* Every replaced call shows `offset` against the kernel's wall clock. */
static void expect_offset(int64_t offset, const char *label) {
  const int64_t tolerance = 50 * 1000000; /* scheduling noise, coarse clock ticks */
  struct timespec ts;
  int64_t before = raw_ns(CLOCK_REALTIME);
  CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0, "%s: clock_gettime failed", label);
  int64_t seen = ns_of(&ts);
  CHECK(abs64(seen - before - offset) < tolerance, "%s: CLOCK_REALTIME off by %" PRId64 " ns from offset %" PRId64,
        label, seen - before - offset, offset);
  CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000, "%s: tv_nsec %ld out of range", label, ts.tv_nsec);

  before = raw_ns(CLOCK_REALTIME_COARSE);
  CHECK(clock_gettime(CLOCK_REALTIME_COARSE, &ts) == 0, "%s: coarse failed", label);
  CHECK(abs64(ns_of(&ts) - before - offset) < tolerance, "%s: CLOCK_REALTIME_COARSE off by %" PRId64, label,
        ns_of(&ts) - before - offset);

  struct timeval tv;
  before = raw_ns(CLOCK_REALTIME);
  CHECK(gettimeofday(&tv, NULL) == 0, "%s: gettimeofday failed", label);
  int64_t tod = (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
  CHECK(abs64(tod - before - offset) < tolerance, "%s: gettimeofday off by %" PRId64, label, tod - before - offset);
  CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "%s: tv_usec %ld out of range", label, (long)tv.tv_usec);

  before = raw_ns(CLOCK_REALTIME);
  time_t t_out = 0;
  time_t t = time(&t_out);
  CHECK(t == t_out, "%s: time() return and out-parameter differ", label);
  CHECK(abs64((int64_t)t * 1000000000 - before - offset) < 1000000000 + tolerance, "%s: time() off by %" PRId64 " ns",
        label, (int64_t)t * 1000000000 - before - offset);

  before = raw_ns(CLOCK_REALTIME);
  CHECK(timespec_get(&ts, TIME_UTC) == TIME_UTC, "%s: timespec_get failed", label);
  CHECK(abs64(ns_of(&ts) - before - offset) < tolerance, "%s: timespec_get off by %" PRId64, label,
        ns_of(&ts) - before - offset);

  /* Monotonic and boottime are never shifted. */
  before = raw_ns(CLOCK_MONOTONIC);
  CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0, "%s: monotonic failed", label);
  CHECK(abs64(ns_of(&ts) - before) < tolerance, "%s: CLOCK_MONOTONIC moved by %" PRId64, label, ns_of(&ts) - before);
  before = raw_ns(CLOCK_BOOTTIME);
  CHECK(clock_gettime(CLOCK_BOOTTIME, &ts) == 0, "%s: boottime failed", label);
  CHECK(abs64(ns_of(&ts) - before) < tolerance, "%s: CLOCK_BOOTTIME moved by %" PRId64, label, ns_of(&ts) - before);
}

static int child_live(const char *tool, const char *file) {
  expect_offset(0, "initial 0");
  struct {
    const char *text;
    int64_t ns;
  } steps[] = {
      {"3600s", INT64_C(3600000000000)},
      {"-90s", INT64_C(-90000000000)},
      {"-1500000001", INT64_C(-1500000001)}, /* odd ns: tv_nsec must be normalised */
      {"250ms", INT64_C(250000000)},
      {"0", 0},
  };
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; ++i) {
    CHECK(set_offset(tool, file, steps[i].text) == 0, "faultline-clock set %s failed", steps[i].text);
    expect_offset(steps[i].ns, steps[i].text);
  }
  return failures == 0 ? 0 : 1;
}

static int child_missing(void) {
  expect_offset(0, "missing file");
  return failures == 0 ? 0 : 1;
}

static int spawn_child(const char *self, const char *shim, const char *tool, const char *file, const char *mode) {
  char preload[4096], clock_file[4096];
  snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim);
  snprintf(clock_file, sizeof clock_file, "FAULTLINE_CLOCK_FILE=%s", file);
  char *env[] = {preload, clock_file, NULL};
  char *argv[] = {(char *)self, (char *)shim, (char *)tool, (char *)mode, NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, self, NULL, NULL, argv, env);
  if (rc != 0) {
    fprintf(stderr, "spawn %s: %s\n", self, strerror(rc));
    return -1;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
  if (argc == 4) {
    const char *file = getenv("FAULTLINE_CLOCK_FILE");
    if (strcmp(argv[3], "live") == 0) return child_live(argv[2], file);
    if (strcmp(argv[3], "missing") == 0) return child_missing();
    return 2;
  }
  if (argc != 3) {
    fprintf(stderr, "usage: clock_shim_test SHIM_SO FAULTLINE_CLOCK_BIN\n");
    return 2;
  }
  char dir[] = "/tmp/clock_shim_test.XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  char file[4096], missing[4096];
  snprintf(file, sizeof file, "%s/offset", dir);
  snprintf(missing, sizeof missing, "%s/missing", dir);
  CHECK(set_offset(argv[2], file, "0") == 0, "faultline-clock set %s 0 failed", file);
  int live = spawn_child(argv[0], argv[1], argv[2], file, "live");
  CHECK(live == 0, "child with a live offset file exited %d", live);
  int miss = spawn_child(argv[0], argv[1], argv[2], missing, "missing");
  CHECK(miss == 0, "child with a missing offset file exited %d", miss);
  unlink(file);
  rmdir(dir);
  if (failures == 0) printf("clock_shim_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
