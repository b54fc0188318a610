/* epoll with pipes and an eventfd: level- and edge-triggered reports,
 * one-shot entries, data passthrough, the epoll_ctl errors and removal on
 * the last close. */
#include "abi.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

static void report_wait(const char* label, int epoll_fd) {
  struct epoll_event ready[4];
  memset(ready, 0, sizeof ready);
  int count = epoll_wait(epoll_fd, ready, 4, 0);
  printf("%s: %d", label, count);
  for (int index = 0; index < count; ++index) {
    printf(" {%#x, %#llx}", ready[index].events, (unsigned long long)ready[index].data.u64);
  }
  printf("\n");
}

static int control(int epoll_fd, int operation, int fd, uint32_t events, uint64_t data) {
  struct epoll_event request = {.events = events, .data.u64 = data};
  return epoll_ctl(epoll_fd, operation, fd, &request);
}

int main(void) {
  int ends[2];
  CALL(pipe(ends));
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  FACT("epoll_create1", epoll_fd >= 0);
  CALL(fcntl(epoll_fd, F_GETFD));
  CALL(epoll_create(0));
  CALL(epoll_create1(1));

  CALL(control(epoll_fd, EPOLL_CTL_ADD, ends[0], EPOLLIN, 0x1122334455667788ULL));
  report_wait("level-triggered, empty", epoll_fd);
  CALL(write(ends[1], "ab", 2));
  report_wait("level-triggered, data", epoll_fd);
  report_wait("level-triggered, again", epoll_fd);

  CALL(control(epoll_fd, EPOLL_CTL_MOD, ends[0], EPOLLIN | EPOLLET, 2));
  report_wait("edge-triggered, after MOD", epoll_fd);
  report_wait("edge-triggered, no new data", epoll_fd);
  CALL(write(ends[1], "c", 1));
  report_wait("edge-triggered, new data", epoll_fd);

  CALL(control(epoll_fd, EPOLL_CTL_MOD, ends[0], EPOLLIN | EPOLLONESHOT, 3));
  report_wait("one-shot", epoll_fd);
  report_wait("one-shot, disabled", epoll_fd);
  CALL(control(epoll_fd, EPOLL_CTL_MOD, ends[0], EPOLLIN | EPOLLONESHOT, 4));
  report_wait("one-shot, armed again", epoll_fd);

  CALL(control(epoll_fd, EPOLL_CTL_ADD, ends[0], EPOLLIN, 0));
  CALL(control(epoll_fd, EPOLL_CTL_MOD, ends[1], EPOLLOUT, 0));
  CALL(control(epoll_fd, EPOLL_CTL_DEL, ends[1], 0, 0));
  CALL(control(epoll_fd, EPOLL_CTL_ADD, epoll_fd, EPOLLIN, 0));
  CALL(control(epoll_fd, 99, ends[1], EPOLLIN, 0));
  CALL(control(ends[0], EPOLL_CTL_ADD, ends[1], EPOLLOUT, 0));
  CALL(control(epoll_fd, EPOLL_CTL_ADD, 999, EPOLLIN, 0));
  CALL(epoll_ctl(epoll_fd, EPOLL_CTL_ADD, ends[1], NULL));
  CALL(epoll_wait(epoll_fd, NULL, 0, 0));
  struct epoll_event one;
  CALL(epoll_wait(ends[0], &one, 1, 0));

  int file = open("/proc/self/exe", O_RDONLY);
  if (file < 0) {
    file = open("/", O_RDONLY | O_DIRECTORY);
  }
  CALL(control(epoll_fd, EPOLL_CTL_ADD, file, EPOLLIN, 0));
  CALL(close(file));

  int nested = epoll_create1(0);
  CALL(control(nested, EPOLL_CTL_ADD, epoll_fd, EPOLLIN, 5));
  CALL(control(epoll_fd, EPOLL_CTL_ADD, nested, EPOLLIN, 6));
  report_wait("nested", nested);

  int event_fd = eventfd(0, EFD_NONBLOCK);
  CALL(control(epoll_fd, EPOLL_CTL_DEL, ends[0], 0, 0));
  CALL(control(epoll_fd, EPOLL_CTL_ADD, event_fd, EPOLLIN | EPOLLOUT, 7));
  report_wait("eventfd, zero", epoll_fd);
  uint64_t value = 3;
  CALL(write(event_fd, &value, sizeof value));
  report_wait("eventfd, three", epoll_fd);

  /* Closing the only descriptor of a file removes it from the interest list. */
  CALL(close(event_fd));
  report_wait("after close", epoll_fd);

  CALL(close(ends[0]));
  CALL(control(epoll_fd, EPOLL_CTL_ADD, ends[1], EPOLLOUT, 8));
  report_wait("write end, reader closed", epoll_fd);

  struct timespec timeout = {0, 1000000};
  struct epoll_event ready[2];
  CALL(control(epoll_fd, EPOLL_CTL_DEL, ends[1], 0, 0));
  CALL(syscall(SYS_epoll_pwait2, epoll_fd, ready, 2, &timeout, NULL, 8));
  CALL(epoll_pwait(epoll_fd, ready, 2, 1, NULL));
  return 0;
}
