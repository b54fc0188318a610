/* Advisory locks between processes. fcntl record locks (F_GETLK, F_SETLK,
 * F_SETLKW): byte ranges, signals that interrupt F_SETLKW, release on close
 * of any descriptor and on exit, survival across execve. Then OFD locks,
 * and flock(2) with its inheritance over fork. A forked child queries or
 * takes locks while the parent holds others; pipes order the two, and only
 * one process prints at a time. */
#include "abi.h"

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/wait.h>

static const char* const file_name = "locked";
static pid_t parent_pid;
static const char* program_path;
static char* scratch_path;

static const char* type_name(int type) {
  switch (type) {
    case F_RDLCK:
      return "F_RDLCK";
    case F_WRLCK:
      return "F_WRLCK";
    case F_UNLCK:
      return "F_UNLCK";
    default:
      return "unknown";
  }
}

static int set_lock(int fd, int command, int type, int whence, off_t start, off_t length) {
  struct flock lock = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = length};
  return fcntl(fd, command, &lock);
}

/* Prints the lock F_GETLK (or F_OFD_GETLK) reports for a request. The
 * holder's pid is printed as a fact, because pids differ between runs. */
static void report_lock(const char* label, int fd, int command, int type, off_t start, off_t length,
                        pid_t expected_holder) {
  struct flock lock = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = length};
  errno = 0;
  int result = fcntl(fd, command, &lock);
  if (result < 0) {
    printf("%s: %s\n", label, strerrorname_np(errno));
    return;
  }
  if (lock.l_type == F_UNLCK) {
    printf("%s: F_UNLCK\n", label);
    return;
  }
  printf("%s: %s start %lld length %lld whence %d, holder %s\n", label, type_name(lock.l_type),
         (long long)lock.l_start, (long long)lock.l_len, lock.l_whence,
         lock.l_pid == expected_holder ? "as expected" : "unexpected");
}

static void wait_child(pid_t child) {
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    printf("child failed: status %#x\n", status);
  }
}

/* Forks a child that opens the file on its own and reports what F_GETLK
 * returns for a write lock on [start, start + length). */
static void query_from_child(const char* label, off_t start, off_t length) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    int fd = open(file_name, O_RDWR);
    report_lock(label, fd, F_GETLK, F_WRLCK, start, length, parent_pid);
    exit(0);
  }
  wait_child(child);
}

static void send_byte(int fd) {
  char byte = 'x';
  if (write(fd, &byte, 1) != 1) {
    perror("write");
  }
}

static void receive_byte(int fd) {
  char byte;
  if (read(fd, &byte, 1) != 1) {
    perror("read");
  }
}

/* Opens the two pipes that a parent and its child use to take turns. */
static void open_pipes(int first[2], int second[2]) {
  if (pipe(first) != 0 || pipe(second) != 0) {
    perror("pipe");
  }
}

static void close_pipes(int first[2], int second[2]) {
  close(first[0]);
  close(first[1]);
  close(second[0]);
  close(second[1]);
}

/* Whether `fd` becomes readable within 200 ms: used to see that a child is
 * still blocked, a bounded check that does not measure time. */
static int readable_soon(int fd) {
  struct pollfd entry = {.fd = fd, .events = POLLIN};
  return poll(&entry, 1, 200) > 0;
}

static void check_ranges(int fd) {
  printf("-- ranges\n");
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
  CALL(set_lock(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 10));
  query_from_child("write [0,100)", 0, 100);
  query_from_child("write [15,25)", 15, 10);
  query_from_child("write [10,20)", 10, 10);

  /* Unlocking the middle splits a lock; locking the gap merges it again. */
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100));
  CALL(set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20));
  query_from_child("write [0,100) after the split", 0, 100);
  query_from_child("write [40,60) after the split", 40, 20);
  query_from_child("write [50,200) after the split", 50, 150);
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, 20));
  query_from_child("write [0,100) after the merge", 0, 100);

  /* A downgrade to a read lock over the whole range. */
  CALL(set_lock(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 100));
  query_from_child("write [0,200) after the downgrade", 0, 200);

  /* Length 0 reaches to the end of the file and past it; a negative
   * length ends just before the start. */
  CALL(set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 300, 0));
  query_from_child("write [200,400) with a lock to EOF", 200, 200);
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 250, -50));
  query_from_child("write [100,260) with a negative length lock", 100, 160);
  CALL(set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));

  /* SEEK_END counts from the size (100 bytes), SEEK_CUR from the offset. */
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_END, -10, 5));
  CALL(lseek(fd, 70, SEEK_SET));
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_CUR, 0, 1));
  query_from_child("write [60,100) with SEEK_END and SEEK_CUR locks", 60, 40);
  CALL(set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
  query_from_child("write [0,0) after unlocking everything", 0, 0);
}

static void check_errors(int fd) {
  printf("-- errors\n");
  int read_only = open(file_name, O_RDONLY);
  int write_only = open(file_name, O_WRONLY);
  CALL(set_lock(read_only, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
  CALL(set_lock(write_only, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
  CALL(set_lock(read_only, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
  CALL(set_lock(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1));
  CALL(set_lock(fd, F_SETLK, 7, SEEK_SET, 0, 1));
  CALL(set_lock(fd, F_SETLK, F_WRLCK, 3, 0, 1));
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1));
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, -6));
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, INT64_MAX));
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 2, INT64_MAX));
  CALL(set_lock(-1, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
  int path_only = open(file_name, O_PATH);
  CALL(set_lock(path_only, F_GETLK, F_WRLCK, SEEK_SET, 0, 1));
  CALL(set_lock(path_only, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
  CALL(flock(path_only, LOCK_SH));
  close(path_only);
  CALL(fcntl(fd, F_SETLK, (struct flock*)8));
  close(read_only);
  close(write_only);
}

/* The parent holds a lock; a child fails F_SETLK with EAGAIN and blocks in
 * F_SETLKW until the parent unlocks. */
static void check_blocking(int fd) {
  printf("-- blocking\n");
  int ready[2];
  int done[2];
  open_pipes(ready, done);

  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    int own = open(file_name, O_RDWR);
    CALL(set_lock(own, F_SETLK, F_WRLCK, SEEK_SET, 5, 1));
    CALL(set_lock(own, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
    CALL(set_lock(own, F_SETLK, F_WRLCK, SEEK_SET, 10, 1));
    fflush(stdout);
    send_byte(ready[1]);
    int result = set_lock(own, F_SETLKW, F_WRLCK, SEEK_SET, 0, 10);
    send_byte(done[1]);
    /* The parent prints while this child waits; wait for its turn. */
    receive_byte(ready[0]);
    abi_report("child F_SETLKW after the unlock", result);
    exit(0);
  }

  receive_byte(ready[0]);
  FACT("child blocks in F_SETLKW", !readable_soon(done[0]));
  CALL(set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 10));
  receive_byte(done[0]);
  fflush(stdout);
  send_byte(ready[1]);

  wait_child(child);
  close_pipes(ready, done);
}

static void note_signal(int signal_number) { (void)signal_number; }

/* A signal whose handler has SA_RESTART leaves a child blocked in
 * F_SETLKW; one without it ends the wait with EINTR. */
static void check_interrupt(int fd) {
  printf("-- interrupt\n");
  int ready[2];
  int done[2];
  open_pipes(ready, done);

  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    struct sigaction restarting = {.sa_handler = note_signal, .sa_flags = SA_RESTART};
    struct sigaction interrupting = {.sa_handler = note_signal};
    sigaction(SIGUSR1, &restarting, NULL);
    sigaction(SIGUSR2, &interrupting, NULL);
    int own = open(file_name, O_RDWR);
    send_byte(ready[1]);
    errno = 0;
    int result = set_lock(own, F_SETLKW, F_WRLCK, SEEK_SET, 0, 10);
    int error = errno;
    send_byte(done[1]);
    receive_byte(ready[0]);
    errno = error;
    abi_report("child F_SETLKW after SIGUSR2", result);
    exit(0);
  }

  receive_byte(ready[0]);
  FACT("child blocks in F_SETLKW", !readable_soon(done[0]));
  kill(child, SIGUSR1);
  FACT("child still blocks after a SA_RESTART signal", !readable_soon(done[0]));
  kill(child, SIGUSR2);
  receive_byte(done[0]);
  fflush(stdout);
  send_byte(ready[1]);

  wait_child(child);
  CALL(set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
  close_pipes(ready, done);
}

/* A child takes a lock and exits, or closes another descriptor of the
 * file; either releases the lock. */
static void check_release(int fd) {
  printf("-- release\n");
  int ready[2];
  int go[2];
  open_pipes(ready, go);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    int own = open(file_name, O_RDWR);
    int other = open(file_name, O_RDONLY);
    set_lock(own, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
    set_lock(own, F_SETLK, F_WRLCK, SEEK_SET, 50, 10);
    send_byte(ready[1]);
    receive_byte(go[0]);
    /* Closing a descriptor that took no lock releases every lock. */
    close(other);
    send_byte(ready[1]);
    receive_byte(go[0]);
    set_lock(own, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
    send_byte(ready[1]);
    receive_byte(go[0]);
    exit(0);
  }
  receive_byte(ready[0]);
  report_lock("parent F_GETLK of the child's lock", fd, F_GETLK, F_RDLCK, 0, 0, child);
  CALL(set_lock(fd, F_SETLK, F_RDLCK, SEEK_SET, 55, 1));
  send_byte(go[1]);
  receive_byte(ready[0]);
  report_lock("after the child closed another descriptor", fd, F_GETLK, F_WRLCK, 0, 0, child);
  send_byte(go[1]);
  receive_byte(ready[0]);
  report_lock("after the child locked again", fd, F_GETLK, F_WRLCK, 0, 0, child);
  send_byte(go[1]);
  wait_child(child);
  report_lock("after the child exited", fd, F_GETLK, F_WRLCK, 0, 0, child);
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
  CALL(set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
  close_pipes(ready, go);

  /* A child's locks stay across its execve. */
  open_pipes(ready, go);
  fflush(stdout);
  child = fork();
  if (child == 0) {
    int own = open(file_name, O_RDWR);
    set_lock(own, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
    char ready_text[16];
    char go_text[16];
    snprintf(ready_text, sizeof ready_text, "%d", ready[1]);
    snprintf(go_text, sizeof go_text, "%d", go[0]);
    execl(program_path, program_path, scratch_path, "exec-child", ready_text, go_text, (char*)NULL);
    perror("execl");
    _exit(1);
  }
  receive_byte(ready[0]);
  report_lock("after the child ran execve", fd, F_GETLK, F_WRLCK, 0, 0, child);
  send_byte(go[1]);
  wait_child(child);
  report_lock("after the executed child exited", fd, F_GETLK, F_WRLCK, 0, 0, child);
  close_pipes(ready, go);

  /* The parent's own locks go when it closes any descriptor of the file. */
  int other = open(file_name, O_RDONLY);
  CALL(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
  query_from_child("before closing another descriptor", 0, 0);
  CALL(close(other));
  query_from_child("after closing another descriptor", 0, 0);
}

static void check_ofd(void) {
  printf("-- OFD locks\n");
  int first = open(file_name, O_RDWR);
  int second = open(file_name, O_RDWR);
  CALL(set_lock(first, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
  CALL(set_lock(second, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1));
  CALL(set_lock(second, F_SETLK, F_RDLCK, SEEK_SET, 5, 1));
  report_lock("F_OFD_GETLK through another description", second, F_OFD_GETLK, F_WRLCK, 0, 0, -1);
  report_lock("F_GETLK through another description", second, F_GETLK, F_WRLCK, 0, 0, -1);
  report_lock("F_OFD_GETLK through the owner", first, F_OFD_GETLK, F_WRLCK, 0, 0, -1);
  struct flock with_pid = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1, .l_pid = 1};
  CALL(fcntl(first, F_OFD_SETLK, &with_pid));
  CALL(fcntl(first, F_OFD_GETLK, &with_pid));

  /* The lock belongs to the description, which dup and fork share. */
  int copy = dup(first);
  CALL(set_lock(copy, F_OFD_SETLK, F_RDLCK, SEEK_SET, 0, 5));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    CALL(set_lock(first, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 5));
    CALL(set_lock(second, F_OFD_SETLK, F_RDLCK, SEEK_SET, 6, 1));
    exit(0);
  }
  wait_child(child);
  CALL(close(first));
  report_lock("after closing one of two descriptors", second, F_OFD_GETLK, F_RDLCK, 0, 0, -1);
  CALL(close(copy));
  report_lock("after closing the last descriptor", second, F_OFD_GETLK, F_WRLCK, 0, 0, -1);
  close(second);
}

static void check_flock(void) {
  printf("-- flock\n");
  int first = open(file_name, O_RDONLY);
  int second = open(file_name, O_RDONLY);
  int third = open(file_name, O_RDWR);
  CALL(flock(first, LOCK_EX));
  CALL(flock(second, LOCK_SH | LOCK_NB));
  CALL(flock(first, LOCK_EX | LOCK_NB));
  CALL(flock(first, LOCK_UN));
  CALL(flock(second, LOCK_SH));
  CALL(flock(first, LOCK_SH | LOCK_NB));
  CALL(flock(third, LOCK_EX | LOCK_NB));

  /* flock and POSIX locks do not interact. */
  CALL(set_lock(third, F_SETLK, F_WRLCK, SEEK_SET, 0, 0));
  CALL(set_lock(third, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));

  /* A child shares the descriptions: its LOCK_UN drops the parent's lock. */
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    CALL(flock(second, LOCK_SH | LOCK_NB));
    CALL(flock(second, LOCK_UN));
    exit(0);
  }
  wait_child(child);
  CALL(flock(third, LOCK_EX | LOCK_NB));
  CALL(flock(first, LOCK_UN));
  CALL(flock(third, LOCK_EX | LOCK_NB));

  /* The lock stays until the last descriptor of the description closes. */
  int copy = dup(third);
  CALL(close(third));
  CALL(flock(first, LOCK_SH | LOCK_NB));
  CALL(close(copy));
  CALL(flock(first, LOCK_SH | LOCK_NB));

  /* A child blocks in flock until the parent unlocks. */
  int ready[2];
  int done[2];
  open_pipes(ready, done);
  fflush(stdout);
  child = fork();
  if (child == 0) {
    int own = open(file_name, O_RDONLY);
    send_byte(ready[1]);
    int result = flock(own, LOCK_EX);
    send_byte(done[1]);
    receive_byte(ready[0]);
    abi_report("child flock(LOCK_EX) after the unlock", result);
    exit(0);
  }
  receive_byte(ready[0]);
  FACT("child blocks in flock", !readable_soon(done[0]));
  CALL(flock(first, LOCK_UN));
  receive_byte(done[0]);
  fflush(stdout);
  send_byte(ready[1]);
  wait_child(child);

  CALL(flock(first, 99));
  CALL(flock(first, LOCK_SH | LOCK_EX));
  CALL(flock(-1, LOCK_SH));
  CALL(flock(-1, 99));
  close(first);
  close(second);
}

/* The program image a check_release() child runs after execve: it writes
 * a byte to the pipe named by `ready` and exits once `go` is
 * readable, holding the locks it took before execve until then. */
static int run_exec_child(const char* ready, const char* go) {
  send_byte(atoi(ready));
  receive_byte(atoi(go));
  return 0;
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  if (argc == 5 && strcmp(argv[2], "exec-child") == 0) {
    return run_exec_child(argv[3], argv[4]);
  }
  program_path = "/proc/self/exe";
  scratch_path = argv[1];
  /* Bounds every blocking step: a lock that is never granted ends the run. */
  alarm(30);
  parent_pid = getpid();

  unlink(file_name);
  int fd = open(file_name, O_RDWR | O_CREAT, 0644);
  char data[100] = {0};
  CALL(write(fd, data, sizeof data));

  check_ranges(fd);
  check_errors(fd);
  check_blocking(fd);
  check_interrupt(fd);
  check_release(fd);
  check_ofd();
  check_flock();
  return 0;
}
