/* prctl flags, with Linux's errors for bad values and pointers.
 * PR_SET_KEEPCAPS and PR_GET_KEEPCAPS: per thread, copied by fork, cleared
 * by execve. PR_SET_DUMPABLE and PR_GET_DUMPABLE: cleared by a change of
 * the effective uid, set again by execve. PR_SET_CHILD_SUBREAPER and
 * PR_GET_CHILD_SUBREAPER: not copied by fork, kept by execve. The program
 * runs itself again to look at the flags after execve. */
#include "abi.h"

#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>

extern char** environ;

static void report_flags(const char* when) {
  int subreaper = -1;
  prctl(PR_GET_CHILD_SUBREAPER, &subreaper);
  printf("%s: keepcaps %d, dumpable %d, subreaper %d\n", when, prctl(PR_GET_KEEPCAPS),
         prctl(PR_GET_DUMPABLE), subreaper);
}

static void* report_new_thread(void* argument) {
  (void)argument;
  report_flags("new thread");
  return NULL;
}

static void wait_child(pid_t child) {
  int status = 0;
  waitpid(child, &status, 0);
  printf("child status: %d\n", status);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "after-exec") == 0) {
    report_flags("after execve");
    return 0;
  }
  report_flags("start");

  CALL(prctl(PR_SET_KEEPCAPS, 2));
  CALL(prctl(PR_SET_KEEPCAPS, -1L));
  CALL(prctl(PR_SET_KEEPCAPS, 1));
  CALL(prctl(PR_GET_KEEPCAPS));
  CALL(prctl(PR_SET_DUMPABLE, 2));
  CALL(prctl(PR_SET_DUMPABLE, 0));
  CALL(prctl(PR_GET_DUMPABLE));
  CALL(prctl(PR_SET_CHILD_SUBREAPER, 5));
  int subreaper = -1;
  CALL(prctl(PR_GET_CHILD_SUBREAPER, &subreaper));
  printf("subreaper: %d\n", subreaper);
  CALL(prctl(PR_GET_CHILD_SUBREAPER, NULL));
  CALL(prctl(PR_GET_CHILD_SUBREAPER, (void*)1));
  report_flags("after setting");

  /* A new thread gets its own keepcaps flag: clone copies it. */
  pthread_t thread;
  pthread_create(&thread, NULL, report_new_thread, NULL);
  pthread_join(thread, NULL);

  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    report_flags("forked child");
    fflush(stdout);
    _exit(0);
  }
  wait_child(child);

  /* A change of the effective uid makes the process not dumpable. */
  fflush(stdout);
  child = fork();
  if (child == 0) {
    CALL(prctl(PR_SET_DUMPABLE, 1));
    CALL(setresuid(0, 65534, 0));
    report_flags("after seteuid");
    CALL(prctl(PR_SET_DUMPABLE, 1));
    CALL(setresuid(0, 65534, 0));
    report_flags("after seteuid to the same uid");
    fflush(stdout);
    _exit(0);
  }
  wait_child(child);

  CALL(prctl(PR_SET_CHILD_SUBREAPER, 0));
  report_flags("after clearing the subreaper flag");
  CALL(prctl(PR_SET_CHILD_SUBREAPER, 1));

  char* arguments[] = {argv[0], "after-exec", NULL};
  fflush(stdout);
  execve("/proc/self/exe", arguments, environ);
  perror("execve");
  return 1;
}
