/* The vDSO: a process gets one, its clocks agree with the system calls, and
 * CLOCK_MONOTONIC never goes back when libc's clock_gettime (served by the
 * vDSO) and the raw system call are interleaved. Only facts are printed,
 * because the native and the sandboxed run happen at different times. */
#include "abi.h"

#include <sched.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <time.h>

static long long nanoseconds(const struct timespec* time) {
  return (long long)time->tv_sec * 1000000000LL + time->tv_nsec;
}

/* Reads `clock` 100,000 times, alternating between libc and the system
 * call, and returns whether no reading was below the one before it. */
static int clock_never_goes_back(clockid_t clock) {
  struct timespec now;
  long long previous = 0;
  for (int i = 0; i < 100000; i++) {
    if (i % 2 == 0) {
      clock_gettime(clock, &now);
    } else {
      syscall(SYS_clock_gettime, clock, &now);
    }
    if (nanoseconds(&now) < previous) {
      return 0;
    }
    previous = nanoseconds(&now);
  }
  return 1;
}

int main(void) {
  FACT("AT_SYSINFO_EHDR is set", getauxval(AT_SYSINFO_EHDR) != 0);

  FACT("CLOCK_MONOTONIC never goes back across vDSO and syscall",
       clock_never_goes_back(CLOCK_MONOTONIC));
  FACT("CLOCK_BOOTTIME never goes back across vDSO and syscall",
       clock_never_goes_back(CLOCK_BOOTTIME));
  FACT("CLOCK_MONOTONIC_RAW never goes back across vDSO and syscall",
       clock_never_goes_back(CLOCK_MONOTONIC_RAW));

  struct timespec real;
  struct timespec from_syscall;
  CALL(clock_gettime(CLOCK_REALTIME, &real));
  const time_t seconds = time(NULL);
  /* Linux's time() may lag CLOCK_REALTIME by one tick, so either order. */
  FACT("time() is within 1 s of CLOCK_REALTIME",
       seconds - real.tv_sec >= -1 && seconds - real.tv_sec <= 1);
  struct timeval timeval;
  CALL(gettimeofday(&timeval, NULL));
  const long long timeval_ns = (long long)timeval.tv_sec * 1000000000LL + timeval.tv_usec * 1000LL;
  FACT("gettimeofday is within 1 s of CLOCK_REALTIME",
       timeval_ns - nanoseconds(&real) >= 0 && timeval_ns - nanoseconds(&real) <= 1000000000LL);
  CALL(syscall(SYS_clock_gettime, CLOCK_REALTIME, &from_syscall));
  FACT("CLOCK_REALTIME syscall is within 1 s of the vDSO reading",
       nanoseconds(&from_syscall) - nanoseconds(&real) >= 0 &&
           nanoseconds(&from_syscall) - nanoseconds(&real) <= 1000000000LL);

  struct timespec resolution;
  struct timespec resolution_from_syscall;
  CALL(clock_getres(CLOCK_MONOTONIC, &resolution));
  CALL(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &resolution_from_syscall));
  FACT("clock_getres agrees with the syscall",
       nanoseconds(&resolution) == nanoseconds(&resolution_from_syscall));
  CALL(clock_getres(CLOCK_MONOTONIC_COARSE, &resolution));
  CALL(syscall(SYS_clock_getres, CLOCK_MONOTONIC_COARSE, &resolution_from_syscall));
  FACT("coarse clock_getres agrees with the syscall",
       nanoseconds(&resolution) == nanoseconds(&resolution_from_syscall));

  /* Clocks the vDSO does not serve reach the system call. */
  CALL(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &real));
  CALL(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &real));
  CALL(clock_gettime(12345, &real));
  CALL(clock_gettime(-1, &real));

  unsigned cpu = 0;
  unsigned node = 0;
  CALL(getcpu(&cpu, &node));
  FACT("getcpu returns a CPU below the processor count", (int)cpu < get_nprocs());
  const int current = sched_getcpu();
  FACT("sched_getcpu returns a CPU below the processor count",
       current >= 0 && current < get_nprocs());
  return 0;
}
