/* pidfd_open(2), pidfd_send_signal(2), pidfd_getfd(2) and waitid(2) with
 * P_PIDFD: the descriptor's flags and name, its readiness while the
 * process runs, after it exits and after it is reaped, signals through it,
 * and the errors of bad flags, descriptors and processes. */
#include "abi.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define PIDFD_NONBLOCK O_NONBLOCK
#define PIDFD_SIGNAL_THREAD_GROUP 2

static int pidfd_open(pid_t pid, unsigned flags) {
  return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_send_signal(int pidfd, int signal, siginfo_t* info, unsigned flags) {
  return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, info, flags);
}

static int pidfd_getfd(int pidfd, int target_fd, unsigned flags) {
  return (int)syscall(SYS_pidfd_getfd, pidfd, target_fd, flags);
}

static int raw_waitid(int type, int id, siginfo_t* info, int options) {
  return (int)syscall(SYS_waitid, type, id, info, options, NULL);
}

/* Polls `pidfd` for POLLIN without waiting, or until it is ready when
 * `wait` is set, and prints the events it reports. */
static void print_readiness(const char* label, int pidfd, int wait) {
  struct pollfd entry = {.fd = pidfd, .events = POLLIN | POLLRDNORM | POLLOUT | POLLPRI};
  int ready = poll(&entry, 1, wait ? -1 : 0);
  printf("%s: poll %d, revents %#x\n", label, ready, ready > 0 ? entry.revents : 0);
}

/* Prints the Pid line of /proc/self/fdinfo/<pidfd>: whether it names
 * `pid`, or its value when it does not. */
static void print_fdinfo_pid(const char* label, int pidfd, pid_t pid) {
  char path[64];
  char text[1024];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
  if (abi_read_file(path, text, sizeof text) < 0) {
    printf("%s: no fdinfo (%s)\n", label, strerrorname_np(errno));
    return;
  }
  const char* line = strstr(text, "\nPid:\t");
  const char* ns_line = strstr(text, "\nNSpid:\t");
  if (line == NULL || ns_line == NULL) {
    printf("%s: fdinfo without Pid and NSpid\n", label);
    return;
  }
  long value = strtol(line + 6, NULL, 10);
  long ns_value = strtol(ns_line + 8, NULL, 10);
  if (value == pid && ns_value == pid) {
    printf("%s: fdinfo Pid and NSpid are the pid\n", label);
  } else {
    printf("%s: fdinfo Pid %ld, NSpid %ld\n", label, value, ns_value);
  }
}

static void print_child_info(const char* label, const siginfo_t* info, pid_t child) {
  printf("%s: signo %d, code %d, status %d, pid is the child: %s\n", label, info->si_signo,
         info->si_code, info->si_status, info->si_pid == child ? "yes" : "no");
}

static void* idle_thread(void* argument) {
  int* ends = argument;
  pid_t tid = (pid_t)syscall(SYS_gettid);
  if (write(ends[1], &tid, sizeof tid) != sizeof tid) {
    return NULL;
  }
  char byte;
  (void)read(ends[0], &byte, 1);
  return NULL;
}

static void open_errors(void) {
  printf("-- pidfd_open errors\n");
  CALL(pidfd_open(getpid(), 1));
  CALL(pidfd_open(getpid(), O_CLOEXEC));
  CALL(pidfd_open(0, 0));
  CALL(pidfd_open(-1, 0));
  CALL(pidfd_open(99999999, 0));

  /* A thread that does not lead its thread group has no process pidfd. */
  int tid_pipe[2];
  int release[2];
  CALL(pipe(tid_pipe));
  CALL(pipe(release));
  int thread_ends[2] = {release[0], tid_pipe[1]};
  pthread_t thread;
  pthread_create(&thread, NULL, idle_thread, thread_ends);
  pid_t tid = 0;
  if (read(tid_pipe[0], &tid, sizeof tid) == sizeof tid) {
    CALL(pidfd_open(tid, 0));
  }
  CALL(close(release[1]));
  pthread_join(thread, NULL);
  close(release[0]);
  close(tid_pipe[0]);
  close(tid_pipe[1]);
}

static void own_process(void) {
  printf("-- pidfd of the caller\n");
  int pidfd = CALL(pidfd_open(getpid(), 0));
  printf("  descriptor flags %#x, status flags %#o\n", fcntl(pidfd, F_GETFD),
         fcntl(pidfd, F_GETFL));
  char path[64];
  char name[64] = "";
  snprintf(path, sizeof path, "/proc/self/fd/%d", pidfd);
  ssize_t length = readlink(path, name, sizeof name - 1);
  name[length > 0 ? length : 0] = '\0';
  printf("  link: %s\n", name);
  print_readiness("  running", pidfd, 0);
  print_fdinfo_pid("  running", pidfd, getpid());

  int non_blocking = CALL(pidfd_open(getpid(), PIDFD_NONBLOCK));
  printf("  non-blocking status flags %#o\n", fcntl(non_blocking, F_GETFL));

  /* The caller is no child of itself. */
  siginfo_t info;
  CALL(raw_waitid(P_PIDFD, pidfd, &info, WEXITED | WNOHANG));

  /* Any si_code may go to the caller's own process. */
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  sigprocmask(SIG_BLOCK, &usr2, NULL);
  memset(&info, 0, sizeof info);
  info.si_signo = SIGUSR2;
  info.si_code = SI_USER;
  info.si_pid = 12345;
  CALL(pidfd_send_signal(pidfd, SIGUSR2, &info, 0));
  siginfo_t taken;
  memset(&taken, 0, sizeof taken);
  CALL(sigwaitinfo(&usr2, &taken));
  printf("  taken: signo %d, code %d, pid %d\n", taken.si_signo, taken.si_code, taken.si_pid);

  /* Without siginfo the signal comes as kill(2) sends it. */
  CALL(pidfd_send_signal(pidfd, SIGUSR2, NULL, PIDFD_SIGNAL_THREAD_GROUP));
  CALL(sigwaitinfo(&usr2, &taken));
  printf("  taken: signo %d, code %d, pid is the caller: %s\n", taken.si_signo, taken.si_code,
         taken.si_pid == getpid() ? "yes" : "no");
  sigprocmask(SIG_UNBLOCK, &usr2, NULL);

  /* The caller's own descriptors are in reach too. */
  int copy = CALL(pidfd_getfd(pidfd, 1, 0));
  printf("  copy of stdout: descriptor flags %#x\n", fcntl(copy, F_GETFD));
  CALL(close(copy));
  CALL(close(non_blocking));
  CALL(close(pidfd));
}

/* The child of signal_child: takes SIGUSR1 with its siginfo, reports it on
 * `report`, then waits for SIGTERM. */
static void signal_target(int report) {
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  siginfo_t info;
  char verdict = 'n';
  if (sigwaitinfo(&usr1, &info) == SIGUSR1 && info.si_code == SI_QUEUE &&
      info.si_value.sival_int == 42) {
    verdict = 'y';
  }
  if (write(report, &verdict, 1) != 1) {
    _exit(2);
  }
  while (1) {
    pause();
  }
}

static void signal_child(void) {
  printf("-- signals to a child\n");
  int report[2];
  CALL(pipe(report));
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    signal_target(report[1]);
  }
  sigprocmask(SIG_UNBLOCK, &usr1, NULL);
  int pidfd = CALL(pidfd_open(child, 0));
  print_readiness("  running", pidfd, 0);
  CALL(pidfd_send_signal(pidfd, 0, NULL, 0));

  /* Bad flags, descriptors and siginfo. */
  CALL(pidfd_send_signal(pidfd, SIGUSR1, NULL, 8));
  CALL(pidfd_send_signal(pidfd, SIGUSR1, NULL, 3));
  CALL(pidfd_send_signal(999, SIGUSR1, NULL, 0));
  CALL(pidfd_send_signal(report[0], SIGUSR1, NULL, 0));
  CALL(pidfd_send_signal(pidfd, 100, NULL, 0));
  CALL(pidfd_send_signal(pidfd, SIGUSR1, (siginfo_t*)8, 0));
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = SIGUSR2;
  info.si_code = SI_QUEUE;
  CALL(pidfd_send_signal(pidfd, SIGUSR1, &info, 0));
  info.si_signo = SIGUSR1;
  info.si_code = SI_USER;
  CALL(pidfd_send_signal(pidfd, SIGUSR1, &info, 0));
  info.si_code = SI_TKILL;
  CALL(pidfd_send_signal(pidfd, SIGUSR1, &info, 0));

  info.si_code = SI_QUEUE;
  info.si_value.sival_int = 42;
  CALL(pidfd_send_signal(pidfd, SIGUSR1, &info, 0));
  char verdict = '?';
  CALL(read(report[0], &verdict, 1));
  printf("  child took SIGUSR1 with its siginfo: %c\n", verdict);

  CALL(pidfd_send_signal(pidfd, SIGTERM, NULL, 0));
  print_readiness("  exited", pidfd, 1);
  print_fdinfo_pid("  exited", pidfd, child);
  CALL(pidfd_send_signal(pidfd, 0, NULL, 0));
  CALL(pidfd_getfd(pidfd, 0, 0));
  siginfo_t exit_info;
  memset(&exit_info, 0, sizeof exit_info);
  CALL(raw_waitid(P_PIDFD, pidfd, &exit_info, WEXITED | WNOWAIT));
  print_child_info("  kept", &exit_info, child);
  /* A new pidfd for a zombie is still possible. */
  int zombie = CALL(pidfd_open(child, 0));
  CALL(close(zombie));

  memset(&exit_info, 0, sizeof exit_info);
  CALL(raw_waitid(P_PIDFD, pidfd, &exit_info, WEXITED));
  print_child_info("  reaped", &exit_info, child);
  print_readiness("  reaped", pidfd, 0);
  print_fdinfo_pid("  reaped", pidfd, child);
  CALL(pidfd_send_signal(pidfd, 0, NULL, 0));
  CALL(pidfd_send_signal(pidfd, SIGTERM, NULL, 0));
  CALL(pidfd_getfd(pidfd, 0, 0));
  CALL(raw_waitid(P_PIDFD, pidfd, &exit_info, WEXITED));
  CALL(pidfd_open(child, 0));
  CALL(close(pidfd));
  close(report[0]);
  close(report[1]);
}

static void wait_child(void) {
  printf("-- waitid with P_PIDFD\n");
  int release[2];
  CALL(pipe(release));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    char byte;
    close(release[1]);
    (void)read(release[0], &byte, 1);
    _exit(3);
  }
  close(release[0]);
  int pidfd = CALL(pidfd_open(child, 0));
  int non_blocking = CALL(pidfd_open(child, PIDFD_NONBLOCK));

  siginfo_t info;
  CALL(raw_waitid(P_PIDFD, -1, &info, WEXITED));
  CALL(raw_waitid(P_PIDFD, 999, &info, WEXITED));
  CALL(raw_waitid(P_PIDFD, release[1], &info, WEXITED));
  CALL(raw_waitid(P_PIDFD, pidfd, &info, 0));
  CALL(raw_waitid(P_PIDFD, non_blocking, &info, WEXITED));
  memset(&info, 0xff, sizeof info);
  CALL(raw_waitid(P_PIDFD, non_blocking, &info, WEXITED | WNOHANG));
  printf("  nothing to report: signo %d, pid %d\n", info.si_signo, info.si_pid);
  CALL(raw_waitid(P_PIDFD, pidfd, &info, WEXITED | WNOHANG));

  /* The child exits once the pipe closes; the wait blocks until then. */
  CALL(close(release[1]));
  memset(&info, 0, sizeof info);
  CALL(raw_waitid(P_PIDFD, pidfd, &info, WEXITED));
  print_child_info("  exited", &info, child);
  print_readiness("  reaped", non_blocking, 0);
  CALL(raw_waitid(P_PIDFD, non_blocking, &info, WEXITED | WNOHANG));
  CALL(close(non_blocking));
  CALL(close(pidfd));
}

/* The child of getfd_child: opens a pipe after the fork, puts data in it
 * and its read end at descriptor 50, and waits for `release` to close. */
static void getfd_target(int ready, int release) {
  int own[2];
  if (pipe(own) != 0 || dup2(own[0], 50) != 50 || write(own[1], "from child", 10) != 10) {
    _exit(2);
  }
  char byte = 'r';
  if (write(ready, &byte, 1) != 1) {
    _exit(2);
  }
  (void)read(release, &byte, 1);
  _exit(0);
}

static void getfd_child(void) {
  printf("-- pidfd_getfd\n");
  int ready[2];
  int release[2];
  CALL(pipe(ready));
  CALL(pipe(release));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    close(release[1]);
    getfd_target(ready[1], release[0]);
  }
  close(release[0]);
  char byte;
  CALL(read(ready[0], &byte, 1));
  int pidfd = CALL(pidfd_open(child, 0));

  int copy = CALL(pidfd_getfd(pidfd, 50, 0));
  printf("  descriptor flags %#x, status flags %#o\n", fcntl(copy, F_GETFD), fcntl(copy, F_GETFL));
  char text[16] = "";
  CALL(read(copy, text, 10));
  printf("  read: %s\n", text);
  CALL(pidfd_getfd(pidfd, 50, 1));
  CALL(pidfd_getfd(999, 50, 1));
  CALL(pidfd_getfd(pidfd, 77, 0));
  CALL(pidfd_getfd(pidfd, -1, 0));
  CALL(pidfd_getfd(999, 50, 0));
  CALL(pidfd_getfd(ready[0], 50, 0));

  CALL(close(release[1]));
  print_readiness("  exited", pidfd, 1);
  CALL(pidfd_getfd(pidfd, 50, 0));
  int status = 0;
  CALL(waitpid(child, &status, 0) == child);
  abi_report_wait_status("  child", status);
  CALL(close(copy));
  CALL(close(pidfd));
  close(ready[0]);
  close(ready[1]);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  setvbuf(stdout, NULL, _IOLBF, 0);
  open_errors();
  own_process();
  signal_child();
  wait_child();
  getfd_child();
  return 0;
}
