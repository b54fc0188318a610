/* Signals that end a process, one per mode (argv[2]):
 *   sigpipe          a write to a pipe without reader raises SIGPIPE and
 *                    its default action ends the writer (status 141);
 *   sigpipe_ignored  with SIGPIPE ignored the write fails with EPIPE;
 *   sigpipe_handled  a SIGPIPE handler runs before the write returns EPIPE;
 *   abort            abort() ends the process with SIGABRT (134);
 *   sigterm          kill(getpid(), SIGTERM) with the default action (143);
 *   sigkill          raise(SIGKILL) even with every signal blocked (137). */
#include "abi.h"

#include <signal.h>

static volatile sig_atomic_t sigpipe_count;

static void on_sigpipe(int signal) {
  (void)signal;
  sigpipe_count++;
}

static void write_without_reader(void) {
  int ends[2];
  CALL(pipe(ends));
  CALL(close(ends[0]));
  fflush(stdout);
  CALL(write(ends[1], "x", 1));
  printf("SIGPIPE handler runs: %d\n", (int)sigpipe_count);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  const char* mode = argc > 2 ? argv[2] : "";

  if (strcmp(mode, "sigpipe") == 0) {
    write_without_reader();
  } else if (strcmp(mode, "sigpipe_ignored") == 0) {
    CALL(signal(SIGPIPE, SIG_IGN) == SIG_ERR);
    write_without_reader();
  } else if (strcmp(mode, "sigpipe_handled") == 0) {
    CALL(signal(SIGPIPE, on_sigpipe) == SIG_ERR);
    write_without_reader();
  } else if (strcmp(mode, "abort") == 0) {
    printf("calling abort\n");
    fflush(stdout);
    abort();
  } else if (strcmp(mode, "sigterm") == 0) {
    fflush(stdout);
    CALL(kill(getpid(), SIGTERM));
  } else if (strcmp(mode, "sigkill") == 0) {
    sigset_t all;
    sigfillset(&all);
    CALL(sigprocmask(SIG_BLOCK, &all, NULL));
    fflush(stdout);
    CALL(raise(SIGKILL));
  } else {
    fprintf(stderr, "unknown mode \"%s\"\n", mode);
    return 2;
  }
  printf("still running\n");
  return 0;
}
