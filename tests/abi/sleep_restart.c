/* Interrupted sleeps. A child sleeps 1 s while its parent stops and
 * continues it, or sends it a signal with a handler. A stop ends no sleep:
 * a relative nanosleep or clock_nanosleep resumes through restart_syscall
 * with the time left, so it still ends about 1 s after it began, and an
 * absolute one runs again until its deadline. A handler makes the sleep
 * return EINTR with the time left even with SA_RESTART, and after a stop
 * that time counts from the first deadline. Timings are printed only as
 * facts with wide margins, so that a loaded machine gives the same output. */
#include "abi.h"

#include <signal.h>
#include <time.h>

enum sleep_kind { sleep_nanosleep, sleep_clock_relative, sleep_clock_absolute };

struct scenario {
  const char* name;
  enum sleep_kind kind;
  int stop_at_ms;     /* after the child announced its sleep; -1 for none */
  int continue_at_ms; /* when stopped */
  int signal_at_ms;   /* SIGUSR1, whose handler has SA_RESTART; -1 for none */
  double left_below;  /* the bound on the time left that an EINTR reports */
};

static double monotonic_seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void on_signal(int signo) { (void)signo; }

/* Sleeps 1 s as `scenario` selects and prints what the sleep returned. Writes
 * a byte to `ready` just before the sleep starts. */
static void sleep_in_child(const struct scenario* scenario, int ready) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &action, NULL);

  struct timespec request = {1, 0};
  struct timespec remaining = {-1, -1};
  const double start = monotonic_seconds();
  if (write(ready, "s", 1) != 1) {
    _exit(3);
  }
  int error = 0;
  switch (scenario->kind) {
    case sleep_nanosleep:
      error = nanosleep(&request, &remaining) == 0 ? 0 : errno;
      break;
    case sleep_clock_relative:
      error = clock_nanosleep(CLOCK_MONOTONIC, 0, &request, &remaining);
      break;
    case sleep_clock_absolute: {
      struct timespec deadline;
      clock_gettime(CLOCK_MONOTONIC, &deadline);
      deadline.tv_sec += 1;
      error = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
      break;
    }
  }
  const double elapsed = monotonic_seconds() - start;

  printf("  sleep returned: %s\n", error == 0 ? "0" : strerrorname_np(error));
  if (error == 0) {
    FACT("  slept at least 1 s", elapsed >= 1.0);
    FACT("  woke before 1.6 s", elapsed < 1.6);
    return;
  }
  const double left = (double)remaining.tv_sec + (double)remaining.tv_nsec / 1e9;
  FACT("  returned before 0.9 s", elapsed < 0.9);
  FACT("  time left above 0.1 s", left > 0.1);
  printf("  time left below %.2f s: %s\n", scenario->left_below,
         left < scenario->left_below ? "yes" : "no");
}

static void sleep_milliseconds(int milliseconds) {
  struct timespec pause = {milliseconds / 1000, (long)(milliseconds % 1000) * 1000000};
  while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
  }
}

static void run(const struct scenario* scenario) {
  printf("%s\n", scenario->name);
  int ready[2];
  if (pipe(ready) != 0) {
    perror("pipe");
    exit(1);
  }
  pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    sleep_in_child(scenario, ready[1]);
    exit(0);
  }
  close(ready[1]);
  char byte;
  FACT("  child announced its sleep", read(ready[0], &byte, 1) == 1);
  close(ready[0]);

  int at_ms = 0;
  int status = 0;
  if (scenario->stop_at_ms >= 0) {
    sleep_milliseconds(scenario->stop_at_ms);
    kill(child, SIGSTOP);
    waitpid(child, &status, WUNTRACED);
    abi_report_wait_status("  child", status);
    sleep_milliseconds(scenario->continue_at_ms - scenario->stop_at_ms);
    kill(child, SIGCONT);
    at_ms = scenario->continue_at_ms;
  }
  if (scenario->signal_at_ms >= 0) {
    sleep_milliseconds(scenario->signal_at_ms - at_ms);
    kill(child, SIGUSR1);
  }
  waitpid(child, &status, 0);
  abi_report_wait_status("  child", status);
}

int main(void) {
  /* Unbuffered, so that the lines of parent and child keep their order. */
  setvbuf(stdout, NULL, _IONBF, 0);

  const struct scenario scenarios[] = {
      {"nanosleep, stopped and continued", sleep_nanosleep, 200, 900, -1, 0},
      {"relative clock_nanosleep, stopped and continued", sleep_clock_relative, 200, 900, -1, 0},
      {"absolute clock_nanosleep, stopped and continued", sleep_clock_absolute, 200, 900, -1, 0},
      /* Left: 0.8 s. */
      {"nanosleep, handler with SA_RESTART", sleep_nanosleep, -1, 0, 200, 1.0},
      /* Left: 0.5 s, where a restart with the whole duration leaves 0.9 s. */
      {"nanosleep, stopped, then a handler", sleep_nanosleep, 100, 400, 500, 0.75},
  };
  for (size_t index = 0; index < sizeof scenarios / sizeof scenarios[0]; ++index) {
    run(&scenarios[index]);
  }
  return 0;
}
