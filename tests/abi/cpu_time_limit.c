/* RLIMIT_CPU: a process that spins past its soft limit gets SIGXCPU, and
 * one that reaches its hard limit gets SIGKILL. A forked child counts its
 * own CPU time against the limit it inherits. Each case spins in a child
 * process, and the parent reports how the child ended. */
#include "abi.h"

#include <signal.h>
#include <sys/resource.h>

static void spin(void) {
  for (volatile unsigned long counter = 0;; ++counter) {
  }
}

static void on_cpu_limit(int signal) {
  static const char message[] = "child: SIGXCPU caught\n";
  (void)signal;
  (void)write(STDOUT_FILENO, message, sizeof message - 1);
  /* Later SIGXCPUs, one a second until the hard limit, are ignored. */
  sigaction(SIGXCPU, &(struct sigaction){.sa_handler = SIG_IGN}, NULL);
}

static void set_cpu_limit(rlim_t soft, rlim_t hard) {
  struct rlimit limit = {soft, hard};
  if (setrlimit(RLIMIT_CPU, &limit) != 0) {
    perror("setrlimit");
    _exit(2);
  }
}

static void report(const char* label, int status) {
  if (WIFSIGNALED(status)) {
    printf("%s: killed by signal %d\n", label, WTERMSIG(status));
  } else {
    printf("%s: exited with %d\n", label, WEXITSTATUS(status));
  }
}

/* Runs `body` in a child and reports how the child ended. */
static void run_case(const char* label, void (*body)(void)) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child) {
    perror("waitpid");
    exit(2);
  }
  report(label, status);
}

/* The soft limit's SIGXCPU reaches a handler, then the hard limit kills. */
static void handled_then_killed(void) {
  sigaction(SIGXCPU, &(struct sigaction){.sa_handler = on_cpu_limit}, NULL);
  set_cpu_limit(1, 2);
  spin();
}

/* The limit set before fork applies to the child's own CPU time, and
 * SIGXCPU's default action ends the child. */
static void inherited_by_fork(void) {
  set_cpu_limit(1, RLIM_INFINITY);
  pid_t grandchild = fork();
  if (grandchild == 0) {
    spin();
  }
  int status = 0;
  if (waitpid(grandchild, &status, 0) != grandchild) {
    _exit(2);
  }
  report("forked child", status);
  fflush(stdout);
}

int main(void) {
  struct rlimit limit;
  CALL(getrlimit(RLIMIT_CPU, &limit));
  FACT("no CPU limit at start", limit.rlim_cur == RLIM_INFINITY);

  run_case("soft limit handled, hard limit reached", handled_then_killed);
  run_case("limit set before fork", inherited_by_fork);
  return 0;
}
