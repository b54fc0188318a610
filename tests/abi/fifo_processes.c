/* Named fifos between processes. The first open of the fifo comes after a
 * fork, in the child and in the parent, so both must reach the same pipe.
 * A blocking open waits for the peer in the other process, the bytes pass,
 * and the reader sees end of file once the writer exits. Also a
 * non-blocking writer without a reader (ENXIO) and two writing children
 * with one reader. An alarm turns a missed rendezvous into a failure
 * instead of a hang. */
#include "abi.h"

#include <signal.h>
#include <sys/wait.h>

static const char* const fifo_name = "fifo";

/* Opens the fifo with `flags`, writes `text` and exits. */
static void write_and_exit(int flags, const char* text) {
  int fd = open(fifo_name, flags);
  if (fd < 0) {
    printf("writer open failed: %s\n", strerrorname_np(errno));
    fflush(stdout);
    _exit(1);
  }
  ssize_t written = write(fd, text, strlen(text));
  _exit(written == (ssize_t)strlen(text) ? 0 : 1);
}

/* Reads the fifo to end of file and prints what came. */
static void read_all(int fd, const char* label) {
  char buffer[256];
  size_t total = 0;
  ssize_t count;
  while (total < sizeof buffer - 1 &&
         (count = read(fd, buffer + total, sizeof buffer - 1 - total)) > 0) {
    total += (size_t)count;
  }
  buffer[total] = '\0';
  printf("%s read %zu bytes: %s\n", label, total, buffer);
}

static void report_child(pid_t child) {
  int status = 0;
  waitpid(child, &status, 0);
  printf("child exit: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* The child writes, the parent reads. */
static void child_writes(void) {
  printf("-- child writes\n");
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    write_and_exit(O_WRONLY, "from the child");
  }
  int fd = open(fifo_name, O_RDONLY);
  if (fd >= 0) {
    read_all(fd, "parent");
    close(fd);
  } else {
    printf("parent open failed: %s\n", strerrorname_np(errno));
  }
  report_child(child);
}

/* The child reads, the parent writes. */
static void parent_writes(void) {
  printf("-- parent writes\n");
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    int fd = open(fifo_name, O_RDONLY);
    if (fd < 0) {
      printf("child open failed: %s\n", strerrorname_np(errno));
      fflush(stdout);
      _exit(1);
    }
    read_all(fd, "child");
    fflush(stdout);
    _exit(0);
  }
  int fd = open(fifo_name, O_WRONLY);
  if (fd >= 0) {
    CALL(write(fd, "from the parent", 15));
    fflush(stdout);
    close(fd);
  } else {
    printf("parent open failed: %s\n", strerrorname_np(errno));
  }
  report_child(child);
}

/* A non-blocking writer needs a reader somewhere, here in another process. */
static void non_blocking_writer(void) {
  printf("-- non-blocking writer\n");
  CALL(open(fifo_name, O_WRONLY | O_NONBLOCK));
  fflush(stdout);
  int reader = open(fifo_name, O_RDONLY | O_NONBLOCK);
  pid_t child = fork();
  if (child == 0) {
    write_and_exit(O_WRONLY | O_NONBLOCK, "non-blocking");
  }
  report_child(child);
  read_all(reader, "parent");
  close(reader);
}

/* Two children write one byte each into a fifo whose reader, in the
 * parent, is open already, and the parent reads both once they exit. */
static void two_writers(void) {
  printf("-- two writers\n");
  fflush(stdout);
  int fd = open(fifo_name, O_RDONLY | O_NONBLOCK);
  pid_t first = fork();
  if (first == 0) {
    write_and_exit(O_WRONLY, "A");
  }
  pid_t second = fork();
  if (second == 0) {
    write_and_exit(O_WRONLY, "B");
  }
  report_child(first);
  report_child(second);

  char buffer[8] = {0};
  CALL(read(fd, buffer, sizeof buffer - 1));
  FACT("both bytes arrived", strchr(buffer, 'A') != NULL && strchr(buffer, 'B') != NULL);
  CALL(read(fd, buffer, sizeof buffer - 1));
  close(fd);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(20);

  unlink(fifo_name);
  CALL(mkfifo(fifo_name, 0600));
  child_writes();
  parent_writes();
  non_blocking_writer();
  two_writers();
  CALL(unlink(fifo_name));
  return 0;
}
