/* Process lifecycle: fork followed by waitpid, and fork, execve of a static
 * binary (this program) and waitpid. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* argv[1] of the child that fork_exec_wait starts: it exits at once. */
static const char exit_at_once[] = "--exit-at-once";

/* The path of this program, for the child to execute. */
static const char* self_path;

static int wait_for_exit_zero(pid_t child) {
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      return errno;
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return ECHILD;
  }
  return 0;
}

static int run_fork_wait(void* state, uint64_t ops, struct bench_measurement* out) {
  (void)state;
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    pid_t child = fork();
    if (child < 0) {
      return errno;
    }
    if (child == 0) {
      _exit(0);
    }
    int error = wait_for_exit_zero(child);
    if (error != 0) {
      return error;
    }
  }
  out->elapsed_ns = bench_now_ns() - start;
  return 0;
}

static int run_fork_exec_wait(void* state, uint64_t ops, struct bench_measurement* out) {
  (void)state;
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    pid_t child = fork();
    if (child < 0) {
      return errno;
    }
    if (child == 0) {
      char* const arguments[] = {(char*)self_path, (char*)exit_at_once, NULL};
      execv(self_path, arguments);
      _exit(127);
    }
    int error = wait_for_exit_zero(child);
    if (error != 0) {
      return error;
    }
  }
  out->elapsed_ns = bench_now_ns() - start;
  return 0;
}

static const struct bench_case cases[] = {
    {"fork_wait", bench_setup_nothing, run_fork_wait, NULL},
    {"fork_exec_wait", bench_setup_nothing, run_fork_exec_wait, NULL},
};

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], exit_at_once) == 0) {
    return 0;
  }
  self_path = argv[0];
  return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
