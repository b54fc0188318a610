/* Resource limits as a process inherits them from its parent: every limit
 * of getrlimit(2), then a lowered RLIMIT_NOFILE that caps descriptors with
 * EMFILE, and the lowered limit in a forked child. The parent of the native
 * run and of litebox is the same test driver, so both print the same
 * values. */
#include "abi.h"

#include <sys/resource.h>
#include <sys/wait.h>

/* The names of resources 0 to 15, in the order of their numbers. */
static const char* const resource_names[] = {
    "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
    "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

static void print_limit(const char* name, int resource) {
  struct rlimit limit;
  if (getrlimit(resource, &limit) != 0) {
    printf("%s: getrlimit failed: %s\n", name, strerrorname_np(errno));
    return;
  }
  if (limit.rlim_cur == RLIM_INFINITY) {
    printf("%s: soft unlimited", name);
  } else {
    printf("%s: soft %llu", name, (unsigned long long)limit.rlim_cur);
  }
  if (limit.rlim_max == RLIM_INFINITY) {
    printf(", hard unlimited\n");
  } else {
    printf(", hard %llu\n", (unsigned long long)limit.rlim_max);
  }
}

/* Duplicates standard input until dup fails, then closes the copies. */
static void count_descriptors(const char* label) {
  int copies[128];
  int count = 0;
  while (count < 128) {
    int copy = dup(0);
    if (copy < 0) {
      printf("%s: dup failed after %d copies: %s\n", label, count, strerrorname_np(errno));
      break;
    }
    copies[count++] = copy;
  }
  for (int i = 0; i < count; ++i) {
    close(copies[i]);
  }
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  for (int resource = 0; resource < 16; ++resource) {
    print_limit(resource_names[resource], resource);
  }

  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  struct rlimit lowered = {.rlim_cur = 16, .rlim_max = limit.rlim_max};
  CALL(setrlimit(RLIMIT_NOFILE, &lowered));
  count_descriptors("parent");

  struct rlimit inverted = {.rlim_cur = 32, .rlim_max = 16};
  CALL(setrlimit(RLIMIT_NOFILE, &inverted));
  CALL(setrlimit(99, &lowered));

  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    print_limit("child RLIMIT_NOFILE", RLIMIT_NOFILE);
    count_descriptors("child");
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child exit: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
