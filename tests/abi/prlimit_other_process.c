/* prlimit(2) on another process, as `prlimit --pid` uses it: a parent reads
 * and changes the limits of its forked child, and getrlimit(2) in the child
 * returns the new limits, which cap its descriptors. Then the errors: a reaped
 * child (ESRCH), a bad resource (EINVAL), a bad pointer (EFAULT), and a
 * caller whose user ids differ from the target's (EPERM unless it has
 * CAP_SYS_RESOURCE). */
#include "abi.h"

#include <sys/resource.h>
#include <sys/syscall.h>

static int to_child[2];
static int to_parent[2];

static void wait_for(int pipe_end) {
  char byte;
  if (read(pipe_end, &byte, 1) != 1) {
    _exit(3);
  }
}

static void signal_to(int pipe_end) {
  fflush(stdout);
  if (write(pipe_end, "x", 1) != 1) {
    _exit(3);
  }
}

static void print_limit(const char* label, const struct rlimit* limit) {
  printf("%s: soft %llu, hard %llu\n", label, (unsigned long long)limit->rlim_cur,
         (unsigned long long)limit->rlim_max);
}

/* Duplicates standard input until dup fails and reports how many copies
 * the limit allowed. */
static void count_descriptors(void) {
  int copies[256];
  int count = 0;
  while (count < 256) {
    int copy = dup(0);
    if (copy < 0) {
      printf("child: dup failed after %d copies: %s\n", count, strerrorname_np(errno));
      break;
    }
    copies[count++] = copy;
  }
  for (int i = 0; i < count; ++i) {
    close(copies[i]);
  }
}

/* The first child: waits while the parent changes its limits, then prints
 * its own limits and how many descriptors it may open. */
static void limited_child(void) {
  wait_for(to_child[0]);
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    print_limit("child: own RLIMIT_NOFILE", &limit);
  }
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0) {
    print_limit("child: own RLIMIT_FSIZE", &limit);
  }
  count_descriptors();
  signal_to(to_parent[1]);
  wait_for(to_child[0]);
  _exit(0);
}

static void change_child_limits(pid_t child) {
  struct rlimit old_limit;
  struct rlimit own_limit;
  CALL(getrlimit(RLIMIT_NOFILE, &own_limit));
  CALL(prlimit(child, RLIMIT_NOFILE, NULL, &old_limit));
  FACT("the child inherited RLIMIT_NOFILE",
       old_limit.rlim_cur == own_limit.rlim_cur && old_limit.rlim_max == own_limit.rlim_max);

  struct rlimit descriptors = {.rlim_cur = 32, .rlim_max = 64};
  CALL(prlimit(child, RLIMIT_NOFILE, &descriptors, &old_limit));
  FACT("prlimit returned the old RLIMIT_NOFILE", old_limit.rlim_cur == own_limit.rlim_cur);
  CALL(prlimit(child, RLIMIT_NOFILE, NULL, &old_limit));
  print_limit("parent: child's RLIMIT_NOFILE", &old_limit);

  struct rlimit file_size = {.rlim_cur = 4096, .rlim_max = RLIM_INFINITY};
  CALL(prlimit(child, RLIMIT_FSIZE, &file_size, NULL));

  /* NOTE: raising the hard limit again needs CAP_SYS_RESOURCE, which root
   * on the host may lack while root in the sandbox has it, so the program
   * does not try. */
  struct rlimit lowered = {.rlim_cur = 32, .rlim_max = 48};
  CALL(prlimit(child, RLIMIT_NOFILE, &lowered, NULL));
  struct rlimit previous;
  CALL(prlimit(child, RLIMIT_NOFILE, NULL, &previous));
  print_limit("parent: child's lowered RLIMIT_NOFILE", &previous);

  struct rlimit inverted = {.rlim_cur = 10, .rlim_max = 5};
  CALL(prlimit(child, RLIMIT_NOFILE, &inverted, NULL));
  CALL(prlimit(child, 99, NULL, &old_limit));
  CALL(syscall(SYS_prlimit64, child, RLIMIT_NOFILE, (void*)1, NULL));
  CALL(syscall(SYS_prlimit64, child, RLIMIT_NOFILE, NULL, (void*)1));
}

/* A second child that gives up its user ids, when it can, and then reads
 * the parent's limits. */
static void other_user_child(void) {
  pid_t parent = getppid();
  CALL(setresgid(65534, 65534, 65534));
  CALL(setresuid(65534, 65534, 65534));
  struct rlimit limit;
  CALL(prlimit(parent, RLIMIT_NOFILE, NULL, &limit));
  CALL(prlimit(0, RLIMIT_NOFILE, NULL, &limit));
  fflush(stdout);
  _exit(0);
}

int main(void) {
  if (pipe(to_child) != 0 || pipe(to_parent) != 0) {
    printf("pipe failed: %s\n", strerrorname_np(errno));
    return 1;
  }
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    limited_child();
  }

  change_child_limits(child);
  signal_to(to_child[1]);
  wait_for(to_parent[0]);
  signal_to(to_child[1]);
  int status;
  CALL(waitpid(child, &status, 0) == child);
  struct rlimit limit;
  CALL(prlimit(child, RLIMIT_NOFILE, NULL, &limit));

  fflush(stdout);
  pid_t other = fork();
  if (other == 0) {
    other_user_child();
  }
  CALL(waitpid(other, &status, 0) == other);
  FACT("the second child exited with 0", WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return 0;
}
