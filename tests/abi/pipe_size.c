/* F_GETPIPE_SZ and F_SETPIPE_SZ on a pipe and a fifo. The test covers the
 * default size, rounding up to a power-of-two number of pages, and EBUSY
 * when the buffered data does not fit. It also covers the pipe-max-size
 * limit for a caller that is not root, and descriptors that are not pipes.
 * Root may exceed the limit only with CAP_SYS_RESOURCE, which the host's
 * root may lack, so the test does not try it as root. */
#include "abi.h"

#include <sys/wait.h>

static void resize_pipe(int descriptor) {
  CALL(fcntl(descriptor, F_GETPIPE_SZ));
  CALL(fcntl(descriptor, F_SETPIPE_SZ, 0));
  CALL(fcntl(descriptor, F_GETPIPE_SZ));
  CALL(fcntl(descriptor, F_SETPIPE_SZ, 5000));
  CALL(fcntl(descriptor, F_SETPIPE_SZ, 65536));
  CALL(fcntl(descriptor, F_SETPIPE_SZ, 100000));
  CALL(fcntl(descriptor, F_GETPIPE_SZ));
  CALL(fcntl(descriptor, F_SETPIPE_SZ, 1048576));
  CALL(fcntl(descriptor, F_GETPIPE_SZ));
  CALL(fcntl(descriptor, F_SETPIPE_SZ, 65536));
  CALL(fcntl(descriptor, F_SETPIPE_SZ, 0x80000001u));
  CALL(fcntl(descriptor, F_SETPIPE_SZ, -1));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  int ends[2];
  CALL(pipe(ends));
  resize_pipe(ends[0]);

  /* Three pages of data fit in four pages but not in two. */
  char data[3 * 4096];
  memset(data, 'x', sizeof data);
  CALL(write(ends[1], data, sizeof data));
  CALL(fcntl(ends[1], F_SETPIPE_SZ, 8192));
  CALL(fcntl(ends[1], F_SETPIPE_SZ, 16384));
  CALL(fcntl(ends[1], F_GETPIPE_SZ));
  char back[sizeof data + 1];
  CALL(read(ends[0], back, sizeof back));
  FACT("the data survives the resize", memcmp(back, data, sizeof data) == 0);

  /* A process that is not root may not exceed pipe-max-size. */
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    if (getuid() == 0 && setuid(65534) != 0) {
      _exit(1);
    }
    CALL(fcntl(ends[1], F_SETPIPE_SZ, 1048576));
    CALL(fcntl(ends[1], F_SETPIPE_SZ, 2097152));
    CALL(fcntl(ends[1], F_GETPIPE_SZ));
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child status: %d\n", status);
  close(ends[0]);
  close(ends[1]);

  CALL(mkfifo("fifo", 0600));
  int fifo = CALL(open("fifo", O_RDWR));
  CALL(fcntl(fifo, F_GETPIPE_SZ));
  CALL(fcntl(fifo, F_SETPIPE_SZ, 300000));
  CALL(fcntl(fifo, F_GETPIPE_SZ));
  close(fifo);

  int file = CALL(open("file", O_CREAT | O_RDWR, 0600));
  CALL(fcntl(file, F_GETPIPE_SZ));
  CALL(fcntl(file, F_SETPIPE_SZ, 65536));
  close(file);
  CALL(fcntl(99, F_GETPIPE_SZ));
  return 0;
}
