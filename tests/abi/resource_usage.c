/* getrusage and the CPU-time clocks: they count the caller's own CPU
 * time, which grows with work and stays below the time since boot, and
 * bad arguments fail with Linux's errno. */
#include "abi.h"

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

static volatile unsigned long sink;

static void burn_cpu(void) {
  for (unsigned long i = 0; i < 50000000UL; ++i) {
    sink += i;
  }
}

static long long clock_ns(clockid_t clock) {
  struct timespec now;
  clock_gettime(clock, &now);
  return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

static long long usage_us(const struct rusage* usage) {
  return (long long)(usage->ru_utime.tv_sec + usage->ru_stime.tv_sec) * 1000000LL +
         usage->ru_utime.tv_usec + usage->ru_stime.tv_usec;
}

static void* report_new_thread(void* argument) {
  (void)argument;
  FACT("a new thread's CPU time is below its process's",
       clock_ns(CLOCK_THREAD_CPUTIME_ID) < clock_ns(CLOCK_PROCESS_CPUTIME_ID));
  struct rusage thread_usage;
  CALL(getrusage(RUSAGE_THREAD, &thread_usage));
  struct rusage process_usage;
  CALL(getrusage(RUSAGE_SELF, &process_usage));
  FACT("RUSAGE_THREAD at most RUSAGE_SELF", usage_us(&thread_usage) <= usage_us(&process_usage));
  return NULL;
}

int main(void) {
  struct rusage before;
  CALL(getrusage(RUSAGE_SELF, &before));
  FACT("peak resident set size reported", before.ru_maxrss > 0);
  long long process_before = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  long long thread_before = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  FACT("process CPU time below the time since boot", process_before < clock_ns(CLOCK_BOOTTIME));

  burn_cpu();

  struct rusage after;
  CALL(getrusage(RUSAGE_SELF, &after));
  FACT("RUSAGE_SELF grew with work", usage_us(&after) > usage_us(&before));
  FACT("CLOCK_PROCESS_CPUTIME_ID grew with work",
       clock_ns(CLOCK_PROCESS_CPUTIME_ID) > process_before);
  FACT("CLOCK_THREAD_CPUTIME_ID grew with work", clock_ns(CLOCK_THREAD_CPUTIME_ID) > thread_before);
  FACT("microseconds below a second",
       after.ru_utime.tv_usec < 1000000 && after.ru_stime.tv_usec < 1000000);

  pthread_t thread;
  pthread_create(&thread, NULL, report_new_thread, NULL);
  pthread_join(thread, NULL);

  struct rusage children;
  CALL(getrusage(RUSAGE_CHILDREN, &children));
  CALL(getrusage(5, &children));
  CALL(getrusage(-2, &children));
  CALL(getrusage(RUSAGE_SELF, NULL));
  return 0;
}
