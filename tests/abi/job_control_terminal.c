/* Job control on a pseudo-terminal: a session leader with the replica as
 * its controlling terminal runs jobs in other process groups. A background
 * read gets SIGTTIN, or EIO when SIGTTIN is ignored or the group is
 * orphaned. A background write with TOSTOP and a background tcsetattr get
 * SIGTTOU. tcsetpgrp from the background works while SIGTTOU is ignored.
 * ^Z (VSUSP) sends SIGTSTP to the foreground group.
 * Pids differ between runs, so the program prints facts about them. */
#include "abi.h"

#include <signal.h>
#include <stdint.h>
#include <termios.h>

static void wait_and_report(const char* label, pid_t pid, int options) {
  int status = 0;
  pid_t waited = waitpid(pid, &status, options);
  if (waited < 0) {
    printf("%s: waitpid failed: %s\n", label, strerrorname_np(errno));
  } else {
    abi_report_wait_status(label, status);
  }
}

static int primary;
static int replica;

/* Forks a job in a process group of its own with the default SIGTTOU
 * action, as a shell does, which runs `job` and exits with what it
 * returns. */
static pid_t start_job(int (*job)(void)) {
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    signal(SIGTTOU, SIG_DFL);
    _exit(job());
  }
  setpgid(pid, pid);
  return pid;
}

/* Ends a stopped job and reaps it. */
static void end_job(const char* label, pid_t pid) {
  kill(pid, SIGKILL);
  wait_and_report(label, pid, 0);
}

static int read_terminal(void) {
  char buffer[16];
  ssize_t count = read(replica, buffer, sizeof buffer);
  if (count < 0) {
    printf("job read: %s\n", strerrorname_np(errno));
    return 100;
  }
  return (int)count;
}

static int read_terminal_ignoring_sigttin(void) {
  signal(SIGTTIN, SIG_IGN);
  return read_terminal();
}

/* Reads the terminal once the session has made this job the foreground
 * group. */
static int read_terminal_in_foreground(void) {
  while (tcgetpgrp(replica) != getpgrp()) {
    usleep(1000);
  }
  return read_terminal();
}

static int write_terminal(void) {
  ssize_t count = write(replica, "out\n", 4);
  if (count < 0) {
    printf("job write: %s\n", strerrorname_np(errno));
    return 100;
  }
  return (int)count;
}

static int write_terminal_ignoring_sigttou(void) {
  signal(SIGTTOU, SIG_IGN);
  return write_terminal();
}

static int change_settings(void) {
  struct termios settings;
  tcgetattr(replica, &settings);
  if (tcsetattr(replica, TCSANOW, &settings) != 0) {
    printf("job tcsetattr: %s\n", strerrorname_np(errno));
    return 100;
  }
  return 0;
}

static int report_pipe[2];

/* Leaves a grandchild in an orphaned process group: the job exits at once,
 * and its child reads the terminal from the background once the job has
 * gone. The pipe's end of file shows that the job's descriptors have
 * closed, and the short sleep covers the rest of its exit. */
static int orphan_reader(void) {
  int lifeline[2];
  if (pipe(lifeline) != 0) {
    return 2;
  }
  pid_t orphan = fork();
  if (orphan == 0) {
    close(lifeline[1]);
    char byte;
    while (read(lifeline[0], &byte, 1) > 0) {
    }
    usleep(20000);
    char buffer[16];
    ssize_t count = read(replica, buffer, sizeof buffer);
    int error = count < 0 ? errno : 0;
    (void)!write(report_pipe[1], &error, sizeof error);
    _exit(0);
  }
  return 0;
}

static void set_output_stop(int enabled) {
  struct termios settings;
  tcgetattr(replica, &settings);
  if (enabled) {
    settings.c_lflag |= TOSTOP;
  } else {
    settings.c_lflag &= ~TOSTOP;
  }
  tcsetattr(replica, TCSANOW, &settings);
}

static void drain_primary(void) {
  char buffer[256];
  int flags = fcntl(primary, F_GETFL);
  fcntl(primary, F_SETFL, flags | O_NONBLOCK);
  while (read(primary, buffer, sizeof buffer) > 0) {
  }
  fcntl(primary, F_SETFL, flags);
}

static int run_session(const char* name) {
  if (setsid() < 0) {
    perror("setsid");
    return 2;
  }
  replica = open(name, O_RDWR);
  if (replica < 0) {
    perror("open replica");
    return 2;
  }
  /* A shell ignores SIGTTOU, so it can take the terminal back from the
   * background. */
  signal(SIGTTOU, SIG_IGN);
  FACT("the session leads the foreground group", tcgetpgrp(replica) == getpgrp());

  pid_t job = start_job(read_terminal);
  wait_and_report("background read", job, WUNTRACED);
  /* The input comes after the continue is reported, so the job cannot
   * have exited by then. */
  CALL(tcsetpgrp(replica, job));
  CALL(kill(job, SIGCONT));
  wait_and_report("read after fg", job, WCONTINUED);
  CALL(write(primary, "x\n", 2));
  wait_and_report("read after fg", job, 0);
  CALL(tcsetpgrp(replica, getpgrp()));
  FACT("the session leads the foreground group again", tcgetpgrp(replica) == getpgrp());

  job = start_job(read_terminal_ignoring_sigttin);
  wait_and_report("background read ignoring SIGTTIN", job, WUNTRACED);

  if (pipe(report_pipe) != 0) {
    perror("pipe");
    return 2;
  }
  job = start_job(orphan_reader);
  wait_and_report("orphaned reader's parent", job, 0);
  int error = 0;
  (void)!read(report_pipe[0], &error, sizeof error);
  printf("background read in an orphaned group: %s\n", error != 0 ? strerrorname_np(error) : "0");

  job = start_job(write_terminal);
  wait_and_report("background write without TOSTOP", job, WUNTRACED);
  set_output_stop(1);
  job = start_job(write_terminal);
  wait_and_report("background write with TOSTOP", job, WUNTRACED);
  end_job("background write with TOSTOP", job);
  job = start_job(write_terminal_ignoring_sigttou);
  wait_and_report("background write ignoring SIGTTOU", job, WUNTRACED);
  set_output_stop(0);

  job = start_job(change_settings);
  wait_and_report("background tcsetattr", job, WUNTRACED);
  end_job("background tcsetattr", job);

  /* ^Z while a job reads in the foreground. */
  job = start_job(read_terminal_in_foreground);
  CALL(tcsetpgrp(replica, job));
  CALL(write(primary, "\x1a", 1));
  wait_and_report("^Z", job, WUNTRACED);
  CALL(tcsetpgrp(replica, getpgrp()));
  end_job("^Z", job);
  drain_primary();
  return 0;
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  setvbuf(stdout, NULL, _IONBF, 0);
  primary = posix_openpt(O_RDWR | O_NOCTTY);
  char name[64];
  if (primary < 0 || grantpt(primary) != 0 || unlockpt(primary) != 0 ||
      ptsname_r(primary, name, sizeof name) != 0) {
    perror("pseudo-terminal");
    return 2;
  }
  pid_t session = fork();
  if (session == 0) {
    _exit(run_session(name));
  }
  wait_and_report("session", session, 0);
  return 0;
}
