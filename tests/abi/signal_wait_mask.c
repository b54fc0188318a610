/* The signal mask argument of ppoll, pselect6 and epoll_pwait: it replaces
 * the blocked mask for the wait only. A pending signal that it unblocks
 * ends the wait with EINTR and runs its handler with the temporary mask in
 * force; afterwards the old mask is back. A descriptor that is ready wins
 * over the pending signal, which then stays pending and blocked. */
#include "abi.h"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>

static volatile sig_atomic_t handler_runs;
static volatile sig_atomic_t usr2_blocked_in_handler;

static void on_usr1(int signal) {
  (void)signal;
  handler_runs++;
  sigset_t current;
  sigprocmask(SIG_BLOCK, NULL, &current);
  usr2_blocked_in_handler = sigismember(&current, SIGUSR2);
}

static void report_mask(const char* label) {
  sigset_t current;
  sigprocmask(SIG_BLOCK, NULL, &current);
  printf("%s: SIGUSR1 %s, SIGUSR2 %s\n", label,
         sigismember(&current, SIGUSR1) ? "blocked" : "unblocked",
         sigismember(&current, SIGUSR2) ? "blocked" : "unblocked");
}

static void report_handler(const char* label) {
  printf("%s: handler runs %d, SIGUSR2 blocked in the handler: %s\n", label, (int)handler_runs,
         usr2_blocked_in_handler ? "yes" : "no");
  handler_runs = 0;
  usr2_blocked_in_handler = 0;
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  alarm(20);
  signal(SIGUSR1, on_usr1);

  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  /* The temporary mask unblocks SIGUSR1 and blocks SIGUSR2. */
  sigset_t wait_mask;
  sigemptyset(&wait_mask);
  sigaddset(&wait_mask, SIGUSR2);

  const struct timespec long_wait = {10, 0};
  int ends[2];
  CALL(pipe(ends));
  struct pollfd request = {ends[0], POLLIN, 0};

  /* ppoll: the pending SIGUSR1 ends the wait at once. */
  CALL(raise(SIGUSR1));
  CALL(ppoll(&request, 1, &long_wait, &wait_mask));
  report_handler("ppoll");
  report_mask("after ppoll");

  /* Without a mask argument the blocked SIGUSR1 stays pending. */
  CALL(raise(SIGUSR1));
  const struct timespec no_wait = {0, 0};
  CALL(ppoll(&request, 1, &no_wait, NULL));
  report_handler("ppoll without a mask");

  /* A ready descriptor wins; SIGUSR1 stays pending and blocked. */
  CALL(write(ends[1], "x", 1));
  CALL(ppoll(&request, 1, &long_wait, &wait_mask));
  report_handler("ppoll with a ready pipe");
  report_mask("after ppoll with a ready pipe");
  char byte = 0;
  CALL(read(ends[0], &byte, 1));

  /* pselect6, with SIGUSR1 still pending from above. */
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(ends[0], &readable);
  CALL(pselect(ends[0] + 1, &readable, NULL, NULL, &long_wait, &wait_mask));
  report_handler("pselect");
  report_mask("after pselect");

  /* epoll_pwait. */
  int epoll = (int)CALL(epoll_create1(0));
  struct epoll_event event = {.events = EPOLLIN, .data.fd = ends[0]};
  CALL(epoll_ctl(epoll, EPOLL_CTL_ADD, ends[0], &event));
  CALL(raise(SIGUSR1));
  struct epoll_event ready;
  CALL(epoll_pwait(epoll, &ready, 1, 10000, &wait_mask));
  report_handler("epoll_pwait");
  report_mask("after epoll_pwait");

  /* A mask that keeps SIGUSR1 blocked: the wait times out. */
  CALL(raise(SIGUSR1));
  const struct timespec short_wait = {0, 1000000};
  CALL(ppoll(&request, 1, &short_wait, &usr1));
  report_handler("ppoll keeping SIGUSR1 blocked");

  /* Unblocking delivers the signal that is still pending. */
  CALL(sigprocmask(SIG_UNBLOCK, &usr1, NULL));
  report_handler("after unblocking");
  return 0;
}
