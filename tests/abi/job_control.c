/* Job control between processes. SIGSTOP, SIGTSTP and SIGCONT stop and
 * resume a child. The parent learns of it through wait4 (WUNTRACED,
 * WCONTINUED), waitid (WSTOPPED, WCONTINUED, WNOWAIT) and SIGCHLD
 * (CLD_STOPPED, CLD_CONTINUED, SA_NOCLDSTOP), and /proc shows state T.
 * A stopped multithreaded process runs no thread, and SIGKILL ends a
 * stopped process. SIGCONT resumes even when blocked and discards a pending
 * stop signal. SIGTSTP is discarded in an orphaned process group, and an
 * exit that orphans a group with a stopped member sends it SIGHUP and
 * SIGCONT.
 * Pids differ between runs, so the program prints facts about them. */
#include "abi.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>

static volatile sig_atomic_t child_signals;
static volatile sig_atomic_t last_code;
static volatile sig_atomic_t last_status;

static void on_child(int signal, siginfo_t* info, void* context) {
  (void)signal;
  (void)context;
  child_signals++;
  last_code = info->si_code;
  last_status = info->si_status;
}

static void set_child_action(int flags) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_child;
  action.sa_flags = SA_SIGINFO | SA_RESTART | flags;
  sigaction(SIGCHLD, &action, NULL);
}

/* Waits for `pid` with `options` and prints what wait4 reports. */
static void wait_and_report(const char* label, pid_t pid, int options) {
  int status = 0;
  pid_t waited = waitpid(pid, &status, options);
  if (waited < 0) {
    printf("%s: waitpid failed: %s\n", label, strerrorname_np(errno));
  } else if (waited == 0) {
    printf("%s: no state change\n", label);
  } else {
    FACT("waitpid returned the child", waited == pid);
    abi_report_wait_status(label, status);
  }
}

/* Prints the state letter of /proc/<pid>/stat and the State: line of
 * /proc/<pid>/status. */
static void report_proc_state(const char* label, pid_t pid) {
  char path[64];
  char text[4096];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if (abi_read_file(path, text, sizeof text) < 0) {
    printf("%s: %s unreadable\n", label, "stat");
    return;
  }
  const char* end = strrchr(text, ')');
  printf("%s: stat state %c\n", label, end != NULL ? end[2] : '?');
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  if (abi_read_file(path, text, sizeof text) < 0) {
    printf("%s: %s unreadable\n", label, "status");
    return;
  }
  const char* state = strstr(text, "State:");
  if (state != NULL) {
    const char* line_end = strchr(state, '\n');
    printf("%s: %.*s\n", label, (int)(line_end - state), state);
  }
}

/* Forks a child that writes one byte to a pipe when it is ready, and then
 * sleeps in pause() until a signal ends it. */
static pid_t start_pausing_child(void) {
  int ends[2];
  if (pipe(ends) != 0) {
    perror("pipe");
    exit(2);
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(ends[0]);
    (void)!write(ends[1], "r", 1);
    for (;;) {
      pause();
    }
  }
  close(ends[1]);
  char byte;
  (void)!read(ends[0], &byte, 1);
  close(ends[0]);
  return pid;
}

static void sleep_milliseconds(long milliseconds) {
  struct timespec delay = {milliseconds / 1000, (milliseconds % 1000) * 1000000};
  nanosleep(&delay, NULL);
}

static void stop_and_continue_with_wait4(void) {
  pid_t pid = start_pausing_child();
  CALL(kill(pid, SIGSTOP));
  wait_and_report("after SIGSTOP", pid, WUNTRACED);
  report_proc_state("stopped child", pid);
  wait_and_report("second WUNTRACED wait", pid, WUNTRACED | WNOHANG);
  CALL(kill(pid, SIGCONT));
  wait_and_report("after SIGCONT", pid, WCONTINUED);
  wait_and_report("second WCONTINUED wait", pid, WCONTINUED | WNOHANG);
  CALL(kill(pid, SIGTSTP));
  wait_and_report("after SIGTSTP", pid, WUNTRACED);
  /* SIGTERM waits while the child is stopped and ends it once SIGCONT
   * resumes it. */
  CALL(kill(pid, SIGTERM));
  wait_and_report("SIGTERM to a stopped child", pid, WNOHANG);
  CALL(kill(pid, SIGCONT));
  wait_and_report("SIGTERM after SIGCONT", pid, 0);
}

static void report_waitid(const char* label, const siginfo_t* info) {
  printf("%s: si_signo %d si_code %d si_status %d\n", label, info->si_signo, info->si_code,
         info->si_status);
}

static void stop_and_continue_with_waitid(void) {
  pid_t pid = start_pausing_child();
  siginfo_t info;
  CALL(kill(pid, SIGTSTP));
  memset(&info, 0, sizeof info);
  CALL(waitid(P_PID, pid, &info, WSTOPPED | WNOWAIT));
  report_waitid("WSTOPPED|WNOWAIT", &info);
  memset(&info, 0, sizeof info);
  CALL(waitid(P_PID, pid, &info, WSTOPPED));
  report_waitid("WSTOPPED", &info);
  FACT("waitid si_pid is the child", info.si_pid == pid);
  memset(&info, 0, sizeof info);
  CALL(waitid(P_PID, pid, &info, WSTOPPED | WNOHANG));
  report_waitid("WSTOPPED again", &info);
  CALL(kill(pid, SIGCONT));
  memset(&info, 0, sizeof info);
  CALL(waitid(P_PID, pid, &info, WCONTINUED));
  report_waitid("WCONTINUED", &info);
  CALL(kill(pid, SIGKILL));
  memset(&info, 0, sizeof info);
  CALL(waitid(P_PID, pid, &info, WEXITED));
  report_waitid("WEXITED", &info);
}

/* Waits until the SIGCHLD handler has run `count` times in all. */
static void await_child_signals(int count) {
  sigset_t child_set;
  sigset_t old_set;
  sigemptyset(&child_set);
  sigaddset(&child_set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child_set, &old_set);
  while (child_signals < count) {
    sigsuspend(&old_set);
  }
  sigprocmask(SIG_SETMASK, &old_set, NULL);
}

static void child_signal_codes(void) {
  set_child_action(0);
  child_signals = 0;
  pid_t pid = start_pausing_child();
  CALL(kill(pid, SIGSTOP));
  await_child_signals(1);
  printf("SIGCHLD for a stop: code %d status %d\n", last_code, last_status);
  wait_and_report("stop", pid, WUNTRACED);
  CALL(kill(pid, SIGCONT));
  await_child_signals(2);
  printf("SIGCHLD for a continue: code %d status %d\n", last_code, last_status);
  wait_and_report("continue", pid, WCONTINUED);

  /* With SA_NOCLDSTOP neither a stop nor a continue sends SIGCHLD; the
   * exit still does, and the waits still report both. */
  set_child_action(SA_NOCLDSTOP);
  CALL(kill(pid, SIGSTOP));
  wait_and_report("stop with SA_NOCLDSTOP", pid, WUNTRACED);
  CALL(kill(pid, SIGCONT));
  wait_and_report("continue with SA_NOCLDSTOP", pid, WCONTINUED);
  CALL(kill(pid, SIGKILL));
  await_child_signals(3);
  printf("SIGCHLD count with SA_NOCLDSTOP: %d, code %d status %d\n", child_signals, last_code,
         last_status);
  wait_and_report("SIGKILL", pid, 0);
  signal(SIGCHLD, SIG_DFL);
}

static volatile long* shared_counter;

static void* count_forever(void* argument) {
  (void)argument;
  for (;;) {
    __atomic_fetch_add(shared_counter, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

static void stopped_threads(void) {
  shared_counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int ends[2];
  if (shared_counter == MAP_FAILED || pipe(ends) != 0) {
    perror("setup");
    exit(2);
  }
  pid_t pid = fork();
  if (pid == 0) {
    pthread_t thread;
    pthread_create(&thread, NULL, count_forever, NULL);
    while (__atomic_load_n(shared_counter, __ATOMIC_RELAXED) == 0) {
    }
    (void)!write(ends[1], "r", 1);
    for (;;) {
      pause();
    }
  }
  close(ends[1]);
  char byte;
  (void)!read(ends[0], &byte, 1);
  close(ends[0]);

  CALL(kill(pid, SIGSTOP));
  wait_and_report("multithreaded child", pid, WUNTRACED);
  long before = __atomic_load_n(shared_counter, __ATOMIC_RELAXED);
  sleep_milliseconds(200);
  long after = __atomic_load_n(shared_counter, __ATOMIC_RELAXED);
  FACT("the counting thread stays stopped", before == after);
  report_proc_state("multithreaded child", pid);

  CALL(kill(pid, SIGCONT));
  wait_and_report("multithreaded child", pid, WCONTINUED);
  while (__atomic_load_n(shared_counter, __ATOMIC_RELAXED) == after) {
    sleep_milliseconds(1);
  }
  printf("the counting thread runs again\n");
  CALL(kill(pid, SIGSTOP));
  wait_and_report("multithreaded child", pid, WUNTRACED);
  CALL(kill(pid, SIGKILL));
  wait_and_report("SIGKILL to the stopped child", pid, 0);
  munmap((void*)shared_counter, 4096);
}

/* A child, in a new session when `own_session` is set, that blocks
 * `blocked` and reads one byte from the pipe `cue` before it runs `act`.
 * It reports through the pipe `report`. */
struct cued_child {
  pid_t pid;
  int cue;
  int report;
};

static struct cued_child start_cued_child(int own_session, int blocked,
                                          void (*act)(int cue, int report)) {
  int cue[2];
  int report[2];
  if (pipe(cue) != 0 || pipe(report) != 0) {
    perror("pipe");
    exit(2);
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(cue[1]);
    close(report[0]);
    if (own_session) {
      setsid();
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, blocked);
    sigprocmask(SIG_BLOCK, &set, NULL);
    (void)!write(report[1], "r", 1);
    char byte;
    (void)!read(cue[0], &byte, 1);
    act(cue[0], report[1]);
    _exit(0);
  }
  close(cue[0]);
  close(report[1]);
  char byte;
  (void)!read(report[0], &byte, 1);
  struct cued_child child = {pid, cue[1], report[0]};
  return child;
}

static void read_report(const char* label, int report) {
  char text[64] = {0};
  ssize_t count = read(report, text, sizeof text - 1);
  printf("%s: %s\n", label, count > 0 ? text : "(nothing)");
}

/* Writes whether SIGTSTP is pending, unblocks it, writes that it runs on
 * and waits until the parent closes the cue. */
static void unblock_terminal_stop(int cue, int report) {
  sigset_t pending;
  sigpending(&pending);
  const char* fact = sigismember(&pending, SIGTSTP) ? "pending, " : "not pending, ";
  (void)!write(report, fact, strlen(fact));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTSTP);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  (void)!write(report, "running", 7);
  char byte;
  (void)!read(cue, &byte, 1);
}

/* Writes that SIGCONT resumed the child although it blocks SIGCONT, and
 * waits until the parent closes the cue. */
static void stop_self(int cue, int report) {
  raise(SIGSTOP);
  (void)!write(report, "resumed", 7);
  char byte;
  (void)!read(cue, &byte, 1);
}

/* Waits until the child exits (or stops, which would be wrong) and prints
 * what it wrote. */
static void finish_cued_child(const char* label, struct cued_child child) {
  close(child.cue);
  wait_and_report(label, child.pid, WUNTRACED);
  read_report(label, child.report);
  close(child.report);
  kill(child.pid, SIGKILL);
  waitpid(child.pid, NULL, 0);
}

static void pending_stop_rules(void) {
  /* SIGCONT discards the pending SIGTSTP, so unblocking it later stops
   * nothing. */
  struct cued_child child = start_cued_child(0, SIGTSTP, unblock_terminal_stop);
  CALL(kill(child.pid, SIGTSTP));
  CALL(kill(child.pid, SIGCONT));
  (void)!write(child.cue, "c", 1);
  finish_cued_child("SIGTSTP discarded by SIGCONT", child);

  /* A blocked SIGTSTP stops the child once it is unblocked. */
  child = start_cued_child(0, SIGTSTP, unblock_terminal_stop);
  CALL(kill(child.pid, SIGTSTP));
  (void)!write(child.cue, "c", 1);
  wait_and_report("blocked SIGTSTP", child.pid, WUNTRACED);
  CALL(kill(child.pid, SIGCONT));
  wait_and_report("blocked SIGTSTP", child.pid, WCONTINUED);
  finish_cued_child("blocked SIGTSTP", child);

  /* In an orphaned process group (a new session) SIGTSTP stops nothing. */
  child = start_cued_child(1, SIGTSTP, unblock_terminal_stop);
  CALL(kill(child.pid, SIGTSTP));
  (void)!write(child.cue, "c", 1);
  finish_cued_child("SIGTSTP in an orphaned group", child);

  /* SIGSTOP stops an orphaned group too, and SIGCONT resumes a child that
   * blocks it. */
  child = start_cued_child(1, SIGCONT, stop_self);
  (void)!write(child.cue, "c", 1);
  wait_and_report("SIGSTOP in an orphaned group", child.pid, WUNTRACED);
  CALL(kill(child.pid, SIGCONT));
  wait_and_report("SIGCONT while blocked", child.pid, WCONTINUED);
  finish_cued_child("SIGCONT while blocked", child);
}

static int hangup_report = -1;

static void on_hangup(int signal) {
  (void)signal;
  (void)!write(hangup_report, "hangup, ", 8);
}

/* A stopped process whose group becomes orphaned gets SIGHUP and SIGCONT:
 * a middle process starts a job in a group of its own, waits until the job
 * has stopped, and exits. */
static void orphaned_stopped_group(void) {
  int report[2];
  if (pipe(report) != 0) {
    perror("pipe");
    exit(2);
  }
  pid_t middle = fork();
  if (middle == 0) {
    close(report[0]);
    pid_t job = fork();
    if (job == 0) {
      setpgid(0, 0);
      hangup_report = report[1];
      signal(SIGHUP, on_hangup);
      pid_t parent = getppid();
      raise(SIGSTOP);
      const char* fact = getppid() != parent ? "continued, adopted" : "continued, same parent";
      (void)!write(report[1], fact, strlen(fact));
      _exit(0);
    }
    close(report[1]);
    setpgid(job, job);

    int status = 0;
    waitpid(job, &status, WUNTRACED);
    _exit(WIFSTOPPED(status) ? 0 : 1);
  }
  close(report[1]);
  wait_and_report("middle process", middle, 0);

  char text[64] = {0};
  size_t length = 0;
  ssize_t count;
  while (length < sizeof text - 1 &&
         (count = read(report[0], text + length, sizeof text - 1 - length)) > 0) {
    length += (size_t)count;
  }
  close(report[0]);
  printf("job in the orphaned group: %s\n", text);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  setvbuf(stdout, NULL, _IONBF, 0);

  /* The checks run in a process group of their own, whose parent is in
   * another group of the same session, so SIGTSTP stops their children
   * even when the caller's group is orphaned (a test started detached). */
  pid_t driver = fork();
  if (driver == 0) {
    setpgid(0, 0);
    stop_and_continue_with_wait4();
    stop_and_continue_with_waitid();
    child_signal_codes();
    stopped_threads();
    pending_stop_rules();
    orphaned_stopped_group();
    _exit(0);
  }
  int status = 0;
  waitpid(driver, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
