/* times(2): the process's CPU times in clock ticks grow with work, its
 * children's are never negative, the result (clock ticks since an arbitrary
 * point) grows with time, a NULL buffer is allowed and a bad one fails with
 * EFAULT. */
#include "abi.h"

#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>

static long long process_cpu_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int main(void) {
  struct tms before;
  errno = 0;
  clock_t start = times(&before);
  FACT("times succeeds", start != (clock_t)-1 && errno == 0);
  FACT("utime and stime are not negative", before.tms_utime >= 0 && before.tms_stime >= 0);
  FACT("cutime and cstime are not negative", before.tms_cutime >= 0 && before.tms_cstime >= 0);

  /* Burn 300 ms of CPU time, 30 clock ticks. */
  long long burn_start = process_cpu_ms();
  volatile unsigned long sink = 0;
  while (process_cpu_ms() - burn_start < 300) {
    for (int i = 0; i < 100000; ++i) {
      sink += i;
    }
  }

  struct tms after;
  clock_t end = times(&after);
  FACT("the result grows", end > start);
  FACT("user and system time grow with work",
       after.tms_utime + after.tms_stime >= before.tms_utime + before.tms_stime + 20);
  FACT("user and system time stay below the elapsed ticks",
       after.tms_utime + after.tms_stime - before.tms_utime - before.tms_stime <= end - start + 2);

  struct timespec pause = {0, 50 * 1000 * 1000};
  nanosleep(&pause, NULL);
  clock_t later = (clock_t)syscall(SYS_times, NULL);
  FACT("a NULL buffer gives the ticks, which grew with the sleep", later >= end + 4);

  pid_t child = fork();
  if (child == 0) {
    _exit(0);
  }
  waitpid(child, NULL, 0);
  struct tms waited;
  times(&waited);
  FACT("cutime and cstime after a wait are not negative",
       waited.tms_cutime >= 0 && waited.tms_cstime >= 0);

  CALL(syscall(SYS_times, (void*)1));
  return 0;
}
