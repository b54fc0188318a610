/* signalfd(2): blocked signals read as signalfd_siginfo records, poll
 * readiness, SFD_NONBLOCK, a mask change, SIGCHLD of an exiting child
 * with its status, and EINVAL for bad flags, sizes and descriptors. */
#include "abi.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>

static void report_record(const struct signalfd_siginfo* record, pid_t child) {
  printf("record: %s code %d", sigabbrev_np((int)record->ssi_signo), record->ssi_code);
  if (record->ssi_signo == SIGCHLD) {
    printf(" from the child %d status %d", (pid_t)record->ssi_pid == child, record->ssi_status);
  } else {
    printf(" from self %d", (pid_t)record->ssi_pid == getpid());
  }
  printf("\n");
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);

  CALL(signalfd(-1, &mask, 0x40000000));
  CALL(syscall(SYS_signalfd4, -1, &mask, 4, 0));
  CALL(signalfd(0, &mask, 0));
  int descriptor = CALL(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  CALL(fcntl(descriptor, F_GETFD));
  struct signalfd_siginfo record;
  CALL(read(descriptor, &record, sizeof record));
  CALL(read(descriptor, &record, 8));

  struct pollfd waiter = {.fd = descriptor, .events = POLLIN};
  CALL(poll(&waiter, 1, 0));
  kill(getpid(), SIGUSR1);
  CALL(poll(&waiter, 1, 1000));
  printf("revents %#x\n", waiter.revents);
  if (CALL(read(descriptor, &record, sizeof record)) == sizeof record) {
    report_record(&record, 0);
  }

  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    _exit(9);
  }
  waiter.revents = 0;
  CALL(poll(&waiter, 1, 5000));
  if (CALL(read(descriptor, &record, sizeof record)) == sizeof record) {
    report_record(&record, child);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child status %d\n", WEXITSTATUS(status));

  /* A new mask replaces the old one. */
  sigset_t only_usr2;
  sigemptyset(&only_usr2);
  sigaddset(&only_usr2, SIGUSR2);
  sigprocmask(SIG_BLOCK, &only_usr2, NULL);
  CALL(signalfd(descriptor, &only_usr2, 0));
  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGUSR2);
  if (CALL(read(descriptor, &record, sizeof record)) == sizeof record) {
    report_record(&record, 0);
  }
  CALL(read(descriptor, &record, sizeof record));
  sigset_t pending;
  sigpending(&pending);
  printf("SIGUSR1 still pending: %d\n", sigismember(&pending, SIGUSR1));
  return 0;
}
