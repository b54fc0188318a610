/* An epoll interest list does not keep a file open: closing the last
 * descriptor of a watched pipe end releases it at once, so the peer reads
 * end of file or gets EPIPE before any further epoll call, and the entry is
 * gone from the next epoll_wait. A dup keeps the file and its entry alive. */
#include "abi.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>

static void report_wait(const char* label, int epoll_fd, int timeout_ms) {
  struct epoll_event ready[4];
  memset(ready, 0, sizeof ready);
  int count = epoll_wait(epoll_fd, ready, 4, timeout_ms);
  printf("%s: %d", label, count);
  for (int index = 0; index < count; ++index) {
    printf(" {%#x, %#llx}", ready[index].events, (unsigned long long)ready[index].data.u64);
  }
  printf("\n");
}

static int add(int epoll_fd, int fd, uint32_t events, uint64_t data) {
  struct epoll_event request = {.events = events, .data.u64 = data};
  return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &request);
}

static void writer_closed_while_watched(int epoll_fd) {
  int ends[2];
  CALL(pipe2(ends, O_NONBLOCK));
  CALL(add(epoll_fd, ends[1], EPOLLOUT, 1));
  CALL(close(ends[1]));

  char byte;
  CALL(read(ends[0], &byte, 1));
  report_wait("after the writer's close", epoll_fd, 0);
  CALL(close(ends[0]));
}

static void reader_closed_while_watched(int epoll_fd) {
  int ends[2];
  CALL(pipe2(ends, O_NONBLOCK));
  CALL(add(epoll_fd, ends[0], EPOLLIN, 2));
  CALL(write(ends[1], "x", 1));
  report_wait("reader with data", epoll_fd, 0);
  CALL(close(ends[0]));

  CALL(write(ends[1], "y", 1));
  report_wait("after the reader's close", epoll_fd, 0);
  CALL(close(ends[1]));
}

static void duplicate_keeps_entry(int epoll_fd) {
  int ends[2];
  CALL(pipe2(ends, O_NONBLOCK));
  CALL(add(epoll_fd, ends[0], EPOLLIN, 3));
  CALL(write(ends[1], "z", 1));
  int duplicate = dup(ends[0]);
  FACT("dup", duplicate >= 0);

  CALL(close(ends[0]));
  report_wait("original closed, dup open", epoll_fd, 0);
  char byte;
  CALL(read(duplicate, &byte, 1));
  CALL(close(ends[1]));
  report_wait("writer closed, dup open", epoll_fd, 0);

  CALL(close(duplicate));
  report_wait("dup closed", epoll_fd, 0);
}

struct waiter {
  int epoll_fd;
  int count;
};

static void* wait_in_thread(void* argument) {
  struct waiter* waiter = argument;
  struct epoll_event ready[4];
  waiter->count = epoll_wait(waiter->epoll_fd, ready, 4, 600);
  return NULL;
}

/* A file closed while another thread waits: the entry goes, so the wait
 * reports nothing when the peer writes and closes afterwards, and the
 * peer's write fails with EPIPE. */
static void closed_during_wait(int epoll_fd) {
  int ends[2];
  CALL(pipe2(ends, O_NONBLOCK));
  CALL(add(epoll_fd, ends[0], EPOLLIN, 4));

  struct waiter waiter = {.epoll_fd = epoll_fd, .count = -2};
  pthread_t thread;
  FACT("pthread_create", pthread_create(&thread, NULL, wait_in_thread, &waiter) == 0);
  struct timespec pause = {0, 100 * 1000 * 1000};
  nanosleep(&pause, NULL);

  CALL(close(ends[0]));
  CALL(write(ends[1], "w", 1));
  CALL(close(ends[1]));
  FACT("pthread_join", pthread_join(thread, NULL) == 0);
  printf("waiter reported: %d\n", waiter.count);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  int epoll_fd = epoll_create1(0);
  FACT("epoll_create1", epoll_fd >= 0);

  writer_closed_while_watched(epoll_fd);
  reader_closed_while_watched(epoll_fd);
  duplicate_keeps_entry(epoll_fd);
  closed_during_wait(epoll_fd);
  report_wait("empty at the end", epoll_fd, 0);
  return 0;
}
