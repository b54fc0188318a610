/* splice(2) between a pipe and a regular file, a socket or another pipe:
 * the counts it returns, the offsets it advances, and the errors of bad
 * descriptors, flags and offsets. */
#include "abi.h"

#include <signal.h>
#include <sys/socket.h>

static char buffer[200000];

/* Reads what is in the pipe now and prints it. */
static void print_pipe(int fd) {
  ssize_t count = read(fd, buffer, sizeof buffer - 1);
  buffer[count > 0 ? count : 0] = '\0';
  printf("  pipe had %zd bytes: %.40s\n", count, buffer);
}

static void file_to_pipe(int file, int pipe_ends[2]) {
  printf("-- file to pipe\n");
  loff_t offset = 2;
  CALL(splice(file, &offset, pipe_ends[1], NULL, 5, 0));
  printf("  offset %lld, file position %lld\n", (long long)offset,
         (long long)lseek(file, 0, SEEK_CUR));
  print_pipe(pipe_ends[0]);

  CALL(lseek(file, 4, SEEK_SET));
  CALL(splice(file, NULL, pipe_ends[1], NULL, 3, SPLICE_F_MOVE | SPLICE_F_MORE));
  printf("  file position %lld\n", (long long)lseek(file, 0, SEEK_CUR));
  print_pipe(pipe_ends[0]);

  /* At the end of the file nothing moves. */
  offset = 1000000;
  CALL(splice(file, &offset, pipe_ends[1], NULL, 10, 0));
}

static void pipe_to_file(int file, int pipe_ends[2]) {
  printf("-- pipe to file\n");
  CALL(write(pipe_ends[1], "spliced", 7));
  loff_t offset = 100;
  /* The pipe contains less than requested: the call returns what it has. */
  CALL(splice(pipe_ends[0], NULL, file, &offset, 4096, 0));
  printf("  offset %lld, file size %lld\n", (long long)offset, (long long)lseek(file, 0, SEEK_END));
  CALL(pread(file, buffer, 7, 100));
  printf("  read back: %.7s\n", buffer);

  CALL(write(pipe_ends[1], "tail", 4));
  CALL(lseek(file, 0, SEEK_SET));
  CALL(splice(pipe_ends[0], NULL, file, NULL, 4, 0));
  printf("  file position %lld\n", (long long)lseek(file, 0, SEEK_CUR));
}

static void pipe_to_pipe(int pipe_ends[2]) {
  printf("-- pipe to pipe\n");
  int second[2];
  CALL(pipe(second));
  CALL(write(pipe_ends[1], "between pipes", 13));
  CALL(splice(pipe_ends[0], NULL, second[1], NULL, 1000, 0));
  print_pipe(second[0]);
  CALL(close(second[0]));
  CALL(close(second[1]));
}

/* A 64 KiB pipe takes 64 KiB of a larger file, and a pipe filled with
 * 60000 bytes empties into a file in one call. */
static void large_transfers(int file, int pipe_ends[2]) {
  printf("-- large transfers\n");
  memset(buffer, 'x', sizeof buffer);
  CALL(pwrite(file, buffer, 100000, 0));
  loff_t offset = 0;
  CALL(splice(file, &offset, pipe_ends[1], NULL, 100000, 0));
  printf("  offset %lld\n", (long long)offset);
  CALL(splice(file, &offset, pipe_ends[1], NULL, 100000, SPLICE_F_NONBLOCK));
  CALL(read(pipe_ends[0], buffer, sizeof buffer));

  CALL(write(pipe_ends[1], buffer, 60000));
  offset = 0;
  CALL(splice(pipe_ends[0], NULL, file, &offset, 1 << 20, 0));
}

static void sockets(int pipe_ends[2]) {
  printf("-- sockets\n");
  int pair[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
  CALL(write(pipe_ends[1], "to socket", 9));
  CALL(splice(pipe_ends[0], NULL, pair[0], NULL, 100, 0));
  CALL(read(pair[1], buffer, sizeof buffer));
  CALL(write(pair[1], "from socket", 11));
  CALL(splice(pair[0], NULL, pipe_ends[1], NULL, 100, 0));
  print_pipe(pipe_ends[0]);
  loff_t offset = 0;
  CALL(splice(pipe_ends[0], NULL, pair[0], &offset, 100, 0));
  CALL(close(pair[0]));
  CALL(close(pair[1]));
}

static void errors(int file, int pipe_ends[2]) {
  printf("-- errors\n");
  loff_t offset = 0;
  CALL(splice(-1, NULL, -1, NULL, 0, 0));
  CALL(splice(pipe_ends[0], NULL, file, NULL, 10, 0x10));
  CALL(splice(-1, NULL, pipe_ends[1], NULL, 10, 0));
  CALL(splice(file, NULL, 99, NULL, 10, 0));
  CALL(splice(file, NULL, file, NULL, 10, 0));
  CALL(splice(pipe_ends[0], &offset, file, NULL, 10, 0));
  CALL(splice(file, NULL, pipe_ends[1], &offset, 10, 0));
  CALL(splice(pipe_ends[0], NULL, pipe_ends[1], NULL, 10, 0));
  CALL(splice(pipe_ends[1], NULL, file, NULL, 10, 0));
  CALL(splice(file, (loff_t*)8, pipe_ends[1], NULL, 10, 0));
  offset = -1;
  CALL(splice(file, &offset, pipe_ends[1], NULL, 10, 0));
  CALL(splice(pipe_ends[0], NULL, file, NULL, 10, SPLICE_F_NONBLOCK));

  int appending = (int)CALL(open("appending", O_WRONLY | O_CREAT | O_APPEND, 0600));
  CALL(write(pipe_ends[1], "a", 1));
  CALL(splice(pipe_ends[0], NULL, appending, NULL, 10, 0));
  CALL(close(appending));
  CALL(read(pipe_ends[0], buffer, 1));

  int directory = (int)CALL(open(".", O_RDONLY | O_DIRECTORY));
  CALL(splice(directory, NULL, pipe_ends[1], NULL, 10, 0));
  CALL(close(directory));

  /* A pipe without writers gives end of file; one without readers EPIPE. */
  int lonely[2];
  CALL(pipe(lonely));
  CALL(close(lonely[1]));
  CALL(splice(lonely[0], NULL, file, NULL, 10, 0));
  CALL(close(lonely[0]));
  CALL(pipe(lonely));
  CALL(close(lonely[0]));
  offset = 0;
  CALL(splice(file, &offset, lonely[1], NULL, 10, 0));
  CALL(close(lonely[1]));

  int non_blocking[2];
  CALL(pipe2(non_blocking, O_NONBLOCK));
  CALL(splice(non_blocking[0], NULL, file, NULL, 10, 0));
  CALL(close(non_blocking[0]));
  CALL(close(non_blocking[1]));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IONBF, 0);
  int file = (int)CALL(open("data", O_RDWR | O_CREAT | O_TRUNC, 0600));
  CALL(write(file, "0123456789", 10));
  int pipe_ends[2];
  CALL(pipe(pipe_ends));

  file_to_pipe(file, pipe_ends);
  pipe_to_file(file, pipe_ends);
  pipe_to_pipe(pipe_ends);
  large_transfers(file, pipe_ends);
  sockets(pipe_ends);
  errors(file, pipe_ends);
  return 0;
}
