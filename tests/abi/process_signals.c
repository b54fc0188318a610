/* Signals between processes. SIGCHLD carries si_pid, si_code and si_status
 * when a child exits or is killed. Also covered: SIG_IGN and SA_NOCLDWAIT
 * reaping, kill to a child and to a process group, kill(0) inside a new
 * group, tgkill to a child, ESRCH and EINVAL, and setpgid, getpgid, setsid
 * and getsid.
 * kill(-1) is never sent: natively it would reach every process of the
 * user. Pids differ between runs, so the program prints facts about them. */
#include "abi.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static volatile sig_atomic_t child_signals;
static volatile sig_atomic_t last_pid;
static volatile sig_atomic_t last_code;
static volatile sig_atomic_t last_status;

static void on_child(int signal, siginfo_t* info, void* context) {
  (void)signal;
  (void)context;
  child_signals++;
  last_pid = info->si_pid;
  last_code = info->si_code;
  last_status = info->si_status;
}

static volatile sig_atomic_t user_signals;

static void on_user(int signal) {
  (void)signal;
  user_signals++;
}

static void report_status(const char* label, int status) {
  if (WIFEXITED(status)) {
    printf("%s: exited with %d\n", label, WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    printf("%s: killed by signal %d\n", label, WTERMSIG(status));
  } else {
    printf("%s: status %#x\n", label, status);
  }
}

static void set_child_action(void (*handler)(int, siginfo_t*, void*), int flags) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = handler;
  action.sa_flags = SA_SIGINFO | flags;
  sigaction(SIGCHLD, &action, NULL);
}

/* Forks a child that tells the parent it is ready through a pipe and then
 * waits for signals in pause(), running `prepare` first. */
static pid_t start_waiting_child(void (*prepare)(void)) {
  int ends[2];
  if (pipe(ends) != 0) {
    perror("pipe");
    exit(2);
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(ends[0]);
    if (prepare != NULL) {
      prepare();
    }
    (void)!write(ends[1], "r", 1);
    for (;;) {
      pause();
    }
  }
  close(ends[1]);
  char byte = 0;
  if (read(ends[0], &byte, 1) != 1) {
    printf("child did not get ready\n");
  }
  close(ends[0]);
  return pid;
}

static void catch_user_then_exit(int signal) {
  (void)signal;
  _exit(42);
}

static void exit_on_user(void) { signal(SIGUSR1, catch_user_then_exit); }

static void own_group(void) { setpgid(0, 0); }

/* The child leads a new group, signals it with kill(0) and exits with the
 * number of handler runs. */
static int signal_own_group(void) {
  if (setpgid(0, 0) != 0) {
    return 100;
  }
  signal(SIGUSR1, on_user);
  if (kill(0, SIGUSR1) != 0) {
    return 101;
  }
  return user_signals;
}

/* The child starts a new session and checks its ids. */
static int new_session(void) {
  pid_t self = getpid();
  if (setsid() != self) {
    return 100;
  }
  if (getsid(0) != self || getpgrp() != self || getpgid(0) != self) {
    return 101;
  }
  /* A session leader leads its group, so a second setsid fails. */
  errno = 0;
  if (setsid() != -1 || errno != EPERM) {
    return 102;
  }
  return 0;
}

static pid_t fork_with(int (*body)(void)) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    _exit(body());
  }
  return pid;
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  /* No wait below may hang the test run. */
  alarm(20);
  int status = 0;
  sigset_t child_only;
  sigemptyset(&child_only);
  sigaddset(&child_only, SIGCHLD);
  sigset_t nothing;
  sigemptyset(&nothing);

  /* SIGCHLD runs a handler with the child's pid and exit code. SIGCHLD is
   * blocked until the child is reaped, so the handler runs once, in
   * sigsuspend. */
  set_child_action(on_child, 0);
  sigprocmask(SIG_BLOCK, &child_only, NULL);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    _exit(5);
  }
  FACT("waitpid returned the child", waitpid(child, &status, 0) == child);
  report_status("child", status);
  CALL(sigsuspend(&nothing));
  printf("SIGCHLD handler runs: %d\n", (int)child_signals);
  FACT("si_pid is the child", last_pid == child);
  printf("si_code %d si_status %d\n", (int)last_code, (int)last_status);

  /* kill(2) ends a child in pause(); SIGCHLD reports CLD_KILLED. */
  child_signals = 0;
  child = start_waiting_child(NULL);
  CALL(kill(child, SIGTERM));
  FACT("waitpid returned the killed child", waitpid(child, &status, 0) == child);
  report_status("killed child", status);
  CALL(sigsuspend(&nothing));
  printf("SIGCHLD handler runs: %d\n", (int)child_signals);
  FACT("si_pid is the killed child", last_pid == child);
  printf("si_code %d si_status %d\n", (int)last_code, (int)last_status);

  /* A parent waiting in sigsuspend wakes for SIGCHLD of an exiting child.
   * SIGCHLD stays blocked outside sigsuspend from here on, so that it
   * never interrupts a waitpid. */
  child_signals = 0;
  child = fork_with(new_session);
  while (child_signals == 0) {
    sigsuspend(&nothing);
  }
  printf("SIGCHLD handler runs: %d\n", (int)child_signals);
  FACT("waitpid returned the session leader", waitpid(child, &status, 0) == child);
  report_status("setsid child", status);

  /* A signal with a handler in the child; signal 0 checks for existence. */
  child = start_waiting_child(exit_on_user);
  CALL(kill(child, 0));
  CALL(kill(child, SIGUSR1));
  FACT("waitpid returned the SIGUSR1 child", waitpid(child, &status, 0) == child);
  report_status("SIGUSR1 child", status);

  /* tgkill to the main thread of another process. */
  child = start_waiting_child(exit_on_user);
  CALL(syscall(SYS_tgkill, child, child, SIGUSR1));
  FACT("waitpid returned the tgkill child", waitpid(child, &status, 0) == child);
  report_status("tgkill child", status);

  /* A reaped child is gone. */
  CALL(kill(child, 0));
  CALL(kill(-child, 0));
  CALL(syscall(SYS_tgkill, child, child, 0));
  CALL(kill(getpid(), 65));
  CALL(kill(getpid(), 0));
  CALL(getpgid(child));
  CALL(getsid(child));

  /* Two children in one new process group, ended by kill(-pgid). Both the
   * parent and the children call setpgid, as shells do, so the group exists
   * whichever runs first. */
  pid_t leader = start_waiting_child(own_group);
  CALL(setpgid(leader, leader));
  FACT("getpgid of the leader is its pid", getpgid(leader) == leader);
  FACT("getsid of the leader is the parent's session", getsid(leader) == getsid(0));
  pid_t member = start_waiting_child(NULL);
  CALL(setpgid(member, leader));
  FACT("getpgid of the member is the leader", getpgid(member) == leader);
  CALL(setpgid(member, getpid() + 1000000));
  CALL(setpgid(getpid() + 1000000, 0));
  CALL(setpgid(0, -1));
  CALL(kill(-leader, SIGTERM));
  FACT("waitpid returned the leader", waitpid(leader, &status, 0) == leader);
  report_status("group leader", status);
  FACT("waitpid returned the member", waitpid(member, &status, 0) == member);
  report_status("group member", status);

  /* kill(0) reaches the caller's own new group. */
  child = fork_with(signal_own_group);
  FACT("waitpid returned the kill(0) child", waitpid(child, &status, 0) == child);
  report_status("kill(0) child", status);

  /* SA_NOCLDWAIT: the handler still runs, but no zombie is left to wait
   * for. */
  child_signals = 0;
  /* Ignoring SIGCHLD first discards the one still pending from the
   * children above. */
  signal(SIGCHLD, SIG_IGN);
  set_child_action(on_child, SA_NOCLDWAIT);
  fflush(stdout);
  child = fork();
  if (child == 0) {
    _exit(6);
  }
  CALL(waitpid(-1, &status, 0));
  CALL(sigsuspend(&nothing));
  printf("SIGCHLD handler runs: %d\n", (int)child_signals);
  sigprocmask(SIG_UNBLOCK, &child_only, NULL);

  /* SIG_IGN: no signal and no zombie; wait blocks until the child is gone,
   * then fails. */
  signal(SIGCHLD, SIG_IGN);
  fflush(stdout);
  child = fork();
  if (child == 0) {
    _exit(7);
  }
  CALL(wait(&status));
  CALL(kill(child, 0));
  return 0;
}
