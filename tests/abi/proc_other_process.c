/* /proc/<pid> of another process, as ps, pgrep and pidof read it: the
 * parent starts a child that runs this program again with more arguments
 * and an environment of its own, waits until the child blocks in read(2),
 * reads the child's entries, and reads them again once the child has
 * exited but is not reaped. Pids differ between the runs, so
 * only their relations are printed. */
#include "abi.h"

#include <dirent.h>
#include <limits.h>
#include <time.h>

/* The child: writes a byte to one pipe and blocks reading the other until
 * the parent closes it. */
static int run_child(char** argv) {
  int ready = atoi(argv[3]);
  int hold = atoi(argv[4]);
  char byte = 'r';
  if (write(ready, &byte, 1) != 1) {
    return 3;
  }
  while (read(hold, &byte, 1) > 0) {
  }
  return 0;
}

/* Reads /proc/<pid>/<name> into `buffer`; -1 when the open fails. */
static int read_entry(pid_t pid, const char* name, char* buffer, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
  return abi_read_file(path, buffer, size);
}

/* The state letter of /proc/<pid>/stat, after the parenthesized name. */
static char stat_state(pid_t pid) {
  char buffer[1024];
  if (read_entry(pid, "stat", buffer, sizeof buffer) < 0) {
    return '?';
  }
  char* close = strrchr(buffer, ')');
  return close != NULL && close[1] == ' ' ? close[2] : '?';
}

/* Waits until the child's state is `state`: natively it may still be on
 * its way to read(2) when its ready byte arrives, or on its way out after
 * the parent closed its pipe. */
static void wait_for_state(pid_t pid, char state) {
  for (int attempt = 0; attempt < 200 && stat_state(pid) != state; ++attempt) {
    struct timespec pause = {0, 10 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
}

static int listed_in(const char* directory, pid_t pid) {
  DIR* listing = opendir(directory);
  if (listing == NULL) {
    return 0;
  }
  int found = 0;
  struct dirent* entry;
  while ((entry = readdir(listing)) != NULL) {
    found = found || atoi(entry->d_name) == pid;
  }
  closedir(listing);
  return found;
}

/* The value of `field` ("PPid:") in a status text, or -1. */
static long status_number(const char* status, const char* field) {
  const char* line = strstr(status, field);
  return line != NULL ? strtol(line + strlen(field), NULL, 10) : -1;
}

static void read_stat(pid_t child, const char* program) {
  char buffer[1024];
  if (read_entry(child, "stat", buffer, sizeof buffer) < 0) {
    printf("open stat failed: %s\n", strerrorname_np(errno));
    return;
  }
  int pid = 0;
  char name[64] = "";
  char state = '?';
  int parent = 0;
  int group = 0;
  int session = 0;
  int fields =
      sscanf(buffer, "%d (%63[^)]) %c %d %d %d", &pid, name, &state, &parent, &group, &session);
  printf("stat fields read: %d\n", fields);
  FACT("stat pid is the child", pid == child);
  FACT("stat name is the program name", strncmp(name, program, 15) == 0);
  printf("stat state: %c\n", state);
  FACT("stat parent is this process", parent == getpid());
  FACT("stat group is this group", group == getpgrp());
  FACT("stat session is this session", session == getsid(0));
}

static void read_status(pid_t child, const char* program) {
  char buffer[4096];
  if (read_entry(child, "status", buffer, sizeof buffer) < 0) {
    printf("open status failed: %s\n", strerrorname_np(errno));
    return;
  }
  const char* name = strstr(buffer, "Name:\t");
  FACT("status Name is the program name", name != NULL && strncmp(name + 6, program, 15) == 0);
  const char* state = strstr(buffer, "State:\t");
  const char* end = state != NULL ? strchr(state, '\n') : NULL;
  printf("status %.*s\n", end != NULL ? (int)(end - state) : 0, state != NULL ? state : "");
  FACT("status Pid is the child", status_number(buffer, "\nPid:\t") == child);
  FACT("status PPid is this process", status_number(buffer, "\nPPid:\t") == getpid());
  printf("status Threads: %ld\n", status_number(buffer, "\nThreads:\t"));
}

static void read_strings(pid_t child) {
  static char buffer[65536];
  int count = read_entry(child, "cmdline", buffer, sizeof buffer);
  printf("cmdline bytes after argv[0]: ");
  for (int index = (int)strlen(buffer) + 1; index < count; ++index) {
    putchar(buffer[index] != '\0' ? buffer[index] : '|');
  }
  printf("\n");

  count = read_entry(child, "environ", buffer, sizeof buffer);
  printf("environ bytes: %d\n", count);
  FACT("environ is the child's", count > 0 && memcmp(buffer, "ABI_MARK=other\0PATH=/\0", 22) == 0);

  read_entry(child, "comm", buffer, sizeof buffer);
  printf("comm: %s", buffer);
}

static void read_links(pid_t child, int hold) {
  char own[PATH_MAX] = "";
  char other[PATH_MAX] = "";
  char path[64];
  ssize_t length = readlink("/proc/self/exe", own, sizeof own - 1);
  own[length > 0 ? length : 0] = '\0';
  snprintf(path, sizeof path, "/proc/%d/exe", (int)child);
  length = readlink(path, other, sizeof other - 1);
  other[length > 0 ? length : 0] = '\0';
  FACT("exe is this program", length > 0 && strcmp(own, other) == 0);

  snprintf(path, sizeof path, "/proc/%d/cwd", (int)child);
  length = readlink(path, other, sizeof other - 1);
  other[length > 0 ? length : 0] = '\0';
  FACT("cwd is this directory",
       length > 0 && getcwd(own, sizeof own) != NULL && strcmp(own, other) == 0);

  snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)child, hold);
  length = readlink(path, other, sizeof other - 1);
  other[length > 0 ? length : 0] = '\0';
  FACT("fd link of the held pipe names a pipe", strncmp(other, "pipe:[", 6) == 0);
  snprintf(path, sizeof path, "/proc/%d/fd", (int)child);
  FACT("fd lists the held pipe", listed_in(path, hold));
  snprintf(path, sizeof path, "/proc/%d/task", (int)child);
  FACT("task lists the child", listed_in(path, child));
}

/* The child after it exited, before the parent reaps it. */
static void read_zombie(pid_t child, const char* program) {
  FACT("/proc lists the zombie", listed_in("/proc", child));
  printf("zombie stat state: %c\n", stat_state(child));
  char buffer[4096];
  if (read_entry(child, "status", buffer, sizeof buffer) >= 0) {
    const char* name = strstr(buffer, "Name:\t");
    FACT("zombie status Name is the program name",
         name != NULL && strncmp(name + 6, program, 15) == 0);
    const char* state = strstr(buffer, "State:\t");
    const char* end = state != NULL ? strchr(state, '\n') : NULL;
    printf("zombie status %.*s\n", end != NULL ? (int)(end - state) : 0,
           state != NULL ? state : "");
    FACT("zombie status PPid is this process", status_number(buffer, "\nPPid:\t") == getpid());
  }
  printf("zombie cmdline bytes: %d\n", read_entry(child, "cmdline", buffer, sizeof buffer));
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/exe", (int)child);
  errno = 0;
  ssize_t length = readlink(path, buffer, sizeof buffer);
  printf("zombie exe readlink: %zd %s\n", length, length < 0 ? strerrorname_np(errno) : "");
}

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[2], "child") == 0) {
    return run_child(argv);
  }
  char self[PATH_MAX];
  if (realpath(argv[0], self) == NULL) {
    perror(argv[0]);
    return 2;
  }
  abi_enter_scratch_directory(argc, argv);
  const char* program = strrchr(argv[0], '/');
  program = program != NULL ? program + 1 : argv[0];

  int ready[2];
  int hold[2];
  if (pipe(ready) != 0 || pipe(hold) != 0) {
    perror("pipe");
    return 2;
  }
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    close(hold[1]);
    char ready_text[16];
    char hold_text[16];
    snprintf(ready_text, sizeof ready_text, "%d", ready[1]);
    snprintf(hold_text, sizeof hold_text, "%d", hold[0]);
    char* arguments[] = {self, argv[1], "child", ready_text, hold_text, "two words", "", NULL};
    char* environment[] = {"ABI_MARK=other", "PATH=/", NULL};
    execve(self, arguments, environment);
    _exit(127);
  }
  close(ready[1]);
  close(hold[0]);
  char byte;
  if (read(ready[0], &byte, 1) != 1) {
    printf("the child did not start\n");
    return 2;
  }
  wait_for_state(child, 'S');

  FACT("/proc lists the child", listed_in("/proc", child));
  read_stat(child, program);
  read_status(child, program);
  read_strings(child);
  read_links(child, hold[0]);

  close(hold[1]);
  wait_for_state(child, 'Z');
  read_zombie(child, program);

  int status = 0;
  CALL(waitpid(child, &status, 0) == child);
  printf("child exit status: %d\n", WEXITSTATUS(status));
  char buffer[256];
  CALL(read_entry(child, "stat", buffer, sizeof buffer));
  FACT("/proc no longer lists the child", !listed_in("/proc", child));
  return 0;
}
