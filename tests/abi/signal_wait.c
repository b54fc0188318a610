/* Waiting for signals without handlers: sigtimedwait takes a pending
 * blocked signal and fills in siginfo, times out with EAGAIN, and takes a
 * signal that another thread sends while it waits; sigqueue carries a
 * value with SI_QUEUE, and real-time signals come out in the order they
 * were queued; sigwait returns the signal number. */
#include "abi.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

static pthread_t main_thread;

static void* send_later(void* unused) {
  (void)unused;
  struct timespec pause_time = {0, 20 * 1000 * 1000};
  nanosleep(&pause_time, NULL);
  pthread_kill(main_thread, SIGUSR2);
  return NULL;
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  main_thread = pthread_self();

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGRTMIN + 2);
  CALL(sigprocmask(SIG_BLOCK, &set, NULL));

  struct timespec no_wait = {0, 0};
  siginfo_t info;
  CALL(sigtimedwait(&set, &info, &no_wait));
  struct timespec short_wait = {0, 10 * 1000 * 1000};
  CALL(sigtimedwait(&set, &info, &short_wait));
  struct timespec bad_wait = {0, 1000 * 1000 * 1000};
  CALL(sigtimedwait(&set, &info, &bad_wait));

  CALL(kill(getpid(), SIGUSR1));
  memset(&info, 0, sizeof info);
  CALL(sigtimedwait(&set, &info, &no_wait));
  printf("siginfo: signo %d, code SI_USER %s, pid matches %s\n", info.si_signo,
         info.si_code == SI_USER ? "yes" : "no", info.si_pid == getpid() ? "yes" : "no");

  for (int value = 1; value <= 3; value++) {
    CALL(sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = value * 10}));
  }
  for (int round = 0; round < 3; round++) {
    memset(&info, 0, sizeof info);
    CALL(sigwaitinfo(&set, &info) - SIGRTMIN);
    printf("queued: code SI_QUEUE %s, value %d\n", info.si_code == SI_QUEUE ? "yes" : "no",
           info.si_value.sival_int);
  }
  sigset_t pending;
  CALL(sigpending(&pending));
  FACT("nothing pending after the queue drained", !sigismember(&pending, SIGRTMIN + 2));

  pthread_t thread;
  CALL(pthread_create(&thread, NULL, send_later, NULL));
  int received = 0;
  CALL(sigwait(&set, &received));
  printf("sigwait received signal %d\n", received);
  CALL(pthread_join(thread, NULL));
  return 0;
}
