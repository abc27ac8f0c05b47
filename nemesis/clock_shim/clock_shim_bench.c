/* Cost of one wall clock read with and without the clock shim:
 *   clock_shim_bench                      (plain: libc's vDSO path)
 *   LD_PRELOAD=.../libfaultline_clock_shim.so FAULTLINE_CLOCK_FILE=F clock_shim_bench
 * Prints ns per call of clock_gettime(CLOCK_REALTIME), gettimeofday and
 * clock_gettime(CLOCK_MONOTONIC), best of 5 rounds of 2M calls.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static volatile int64_t sink;

static double best_ns(int which) {
  const int calls = 2000000;
  double best = 1e18;
  for (int round = 0; round < 5; ++round) {
    int64_t start = mono_ns();
    for (int i = 0; i < calls; ++i) {
      struct timespec ts;
      struct timeval tv;
      if (which == 0) {
        clock_gettime(CLOCK_REALTIME, &ts);
        sink += ts.tv_nsec;
      } else if (which == 1) {
        gettimeofday(&tv, NULL);
        sink += tv.tv_usec;
      } else {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        sink += ts.tv_nsec;
      }
    }
    double per = (double)(mono_ns() - start) / calls;
    if (per < best) best = per;
  }
  return best;
}

int main(void) {
  printf("clock_gettime(CLOCK_REALTIME)  %.1f ns/call\n", best_ns(0));
  printf("gettimeofday                   %.1f ns/call\n", best_ns(1));
  printf("clock_gettime(CLOCK_MONOTONIC) %.1f ns/call\n", best_ns(2));
  return 0;
}
