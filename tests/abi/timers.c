/* Timers: alarm, setitimer and getitimer for ITIMER_REAL, and POSIX timers
 * (timer_create, timer_settime, timer_gettime, timer_getoverrun,
 * timer_delete) with signal, thread-directed and silent notification, and
 * the CPU-time timers ITIMER_PROF, ITIMER_VIRTUAL and
 * CLOCK_PROCESS_CPUTIME_ID.
 * Remaining times depend on scheduling, so the program prints facts about
 * them, never their values. */
#include "abi.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t alarms = 0;
static volatile sig_atomic_t alarm_code = 0;

static void on_alarm(int signal, siginfo_t* info, void* context) {
  (void)signal;
  (void)context;
  alarms++;
  alarm_code = info->si_code;
}

/* Waits for `signal`, which the caller blocks, for at most two seconds. */
static int wait_for(int signal, siginfo_t* info) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  struct timespec bound = {2, 0};
  return sigtimedwait(&set, info, &bound);
}

static void interval_timer(void) {
  struct sigaction action = {0};
  action.sa_sigaction = on_alarm;
  action.sa_flags = SA_SIGINFO;
  sigaction(SIGALRM, &action, NULL);

  /* alarm returns the whole seconds left on the previous alarm. */
  CALL(alarm(5));
  CALL(alarm(0));
  CALL(alarm(0));

  struct itimerval value = {{0, 0}, {10, 0}};
  struct itimerval old;
  CALL(setitimer(ITIMER_REAL, &value, NULL));
  CALL(getitimer(ITIMER_REAL, &old));
  FACT("getitimer: between 9 and 10 seconds left",
       old.it_value.tv_sec == 9 || (old.it_value.tv_sec == 10 && old.it_value.tv_usec == 0));
  printf("getitimer: interval %ld.%06ld\n", (long)old.it_interval.tv_sec,
         (long)old.it_interval.tv_usec);
  struct itimerval disarm = {{0, 0}, {0, 0}};
  CALL(setitimer(ITIMER_REAL, &disarm, &old));
  FACT("setitimer returns the old value", old.it_value.tv_sec >= 9);
  CALL(getitimer(ITIMER_REAL, &old));
  printf("disarmed: %ld.%06ld\n", (long)old.it_value.tv_sec, (long)old.it_value.tv_usec);

  /* Bad arguments. */
  struct itimerval bad = {{0, 0}, {0, 1000000}};
  CALL(setitimer(ITIMER_REAL, &bad, NULL));
  CALL(setitimer(7, &value, NULL));
  CALL(getitimer(7, &old));
  CALL(syscall(SYS_getitimer, ITIMER_REAL, (void*)16));

  /* A one-shot timer interrupts pause(). */
  struct itimerval once = {{0, 0}, {0, 20000}};
  CALL(setitimer(ITIMER_REAL, &once, NULL));
  CALL(pause());
  printf("alarms: %d, si_code SI_KERNEL: %s\n", (int)alarms,
         alarm_code == SI_KERNEL ? "yes" : "no");

  /* A periodic timer fires until it is disarmed. */
  struct itimerval periodic = {{0, 5000}, {0, 5000}};
  CALL(setitimer(ITIMER_REAL, &periodic, NULL));
  while (alarms < 4) {
    pause();
  }
  CALL(setitimer(ITIMER_REAL, &disarm, NULL));
  printf("periodic alarms: at least 4: %s\n", alarms >= 4 ? "yes" : "no");
}

static void posix_timers(void) {
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGRTMIN);
  sigaddset(&blocked, SIGALRM);
  sigaddset(&blocked, SIGUSR1);
  sigprocmask(SIG_BLOCK, &blocked, NULL);

  /* A signal timer reports its value and id in the siginfo. */
  timer_t timer;
  struct sigevent event = {0};
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = SIGRTMIN;
  event.sigev_value.sival_int = 77;
  CALL(timer_create(CLOCK_MONOTONIC, &event, &timer));
  printf("first timer id: %ld\n", (long)(intptr_t)timer);
  struct itimerspec soon = {{0, 0}, {0, 10000000}};
  CALL(timer_settime(timer, 0, &soon, NULL));
  siginfo_t info;
  CALL(wait_for(SIGRTMIN, &info) == SIGRTMIN);
  printf("si_code SI_TIMER: %s, si_value %d, overrun %d\n", info.si_code == SI_TIMER ? "yes" : "no",
         info.si_value.sival_int, info.si_overrun);
  struct itimerspec now;
  CALL(timer_gettime(timer, &now));
  printf("after expiry: %ld.%09ld\n", (long)now.it_value.tv_sec, now.it_value.tv_nsec);

  /* A periodic timer whose signal stays blocked queues one signal and
   * counts the other expiries as overruns. */
  struct itimerspec fast = {{0, 1000000}, {0, 1000000}};
  CALL(timer_settime(timer, 0, &fast, NULL));
  struct timespec pause_time = {0, 50000000};
  nanosleep(&pause_time, NULL);
  CALL(wait_for(SIGRTMIN, &info) == SIGRTMIN);
  FACT("one signal carries at least 10 overruns", info.si_overrun >= 10);
  FACT("timer_getoverrun agrees", timer_getoverrun(timer) == info.si_overrun);

  /* Later expiries queue another signal, but timer_getoverrun keeps the
   * count of the signal taken last. */
  struct timespec few_periods = {0, 5000000};
  nanosleep(&few_periods, NULL);
  FACT("timer_getoverrun keeps the taken signal's count",
       timer_getoverrun(timer) == info.si_overrun);

  /* Arming the timer again drops its queued signal. */
  nanosleep(&pause_time, NULL);
  struct itimerspec stop = {{0, 0}, {0, 0}};
  CALL(timer_settime(timer, 0, &stop, NULL));
  struct timespec no_wait = {0, 0};
  sigset_t only_rt;
  sigemptyset(&only_rt);
  sigaddset(&only_rt, SIGRTMIN);
  FACT("disarming drops the queued signal", sigtimedwait(&only_rt, &info, &no_wait) == -1);
  CALL(timer_delete(timer));
  CALL(timer_delete(timer));

  /* Without a sigevent: SIGALRM with the timer id as its value. */
  timer_t plain;
  CALL(timer_create(CLOCK_REALTIME, NULL, &plain));
  printf("second timer id: %ld\n", (long)(intptr_t)plain);
  struct timespec real;
  clock_gettime(CLOCK_REALTIME, &real);
  struct itimerspec absolute = {{0, 0}, {real.tv_sec - 1, 0}};
  CALL(timer_settime(plain, TIMER_ABSTIME, &absolute, NULL));
  CALL(wait_for(SIGALRM, &info) == SIGALRM);
  printf("default event: si_value %d\n", info.si_value.sival_int);
  CALL(timer_delete(plain));

  /* SIGEV_THREAD_ID sends to the named thread. */
  timer_t directed;
  struct sigevent to_thread = {0};
  to_thread.sigev_notify = SIGEV_THREAD_ID;
  to_thread.sigev_signo = SIGUSR1;
  to_thread._sigev_un._tid = (pid_t)syscall(SYS_gettid);
  CALL(timer_create(CLOCK_BOOTTIME, &to_thread, &directed));
  CALL(timer_settime(directed, 0, &soon, NULL));
  CALL(wait_for(SIGUSR1, &info) == SIGUSR1);
  CALL(timer_delete(directed));

  /* SIGEV_NONE: the timer runs but sends nothing. */
  timer_t silent;
  struct sigevent none = {0};
  none.sigev_notify = SIGEV_NONE;
  CALL(timer_create(CLOCK_MONOTONIC, &none, &silent));
  struct itimerspec later = {{1, 0}, {5, 0}};
  CALL(timer_settime(silent, 0, &later, NULL));
  struct itimerspec left;
  CALL(timer_gettime(silent, &left));
  FACT("SIGEV_NONE timer: between 4 and 5 seconds left",
       left.it_value.tv_sec == 4 || (left.it_value.tv_sec == 5 && left.it_value.tv_nsec == 0));
  printf("interval %ld.%09ld\n", (long)left.it_interval.tv_sec, left.it_interval.tv_nsec);
  CALL(timer_getoverrun(silent));
  CALL(timer_delete(silent));

  /* Bad arguments. */
  int kernel_id = 0;
  CALL(syscall(SYS_timer_create, 1234, NULL, &kernel_id));
  CALL(syscall(SYS_timer_create, CLOCK_MONOTONIC_RAW, NULL, &kernel_id));
  struct sigevent bad = {0};
  bad.sigev_notify = SIGEV_SIGNAL;
  bad.sigev_signo = 65;
  CALL(syscall(SYS_timer_create, CLOCK_MONOTONIC, &bad, &kernel_id));
  bad.sigev_notify = 99;
  CALL(syscall(SYS_timer_create, CLOCK_MONOTONIC, &bad, &kernel_id));
  bad.sigev_notify = SIGEV_THREAD_ID;
  bad.sigev_signo = SIGUSR1;
  bad._sigev_un._tid = 0x7fffffff;
  CALL(syscall(SYS_timer_create, CLOCK_MONOTONIC, &bad, &kernel_id));
  CALL(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, (void*)16));
  CALL(syscall(SYS_timer_settime, 999, 0, &soon, NULL));
  CALL(syscall(SYS_timer_gettime, 999, &left));
  CALL(syscall(SYS_timer_getoverrun, 999));
  CALL(syscall(SYS_timer_delete, 999));
  struct itimerspec bad_time = {{0, 0}, {0, 1000000000}};
  CALL(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &kernel_id));
  printf("timer id after the failed creations: %d\n", kernel_id);
  CALL(syscall(SYS_timer_settime, kernel_id, 0, &bad_time, NULL));
  CALL(syscall(SYS_timer_delete, kernel_id));
}

static volatile sig_atomic_t cpu_signals = 0;
static volatile sig_atomic_t cpu_signal_code = 0;

static void on_cpu_timer(int signal, siginfo_t* info, void* context) {
  (void)signal;
  (void)context;
  cpu_signals++;
  cpu_signal_code = info->si_code;
}

/* Spins until a CPU-time timer's signal arrives, for at most five seconds
 * of elapsed time. */
static int spin_until_signal(void) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  volatile unsigned long counter = 0;
  while (cpu_signals == 0) {
    counter++;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > 5) {
      return 0;
    }
  }
  return 1;
}

static void cpu_timers(void) {
  struct sigaction action = {0};
  action.sa_sigaction = on_cpu_timer;
  action.sa_flags = SA_SIGINFO;
  sigaction(SIGPROF, &action, NULL);
  sigaction(SIGVTALRM, &action, NULL);
  sigaction(SIGRTMIN + 1, &action, NULL);

  /* ITIMER_PROF counts user and system time, ITIMER_VIRTUAL user time. */
  struct itimerval profile = {{0, 0}, {0, 30000}};
  CALL(setitimer(ITIMER_PROF, &profile, NULL));
  struct itimerval left;
  CALL(getitimer(ITIMER_PROF, &left));
  /* Linux rounds CPU-time timers up to its clock tick (at most 10 ms). */
  FACT("ITIMER_PROF: at most 40 ms left",
       left.it_value.tv_sec == 0 && left.it_value.tv_usec <= 40000);
  FACT("SIGPROF arrives while the process computes", spin_until_signal());
  printf("SIGPROF si_code SI_KERNEL: %s\n", cpu_signal_code == SI_KERNEL ? "yes" : "no");

  cpu_signals = 0;
  CALL(setitimer(ITIMER_VIRTUAL, &profile, NULL));
  FACT("SIGVTALRM arrives while the process computes", spin_until_signal());

  /* A POSIX timer on the process CPU clock. */
  cpu_signals = 0;
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, SIGRTMIN + 1);
  sigprocmask(SIG_UNBLOCK, &unblock, NULL);
  timer_t timer;
  struct sigevent event = {0};
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = SIGRTMIN + 1;
  CALL(timer_create(CLOCK_PROCESS_CPUTIME_ID, &event, &timer));
  struct itimerspec soon = {{0, 0}, {0, 30000000}};
  CALL(timer_settime(timer, 0, &soon, NULL));
  FACT("the CPU-time timer fires while the process computes", spin_until_signal());
  printf("CPU-time timer si_code SI_TIMER: %s\n", cpu_signal_code == SI_TIMER ? "yes" : "no");
  CALL(timer_delete(timer));
}

int main(void) {
  interval_timer();
  posix_timers();
  cpu_timers();
  return 0;
}
