/* Blocked signals: a blocked signal stays pending (sigpending) and runs its
 * handler once unblocked, a standard signal sent twice is pending once
 * while a real-time one queues, SIGKILL and SIGSTOP cannot be blocked,
 * setting SIG_IGN discards a pending signal, and the handler runs with its
 * sa_mask and its own signal blocked. */
#include "abi.h"

#include <signal.h>

static volatile sig_atomic_t usr1_count;
static volatile sig_atomic_t realtime_count;
static volatile sig_atomic_t usr2_blocked_in_handler;
static volatile sig_atomic_t own_blocked_in_handler;

static void on_usr1(int signal) {
  (void)signal;
  usr1_count++;
  sigset_t current;
  sigprocmask(SIG_BLOCK, NULL, &current);
  usr2_blocked_in_handler = sigismember(&current, SIGUSR2);
  own_blocked_in_handler = sigismember(&current, SIGUSR1);
}

static void on_realtime(int signal) {
  (void)signal;
  realtime_count++;
}

static void print_pending(const char* label) {
  sigset_t pending;
  sigemptyset(&pending);
  CALL(sigpending(&pending));
  printf("%s: SIGUSR1 %d, SIGUSR2 %d, SIGRTMIN+1 %d\n", label, sigismember(&pending, SIGUSR1),
         sigismember(&pending, SIGUSR2), sigismember(&pending, SIGRTMIN + 1));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);

  struct sigaction action = {0};
  action.sa_handler = on_usr1;
  sigemptyset(&action.sa_mask);
  sigaddset(&action.sa_mask, SIGUSR2);
  CALL(sigaction(SIGUSR1, &action, NULL));
  action.sa_handler = on_realtime;
  sigemptyset(&action.sa_mask);
  CALL(sigaction(SIGRTMIN + 1, &action, NULL));

  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGRTMIN + 1);
  CALL(sigprocmask(SIG_BLOCK, &block, NULL));

  CALL(raise(SIGUSR1));
  CALL(raise(SIGUSR1));
  CALL(kill(getpid(), SIGRTMIN + 1));
  CALL(kill(getpid(), SIGRTMIN + 1));
  printf("handler runs while blocked: %d %d\n", (int)usr1_count, (int)realtime_count);
  print_pending("pending while blocked");

  CALL(sigprocmask(SIG_UNBLOCK, &block, NULL));
  printf("handler runs after unblocking: SIGUSR1 %d, SIGRTMIN+1 %d\n", (int)usr1_count,
         (int)realtime_count);
  FACT("SIGUSR2 blocked in the handler (sa_mask)", usr2_blocked_in_handler == 1);
  FACT("SIGUSR1 blocked in its own handler", own_blocked_in_handler == 1);
  print_pending("pending after unblocking");

  /* SIGKILL and SIGSTOP are silently left out of the mask. */
  sigset_t all;
  sigfillset(&all);
  sigset_t old;
  CALL(sigprocmask(SIG_SETMASK, &all, &old));
  sigset_t current;
  CALL(sigprocmask(SIG_SETMASK, &old, &current));
  FACT("SIGKILL blocked", sigismember(&current, SIGKILL));
  FACT("SIGSTOP blocked", sigismember(&current, SIGSTOP));
  FACT("SIGTERM blocked", sigismember(&current, SIGTERM));
  CALL(sigprocmask(SIG_SETMASK, NULL, &current));
  FACT("SIGTERM blocked after restoring the old mask", sigismember(&current, SIGTERM));
  CALL(sigprocmask(42, &block, NULL));

  /* Ignoring a pending signal discards it. */
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  CALL(sigprocmask(SIG_BLOCK, &block, NULL));
  CALL(raise(SIGUSR2));
  print_pending("SIGUSR2 sent while blocked");
  CALL(signal(SIGUSR2, SIG_IGN) == SIG_ERR);
  print_pending("after SIG_IGN");
  CALL(sigprocmask(SIG_UNBLOCK, &block, NULL));

  /* A blocked signal with the default action ends the process once it is
   * unblocked, not before. */
  CALL(sigprocmask(SIG_BLOCK, &block, NULL));
  CALL(signal(SIGUSR2, SIG_DFL) == SIG_ERR);
  CALL(raise(SIGUSR2));
  printf("still running with SIGUSR2 pending\n");
  fflush(stdout);
  CALL(sigprocmask(SIG_UNBLOCK, &block, NULL));
  printf("not reached\n");
  return 0;
}
