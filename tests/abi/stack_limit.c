/* A stack limit above the 128 MiB gap that Linux keeps between the stack and
 * the mmap area. After execve under a 192 MiB RLIMIT_STACK the program uses
 * 160 MiB of stack, which must not meet the interpreter or the vDSO in the
 * mmap area. The stack stays the highest mapping, and clock_gettime through
 * the vDSO still works. The program runs itself again; argv[2] names the
 * stage. */
#include "abi.h"

#include <alloca.h>
#include <sys/resource.h>
#include <time.h>

extern char** environ;

/* Touches `length` bytes of stack below the caller's frame, one byte a page,
 * from the top down, as a deep recursion would. */
static void use_stack(size_t length) {
  volatile char* bottom = alloca(length);
  for (size_t offset = length; offset >= 4096; offset -= 4096) {
    bottom[offset - 4096] = 1;
  }
}

/* Returns whether the highest mapping in /proc/self/maps, apart from the
 * vsyscall page, is the stack. */
static int stack_is_highest(void) {
  static char maps[65536];
  if (abi_read_file("/proc/self/maps", maps, sizeof maps) <= 0) {
    return 0;
  }
  unsigned long highest = 0;
  int highest_is_stack = 0;
  for (char* line = strtok(maps, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    unsigned long start = strtoul(line, NULL, 16);
    if (strstr(line, "[vsyscall]") == NULL && start >= highest) {
      highest = start;
      highest_is_stack = strstr(line, "[stack]") != NULL;
    }
  }
  return highest_is_stack;
}

int main(int argc, char** argv) {
  char self[4096];
  if (realpath(argv[0], self) == NULL) {
    perror(argv[0]);
    return 2;
  }
  abi_enter_scratch_directory(argc, argv);
  const char* stage = argc > 2 ? argv[2] : "start";
  printf("stage %s\n", stage);

  if (strcmp(stage, "start") == 0) {
    struct rlimit limit = {192UL << 20, 192UL << 20};
    struct rlimit old;
    CALL(getrlimit(RLIMIT_STACK, &old));
    if (old.rlim_max != RLIM_INFINITY && old.rlim_max < limit.rlim_max) {
      limit.rlim_max = old.rlim_max;
      limit.rlim_cur = old.rlim_max;
    }
    CALL(setrlimit(RLIMIT_STACK, &limit));
    char* arguments[] = {self, argv[1], "deep", NULL};
    fflush(stdout);
    CALL(execve(self, arguments, environ));
    return 1;
  }

  use_stack(160UL << 20);
  printf("used 160 MiB of stack\n");
  FACT("the stack is the highest mapping", stack_is_highest());
  struct timespec now;
  CALL(clock_gettime(CLOCK_MONOTONIC, &now));
  FACT("monotonic clock is positive", now.tv_sec > 0 || now.tv_nsec > 0);
  return 0;
}
