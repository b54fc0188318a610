/* The usage of waited-for children: wait4 and waitid report an exited
 * child's usage, its own waited-for children's included, and reaping it
 * adds that usage to the parent's RUSAGE_CHILDREN and to the tms_cutime of
 * times(2). WNOWAIT reports without adding, and a child reaped because
 * SIGCHLD is ignored does not count. Only comparisons are printed, never
 * the times themselves. */
#include "abi.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <time.h>

static long long user_ms(const struct rusage* usage) {
  return (long long)usage->ru_utime.tv_sec * 1000 + usage->ru_utime.tv_usec / 1000;
}

static long long children_user_ms(void) {
  struct rusage usage;
  getrusage(RUSAGE_CHILDREN, &usage);
  return user_ms(&usage);
}

static long long process_cpu_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Spends about `milliseconds` of CPU time in user mode. The clock is read
 * only between long stretches of arithmetic, so that a clock read that
 * enters the kernel adds little system time. */
static void burn_cpu(long long milliseconds) {
  long long start = process_cpu_ms();
  volatile unsigned long sink = 0;
  while (process_cpu_ms() - start < milliseconds) {
    for (unsigned long i = 0; i < 1000000UL; ++i) {
      sink += i;
    }
  }
}

static pid_t fork_burning_child(void) {
  pid_t child = fork();
  if (child == 0) {
    burn_cpu(200);
    _exit(0);
  }
  return child;
}

/* A child that reaps a grandchild burning 200 ms, then burns 200 ms itself.
 * It exits with 0 when its own wait4 saw the grandchild's time. */
static pid_t fork_child_with_grandchild(void) {
  pid_t child = fork();
  if (child == 0) {
    pid_t grandchild = fork_burning_child();
    struct rusage usage;
    if (wait4(grandchild, NULL, 0, &usage) != grandchild || user_ms(&usage) < 150) {
      _exit(1);
    }
    burn_cpu(200);
    _exit(0);
  }
  return child;
}

static void check_waited_child(void) {
  struct rusage before;
  CALL(getrusage(RUSAGE_CHILDREN, &before));
  FACT("RUSAGE_CHILDREN before any wait is zero",
       user_ms(&before) == 0 && before.ru_stime.tv_sec == 0 && before.ru_stime.tv_usec == 0);
  FACT("RUSAGE_CHILDREN max RSS before any wait is zero", before.ru_maxrss == 0);

  pid_t child = fork_burning_child();

  siginfo_t info;
  struct rusage reported;
  memset(&reported, 0, sizeof(reported));
  CALL(syscall(SYS_waitid, P_PID, child, &info, WEXITED | WNOWAIT, &reported));
  FACT("waitid WNOWAIT reports at least 150 ms user time", user_ms(&reported) >= 150);
  FACT("RUSAGE_CHILDREN after waitid WNOWAIT is still zero", children_user_ms() == 0);

  struct rusage usage;
  int status = 0;
  CALL(wait4(child, &status, 0, &usage) == child);
  abi_report_wait_status("child", status);
  FACT("wait4 reports at least 150 ms user time", user_ms(&usage) >= 150);
  FACT("wait4 reports a positive max RSS", usage.ru_maxrss > 0);
  FACT("wait4 microseconds below a second",
       usage.ru_utime.tv_usec < 1000000 && usage.ru_stime.tv_usec < 1000000);

  struct rusage after;
  CALL(getrusage(RUSAGE_CHILDREN, &after));
  FACT("RUSAGE_CHILDREN after the wait is at least 150 ms", user_ms(&after) >= 150);
  FACT("RUSAGE_CHILDREN max RSS equals the child's", after.ru_maxrss == usage.ru_maxrss);

  struct tms times_after;
  times(&times_after);
  FACT("tms_cutime after the wait is positive", times_after.tms_cutime > 0);
}

static void check_grandchild(void) {
  long long before = children_user_ms();
  pid_t child = fork_child_with_grandchild();
  struct rusage usage;
  int status = 0;
  CALL(wait4(child, &status, 0, &usage) == child);
  abi_report_wait_status("child with a grandchild", status);
  FACT("wait4 includes the grandchild (at least 300 ms)", user_ms(&usage) >= 300);
  FACT("RUSAGE_CHILDREN grows by at least 300 ms", children_user_ms() - before >= 300);
}

static void check_waitid_reap(void) {
  long long before = children_user_ms();
  pid_t child = fork_burning_child();
  siginfo_t info;
  struct rusage usage;
  memset(&usage, 0, sizeof(usage));
  CALL(syscall(SYS_waitid, P_PID, child, &info, WEXITED, &usage));
  FACT("waitid reports at least 150 ms user time", user_ms(&usage) >= 150);
  FACT("waitid adds to RUSAGE_CHILDREN", children_user_ms() - before >= 150);
}

static void check_ignored_child(void) {
  long long before = children_user_ms();
  signal(SIGCHLD, SIG_IGN);
  fork_burning_child();
  /* With SIGCHLD ignored, the wait blocks until the child is gone, then
   * fails with ECHILD. */
  CALL(wait4(-1, NULL, 0, NULL));
  signal(SIGCHLD, SIG_DFL);
  FACT("an ignored child's time is not added", children_user_ms() - before < 100);
}

static void check_bad_pointer(void) {
  pid_t child = fork();
  if (child == 0) {
    _exit(0);
  }
  CALL(wait4(child, NULL, 0, (struct rusage*)1));
  /* The failed copy still reaped the child. */
  CALL(wait4(child, NULL, 0, NULL));
}

int main(void) {
  check_waited_child();
  check_grandchild();
  check_waitid_reap();
  check_ignored_child();
  check_bad_pointer();
  return 0;
}
