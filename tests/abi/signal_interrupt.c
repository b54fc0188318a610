/* Signals interrupt blocking calls: another thread sends SIGUSR1 to the
 * main thread again and again until the call returns. Without SA_RESTART a
 * pipe read, nanosleep, poll, a futex wait, sigsuspend and pause return
 * EINTR; a thread spinning in user code runs the handler too; with
 * SA_RESTART the pipe read restarts and returns the data that the thread
 * writes after a few signals. */
#include "abi.h"

#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

enum { idle, signalling, signalling_then_writing, stopping };

static pthread_t main_thread;
static int ends[2];
static volatile int phase = idle;
static volatile sig_atomic_t handler_ran;

static void on_usr1(int signal) {
  (void)signal;
  handler_ran = 1;
}

static void* sender(void* unused) {
  (void)unused;
  int sent = 0;
  while (phase != stopping) {
    if (phase == idle) {
      sent = 0;
    }
    if (phase == signalling || phase == signalling_then_writing) {
      pthread_kill(main_thread, SIGUSR1);
      sent++;
      /* Data only after the handler ran, so the output does not depend on
       * how the threads are scheduled. */
      if (phase == signalling_then_writing && sent >= 3 && handler_ran) {
        phase = idle;
        write(ends[1], "x", 1);
      }
    }
    struct timespec pause_time = {0, 5 * 1000 * 1000};
    nanosleep(&pause_time, NULL);
  }
  return NULL;
}

static void install(int flags) {
  struct sigaction action = {0};
  action.sa_handler = on_usr1;
  action.sa_flags = flags;
  sigemptyset(&action.sa_mask);
  sigaction(SIGUSR1, &action, NULL);
}

static void start(int next_phase) {
  handler_ran = 0;
  phase = next_phase;
}

static void finish(const char* label) {
  phase = idle;
  FACT(label, handler_ran);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  main_thread = pthread_self();
  CALL(pipe(ends));
  pthread_t thread;
  CALL(pthread_create(&thread, NULL, sender, NULL));
  char buffer[8];

  install(0);
  start(signalling);
  CALL(read(ends[0], buffer, sizeof buffer));
  finish("handler ran for read");

  start(signalling);
  struct timespec long_time = {100, 0};
  CALL(nanosleep(&long_time, NULL));
  finish("handler ran for nanosleep");

  start(signalling);
  struct pollfd readable = {.fd = ends[0], .events = POLLIN};
  CALL(poll(&readable, 1, -1));
  finish("handler ran for poll");

  uint32_t word = 0;
  start(signalling);
  CALL(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
  finish("handler ran for futex");

  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  CALL(sigprocmask(SIG_BLOCK, &usr1, NULL));
  sigset_t none;
  sigemptyset(&none);
  start(signalling);
  CALL(sigsuspend(&none));
  finish("handler ran for sigsuspend");
  sigset_t current;
  CALL(sigprocmask(SIG_SETMASK, NULL, &current));
  FACT("SIGUSR1 blocked again after sigsuspend", sigismember(&current, SIGUSR1));
  CALL(sigprocmask(SIG_UNBLOCK, &usr1, NULL));

  start(signalling);
  CALL(pause());
  finish("handler ran for pause");

  /* A thread that makes no system call takes the signal too. */
  start(signalling);
  while (!handler_ran) {
  }
  finish("handler ran for a thread spinning in user code");

  install(SA_RESTART);
  start(signalling_then_writing);
  CALL(read(ends[0], buffer, sizeof buffer));
  finish("handler ran for the restarted read");

  phase = stopping;
  CALL(pthread_join(thread, NULL));
  return 0;
}
