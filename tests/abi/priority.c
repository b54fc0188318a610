/* getpriority and setpriority on the calling thread: the nice value set
 * is the value read, out-of-range values are clamped, new threads and
 * forked children inherit it, and bad arguments fail with Linux's errno.
 * PRIO_PGRP and PRIO_USER are left out: natively they cover every process
 * of the group or user on the host. */
#include "abi.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>

static void* report_thread_nice(void* argument) {
  (void)argument;
  CALL(getpriority(PRIO_PROCESS, 0));
  CALL(setpriority(PRIO_PROCESS, 0, 12));
  CALL(getpriority(PRIO_PROCESS, 0));
  return NULL;
}

int main(void) {
  CALL(setpriority(PRIO_PROCESS, 0, 5));
  CALL(getpriority(PRIO_PROCESS, 0));
  CALL(getpriority(PRIO_PROCESS, getpid()));
  CALL(setpriority(PRIO_PROCESS, 0, 100));
  CALL(getpriority(PRIO_PROCESS, 0));
  CALL(setpriority(PRIO_PROCESS, 0, 7));
  CALL(getpriority(PRIO_PROCESS, 0));

  pthread_t thread;
  pthread_create(&thread, NULL, report_thread_nice, NULL);
  pthread_join(thread, NULL);
  printf("after the thread changed its own:\n");
  CALL(getpriority(PRIO_PROCESS, 0));

  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    CALL(getpriority(PRIO_PROCESS, 0));
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);

  CALL(getpriority(3, 0));
  CALL(getpriority(-1, 0));
  CALL(setpriority(3, 0, 0));
  CALL(getpriority(PRIO_PROCESS, 0x3fffffff));
  CALL(setpriority(PRIO_PROCESS, 0x3fffffff, 0));
  return 0;
}
