/* Time calls: clocks move forward, agree with each other, and reject bad
 * arguments. Values are never printed, only facts about them, because the
 * two runs happen at different times. */
#include "abi.h"

#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

static long long nanoseconds(const struct timespec* time) {
  return (long long)time->tv_sec * 1000000000LL + time->tv_nsec;
}

int main(void) {
  struct timespec first, second, resolution;
  CALL(clock_gettime(CLOCK_MONOTONIC, &first));
  struct timespec pause = {.tv_sec = 0, .tv_nsec = 2000000};
  CALL(nanosleep(&pause, NULL));
  CALL(clock_gettime(CLOCK_MONOTONIC, &second));
  FACT("monotonic clock advanced", nanoseconds(&second) > nanoseconds(&first));
  FACT("nanosleep slept at least 2 ms", nanoseconds(&second) - nanoseconds(&first) >= 2000000);
  FACT("tv_nsec is below one second", second.tv_nsec >= 0 && second.tv_nsec < 1000000000);

  struct timespec real;
  CALL(clock_gettime(CLOCK_REALTIME, &real));
  time_t now = time(NULL);
  FACT("realtime is after 2020", real.tv_sec > 1577836800);
  /* Linux's time() reads the tick-based seconds, which may lag the
   * CLOCK_REALTIME reading taken just before by one second. */
  FACT("time() agrees with CLOCK_REALTIME", now - real.tv_sec >= -1 && now - real.tv_sec <= 2);
  struct timeval timeval;
  CALL(gettimeofday(&timeval, NULL));
  FACT("gettimeofday agrees with CLOCK_REALTIME",
       timeval.tv_sec - real.tv_sec >= 0 && timeval.tv_sec - real.tv_sec <= 2);
  FACT("tv_usec is below one second", timeval.tv_usec >= 0 && timeval.tv_usec < 1000000);

  CALL(clock_gettime(CLOCK_BOOTTIME, &first));
  CALL(clock_gettime(CLOCK_MONOTONIC_COARSE, &first));
  CALL(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &first));
  CALL(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &first));
  CALL(clock_getres(CLOCK_MONOTONIC, &resolution));
  FACT("monotonic resolution is at most 1 ms",
       resolution.tv_sec == 0 && resolution.tv_nsec > 0 && resolution.tv_nsec <= 1000000);

  CALL(syscall(SYS_clock_gettime, 12345, &first));
  CALL(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void*)16));
  struct timespec invalid = {.tv_sec = 0, .tv_nsec = 1000000000};
  CALL(nanosleep(&invalid, NULL));
  invalid.tv_nsec = -1;
  CALL(nanosleep(&invalid, NULL));
  return 0;
}
