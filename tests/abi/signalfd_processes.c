/* A signalfd that a forked child inherits reports the child's own signals,
 * and poll(2), select(2) and epoll_wait(2) in the child wake when one
 * arrives during the wait. The parent sends each signal only after the
 * child reports that it is about to wait, and waits 100 ms more, so the
 * signal comes while the child sleeps in the call. */
#include "abi.h"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <time.h>

static int ready_pipe[2];
static struct timespec wait_start;

/* Tells the parent that the child is about to wait, and notes the time. */
static void announce_wait(void) {
  fflush(stdout);
  clock_gettime(CLOCK_MONOTONIC, &wait_start);
  if (write(ready_pipe[1], "r", 1) != 1) {
    _exit(3);
  }
}

/* Prints whether the wait ended well before its 5 s timeout, which a
 * wait that misses the signal reaches, and reads the signal. */
static void read_record(int descriptor, const char* label) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  printf("%s: woke before the timeout: %s\n", label,
         now.tv_sec - wait_start.tv_sec < 4 ? "yes" : "no");
  struct signalfd_siginfo record;
  if (read(descriptor, &record, sizeof record) == sizeof record) {
    printf("%s: read %s from the parent %d\n", label, sigabbrev_np((int)record.ssi_signo),
           (pid_t)record.ssi_pid == getppid());
  } else {
    printf("%s: read failed: %s\n", label, strerrorname_np(errno));
  }
}

static void child(int descriptor) {
  struct pollfd waiter = {.fd = descriptor, .events = POLLIN};
  announce_wait();
  CALL(poll(&waiter, 1, 5000));
  printf("poll revents %#x\n", waiter.revents);
  read_record(descriptor, "poll");

  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(descriptor, &readable);
  struct timeval timeout = {.tv_sec = 5, .tv_usec = 0};
  announce_wait();
  CALL(select(descriptor + 1, &readable, NULL, NULL, &timeout));
  FACT("select reports the signalfd", FD_ISSET(descriptor, &readable));
  read_record(descriptor, "select");

  int epoll = CALL(epoll_create1(EPOLL_CLOEXEC));
  struct epoll_event event = {.events = EPOLLIN, .data.u32 = 7};
  CALL(epoll_ctl(epoll, EPOLL_CTL_ADD, descriptor, &event));
  struct epoll_event ready = {0};
  announce_wait();
  CALL(epoll_wait(epoll, &ready, 1, 5000));
  printf("epoll events %#x data %u\n", ready.events, ready.data.u32);
  read_record(descriptor, "epoll");
  fflush(stdout);
  _exit(0);
}

int main(void) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int descriptor = signalfd(-1, &mask, SFD_CLOEXEC);
  if (descriptor < 0 || pipe(ready_pipe) != 0) {
    printf("setup failed: %s\n", strerrorname_np(errno));
    return 1;
  }

  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    child(descriptor);
  }
  for (int round = 0; round < 3; ++round) {
    char byte;
    if (read(ready_pipe[0], &byte, 1) != 1) {
      break;
    }
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    kill(pid, SIGUSR1);
  }
  int status = 0;
  CALL(waitpid(pid, &status, 0) == pid);
  FACT("the child exited with 0", WIFEXITED(status) && WEXITSTATUS(status) == 0);

  /* The parent's own descriptor reports none of the child's signals. */
  struct pollfd waiter = {.fd = descriptor, .events = POLLIN};
  CALL(poll(&waiter, 1, 0));
  return 0;
}
