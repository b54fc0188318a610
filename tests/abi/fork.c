/* Processes: fork and vfork, exit statuses through waitpid, wait4 and
 * waitid, WNOHANG, ECHILD, getppid, a pipe and a file shared across fork,
 * and private memory that the child only copies. Pids differ between runs,
 * so the program prints facts about them, never their values. */
#include "abi.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>

static int copied_value = 1;

/* Starts a child that runs `body` and exits with its result. */
static pid_t start_child(int (*body)(void* argument), void* argument) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    _exit(body(argument));
  }
  return pid;
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

static int exit_seven(void* argument) {
  (void)argument;
  return 7;
}

static int check_parent(void* argument) { return getppid() == *(pid_t*)argument ? 0 : 1; }

static int change_copy(void* argument) {
  (void)argument;
  copied_value = 2;
  return copied_value;
}

static int write_to_pipe(void* argument) {
  int* ends = argument;
  close(ends[0]);
  const char message[] = "hello through the pipe";
  return write(ends[1], message, sizeof message - 1) == (ssize_t)(sizeof message - 1) ? 0 : 1;
}

static int wait_for_byte(void* argument) {
  int* ends = argument;
  char byte = 0;
  close(ends[1]);
  return read(ends[0], &byte, 1) == 1 ? byte : 100;
}

static int write_file(void* argument) {
  (void)argument;
  int fd = open("from-child", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    return 1;
  }
  int written = write(fd, "written by the child\n", 21) == 21;
  close(fd);
  return written ? 0 : 1;
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  int status = 0;

  /* An exit code travels to waitpid. */
  pid_t child = start_child(exit_seven, NULL);
  FACT("fork returned a child pid", child > 0);
  FACT("waitpid returned that pid", waitpid(child, &status, 0) == child);
  report_status("child", status);
  CALL(waitpid(child, &status, WNOHANG));

  /* The child's parent is this process. */
  pid_t self = getpid();
  child = start_child(check_parent, &self);
  FACT("wait4 returned the child", wait4(-1, &status, 0, NULL) == child);
  report_status("getppid matched", status);

  /* Memory is copied, not shared. */
  child = start_child(change_copy, NULL);
  FACT("waitpid returned the child", waitpid(child, &status, 0) == child);
  report_status("child after changing its copy", status);
  printf("value in the parent: %d\n", copied_value);

  /* A pipe crosses fork; EOF comes once the child has exited. */
  int ends[2];
  CALL(pipe(ends));
  child = start_child(write_to_pipe, ends);
  CALL(close(ends[1]));
  char buffer[64] = {0};
  size_t total = 0;
  ssize_t count;
  while ((count = read(ends[0], buffer + total, sizeof buffer - 1 - total)) > 0) {
    total += (size_t)count;
  }
  printf("read from the child: \"%s\", then %zd\n", buffer, count);
  CALL(close(ends[0]));
  FACT("waitpid returned the writer", waitpid(child, &status, 0) == child);
  report_status("writer", status);

  /* WNOHANG returns 0 while the child runs. */
  CALL(pipe(ends));
  child = start_child(wait_for_byte, ends);
  CALL(close(ends[0]));
  CALL(waitpid(child, &status, WNOHANG));
  CALL(write(ends[1], "\x2a", 1));
  CALL(close(ends[1]));
  siginfo_t info;
  memset(&info, 0, sizeof info);
  CALL(waitid(P_PID, (id_t)child, &info, WEXITED));
  FACT("waitid reported the child", info.si_pid == child);
  printf("waitid: signo %d code %d status %d\n", info.si_signo, info.si_code, info.si_status);

  /* A file the child writes is there for the parent. */
  child = start_child(write_file, NULL);
  FACT("waitpid returned the file writer", waitpid(child, &status, 0) == child);
  report_status("file writer", status);
  int fd = (int)CALL(open("from-child", O_RDONLY));
  memset(buffer, 0, sizeof buffer);
  CALL(read(fd, buffer, sizeof buffer - 1));
  printf("file: %s", buffer);
  CALL(close(fd));

  /* vfork with an immediate _exit. */
  fflush(stdout);
  child = vfork();
  if (child == 0) {
    _exit(3);
  }
  FACT("waitpid returned the vfork child", waitpid(child, &status, 0) == child);
  report_status("vfork child", status);

  /* No children left. */
  CALL(waitpid(-1, &status, 0));
  CALL(waitpid(-1, &status, WNOHANG));
  CALL(wait(NULL));
  return 0;
}
