/* Pipes: data in order, EOF once every writer is closed, EAGAIN on an
 * empty non-blocking pipe, EPIPE with SIGPIPE ignored, poll readiness and
 * FIONREAD. */
#include "abi.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>

int main(void) {
  int ends[2];
  char buffer[16] = {0};

  CALL(pipe(ends));
  printf("pipe descriptors: %d %d\n", ends[0], ends[1]);
  CALL(write(ends[1], "ping", 4));
  int available = 0;
  CALL(ioctl(ends[0], FIONREAD, &available));
  printf("FIONREAD: %d\n", available);

  struct pollfd poll_set[2] = {{.fd = ends[0], .events = POLLIN},
                               {.fd = ends[1], .events = POLLOUT}};
  CALL(poll(poll_set, 2, 0));
  printf("revents: read end %#x, write end %#x\n", poll_set[0].revents, poll_set[1].revents);

  CALL(read(ends[0], buffer, sizeof buffer));
  printf("read: \"%s\"\n", buffer);
  poll_set[0].revents = 0;
  CALL(poll(poll_set, 1, 0));
  printf("revents when empty: %#x\n", poll_set[0].revents);

  CALL(fcntl(ends[0], F_GETFL) & O_ACCMODE);
  CALL(fcntl(ends[1], F_GETFL) & O_ACCMODE);
  CALL(write(ends[0], "x", 1));
  CALL(read(ends[1], buffer, 1));

  CALL(close(ends[1]));
  CALL(read(ends[0], buffer, sizeof buffer));
  poll_set[0].revents = 0;
  CALL(poll(poll_set, 1, 0));
  printf("revents after the writer closed: %#x\n", poll_set[0].revents);
  CALL(close(ends[0]));

  CALL(pipe2(ends, O_NONBLOCK | O_CLOEXEC));
  CALL(fcntl(ends[0], F_GETFD));
  CALL(fcntl(ends[0], F_GETFL) & O_NONBLOCK);
  CALL(read(ends[0], buffer, sizeof buffer));

  signal(SIGPIPE, SIG_IGN);
  CALL(close(ends[0]));
  CALL(write(ends[1], "x", 1));
  poll_set[1].fd = ends[1];
  poll_set[1].revents = 0;
  CALL(poll(&poll_set[1], 1, 0));
  printf("revents of a write end without reader: %#x\n", poll_set[1].revents);
  CALL(close(ends[1]));

  CALL(pipe2(ends, O_DIRECT << 8));

  /* A non-blocking pipe fills up and then reports EAGAIN. */
  CALL(pipe2(ends, O_NONBLOCK));
  char chunk[4096];
  memset(chunk, 'z', sizeof chunk);
  long total = 0;
  long result;
  while ((result = write(ends[1], chunk, sizeof chunk)) > 0) {
    total += result;
  }
  printf("filled a pipe: %s, then %s\n", total > 0 ? "yes" : "no", strerrorname_np(errno));
  CALL(close(ends[0]));
  CALL(close(ends[1]));
  return 0;
}
