/* Kernel state that several guest processes reach at once: single-threaded
 * processes making system calls concurrently (the libOS shares its kernel
 * objects between them), and a futex on MAP_SHARED memory that one process
 * waits on and another wakes. */
#include "abi.h"

#include <linux/futex.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

enum { children = 4, calls_per_child = 20000 };

static long futex(uint32_t* word, int operation, uint32_t value) {
  return syscall(SYS_futex, word, operation, value, NULL, NULL, 0);
}

/* Forks single-threaded children that each make many path and descriptor
 * calls at the same time, and counts those that exit with status 0. */
static int concurrent_system_calls(void) {
  for (int child = 0; child < children; ++child) {
    if (fork() == 0) {
      char directory[256];
      struct stat status;
      for (int call = 0; call < calls_per_child; ++call) {
        if (getcwd(directory, sizeof directory) == NULL || stat("missing", &status) == 0) {
          _exit(1);
        }
        close(dup(1));
      }
      _exit(0);
    }
  }
  int clean = 0;
  int status = 0;
  while (wait(&status) > 0) {
    clean += WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return clean;
}

/* A child waits on a shared word that stays 0; the parent wakes it,
 * retrying until the wake reports a waiter (the child may not wait yet). */
static void futex_across_processes(int operation_flags) {
  uint32_t* word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pid_t child = fork();
  if (child == 0) {
    long waited = futex(word, FUTEX_WAIT | operation_flags, 0);
    _exit(waited == 0 ? 0 : 1);
  }
  long woken = 0;
  for (int attempt = 0; attempt < 2000 && woken == 0; ++attempt) {
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
    woken = futex(word, FUTEX_WAKE | operation_flags, 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  FACT("the wake found the waiting child", woken == 1);
  FACT("the child returned from its wait", WIFEXITED(status) && WEXITSTATUS(status) == 0);
  munmap(word, 4096);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);

  printf("children that exited cleanly: %d of %d\n", concurrent_system_calls(), children);
  printf("shared futex:\n");
  futex_across_processes(0);
  return 0;
}
