/* tee(2) between two pipes and vmsplice(2) into and out of a pipe: what
 * they copy, how many bytes fit in the pipe's slots, when they wait, and
 * the errors of bad descriptors, flags, iovecs and files that are no pipe. */
#include "abi.h"

#include <signal.h>
#include <sys/uio.h>

#define PAGE 4096

/* Page-aligned, so each page of it is one pipe slot for vmsplice. */
static char pages[4 * PAGE] __attribute__((aligned(PAGE)));
static char text[4 * PAGE + 1];

/* Reads what is in the pipe now, without waiting, and prints its size and
 * its first bytes. */
static void print_pipe(const char* label, int fd) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  ssize_t count = read(fd, text, sizeof text - 1);
  fcntl(fd, F_SETFL, flags);
  text[count > 0 ? count : 0] = '\0';
  printf("  %s had %zd bytes: %.20s\n", label, count, text);
}

static void make_pipes(int first[2], int second[2]) {
  if (pipe(first) != 0 || pipe(second) != 0) {
    printf("pipe failed: %s\n", strerrorname_np(errno));
    exit(1);
  }
}

static void close_pipes(int first[2], int second[2]) {
  close(first[0]);
  close(first[1]);
  close(second[0]);
  close(second[1]);
}

static void tee_copies(void) {
  printf("-- tee copies without consuming\n");
  int in[2];
  int out[2];
  make_pipes(in, out);
  CALL(write(in[1], "hello world", 11));
  CALL(tee(in[0], out[1], 100, 0));
  print_pipe("output", out[0]);
  CALL(tee(in[0], out[1], 5, SPLICE_F_MOVE | SPLICE_F_MORE));
  print_pipe("output", out[0]);
  print_pipe("input", in[0]);

  /* Each slot of the input takes one slot of the output. */
  CALL(fcntl(out[1], F_SETPIPE_SZ, 2 * PAGE));
  memset(pages, 'p', sizeof pages);
  CALL(write(in[1], pages, 3 * PAGE));
  CALL(tee(in[0], out[1], 1 << 20, SPLICE_F_NONBLOCK));
  CALL(tee(in[0], out[1], 1 << 20, SPLICE_F_NONBLOCK));
  print_pipe("output", out[0]);
  print_pipe("input", in[0]);

  /* A slot that tee filled takes no later write into it. */
  CALL(fcntl(out[1], F_SETPIPE_SZ, PAGE));
  CALL(write(in[1], "small", 5));
  CALL(tee(in[0], out[1], 5, 0));
  CALL(fcntl(out[1], F_SETFL, O_NONBLOCK));
  CALL(write(out[1], "x", 1));
  print_pipe("output", out[0]);
  print_pipe("input", in[0]);
  close_pipes(in, out);
}

static void tee_errors(void) {
  printf("-- tee errors\n");
  int in[2];
  int out[2];
  make_pipes(in, out);
  int file = CALL(open("regular", O_RDWR | O_CREAT | O_TRUNC, 0600));
  CALL(write(in[1], "data", 4));
  CALL(tee(in[0], out[1], 0, 0));
  CALL(tee(in[0], out[1], 10, 0x10));
  CALL(tee(999, out[1], 10, 0));
  CALL(tee(in[0], 999, 10, 0));
  CALL(tee(in[0], in[1], 10, 0));
  CALL(tee(in[1], out[1], 10, 0));
  CALL(tee(in[0], out[0], 10, 0));
  CALL(tee(file, out[1], 10, 0));
  CALL(tee(in[0], file, 10, 0));
  CALL(tee(in[0], out[1], 10, 0));
  print_pipe("output", out[0]);

  /* The output's last reader is gone; SIGPIPE is ignored here. */
  CALL(close(out[0]));
  CALL(tee(in[0], out[1], 10, 0));
  CALL(close(file));
  close_pipes(in, out);
}

static void tee_waits(void) {
  printf("-- tee waits\n");
  int in[2];
  int out[2];
  make_pipes(in, out);
  CALL(tee(in[0], out[1], 10, SPLICE_F_NONBLOCK));
  CALL(fcntl(in[0], F_SETFL, O_NONBLOCK));
  CALL(tee(in[0], out[1], 10, 0));
  CALL(fcntl(in[0], F_SETFL, 0));

  /* A full output. */
  CALL(write(in[1], "data", 4));
  CALL(fcntl(out[1], F_SETPIPE_SZ, PAGE));
  CALL(write(out[1], pages, PAGE));
  CALL(tee(in[0], out[1], 10, SPLICE_F_NONBLOCK));
  CALL(fcntl(out[1], F_SETFL, O_NONBLOCK));
  CALL(tee(in[0], out[1], 10, 0));
  CALL(fcntl(out[1], F_SETFL, 0));
  CALL(read(out[0], text, PAGE));
  CALL(read(in[0], text, 4));

  /* A blocking tee waits for a writer that comes later. */
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    usleep(100000);
    (void)write(in[1], "late", 4);
    _exit(0);
  }
  CALL(tee(in[0], out[1], 10, 0));
  print_pipe("output", out[0]);
  CALL(waitpid(child, NULL, 0) == child);

  /* With no writer left and nothing buffered, the input is at its end. */
  CALL(read(in[0], text, 4));
  CALL(close(in[1]));
  CALL(tee(in[0], out[1], 10, 0));
  close(in[0]);
  close(out[0]);
  close(out[1]);
}

static void vmsplice_writes(void) {
  printf("-- vmsplice into a pipe\n");
  int ends[2];
  CALL(pipe(ends));
  struct iovec parts[3] = {{"abc", 3}, {"", 0}, {"defg", 4}};
  CALL(vmsplice(ends[1], parts, 3, 0));
  print_pipe("pipe", ends[0]);
  CALL(vmsplice(ends[1], parts, 0, 0));
  CALL(vmsplice(ends[1], parts, 2, SPLICE_F_GIFT | SPLICE_F_MORE | SPLICE_F_MOVE));
  print_pipe("pipe", ends[0]);

  /* Each page of the iovecs takes one slot, and a slot that vmsplice
   * filled takes no later write into it. */
  CALL(fcntl(ends[1], F_SETPIPE_SZ, 2 * PAGE));
  memset(pages, 'v', sizeof pages);
  struct iovec whole = {pages, 3 * PAGE};
  CALL(vmsplice(ends[1], &whole, 1, 0));
  CALL(vmsplice(ends[1], &whole, 1, SPLICE_F_NONBLOCK));
  print_pipe("pipe", ends[0]);
  struct iovec split[2] = {{pages + 100, 10}, {pages + PAGE - 5, 10}};
  CALL(vmsplice(ends[1], split, 2, 0));
  CALL(fcntl(ends[1], F_SETFL, O_NONBLOCK));
  CALL(write(ends[1], "x", 1));
  CALL(fcntl(ends[1], F_SETFL, 0));
  print_pipe("pipe", ends[0]);

  /* A full pipe makes a blocking vmsplice wait for a reader. */
  CALL(vmsplice(ends[1], &whole, 1, 0));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    usleep(100000);
    (void)read(ends[0], text, sizeof text);
    _exit(0);
  }
  struct iovec small = {"later", 5};
  CALL(vmsplice(ends[1], &small, 1, 0));
  CALL(waitpid(child, NULL, 0) == child);
  print_pipe("pipe", ends[0]);

  CALL(close(ends[0]));
  CALL(vmsplice(ends[1], &small, 1, 0));
  CALL(close(ends[1]));
}

static void vmsplice_reads(void) {
  printf("-- vmsplice out of a pipe\n");
  int ends[2];
  CALL(pipe(ends));
  CALL(write(ends[1], "0123456789", 10));
  char first[5] = "";
  char second[20] = "";
  struct iovec parts[2] = {{first, 4}, {second, sizeof second - 1}};
  CALL(vmsplice(ends[0], parts, 2, 0));
  printf("  read %s and %s\n", first, second);

  CALL(vmsplice(ends[0], parts, 2, SPLICE_F_NONBLOCK));
  CALL(write(ends[1], "abc", 3));
  struct iovec bad = {(void*)8, 10};
  CALL(vmsplice(ends[0], &bad, 1, 0));
  memset(second, 0, sizeof second);
  CALL(vmsplice(ends[0], parts + 1, 1, 0));
  printf("  read %s\n", second);

  /* A blocking vmsplice waits for a writer that comes later. */
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    usleep(100000);
    (void)write(ends[1], "late", 4);
    _exit(0);
  }
  memset(second, 0, sizeof second);
  CALL(vmsplice(ends[0], parts + 1, 1, 0));
  printf("  read %s\n", second);
  CALL(waitpid(child, NULL, 0) == child);

  CALL(close(ends[1]));
  CALL(vmsplice(ends[0], parts, 2, 0));
  CALL(close(ends[0]));
}

static void vmsplice_errors(void) {
  printf("-- vmsplice errors\n");
  int ends[2];
  CALL(pipe(ends));
  int file = CALL(open("regular", O_RDWR | O_CREAT | O_TRUNC, 0600));
  int path = CALL(open("regular", O_PATH));
  struct iovec one = {"data", 4};
  CALL(vmsplice(ends[1], &one, 1, 0x10));
  CALL(vmsplice(999, &one, 1, 0));
  CALL(vmsplice(file, &one, 1, 0));
  CALL(vmsplice(path, &one, 1, 0));
  CALL(vmsplice(ends[1], &one, 1025, 0));
  CALL(vmsplice(ends[1], NULL, 1, 0));
  CALL(vmsplice(ends[1], (struct iovec*)8, 1, 0));
  struct iovec huge = {pages, (size_t)-1};
  CALL(vmsplice(ends[1], &huge, 1, 0));
  struct iovec bad = {(void*)8, 10};
  CALL(vmsplice(ends[1], &bad, 1, 0));
  struct iovec good_then_bad[2] = {{"ok", 2}, {(void*)8, 10}};
  CALL(vmsplice(ends[1], good_then_bad, 2, 0));
  print_pipe("pipe", ends[0]);
  CALL(close(path));
  CALL(close(file));
  CALL(close(ends[0]));
  CALL(close(ends[1]));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  tee_copies();
  tee_errors();
  tee_waits();
  vmsplice_writes();
  vmsplice_reads();
  vmsplice_errors();
  return 0;
}
