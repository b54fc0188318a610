/* EPOLLEXCLUSIVE: when several epoll instances watch one file with it and
 * each has a thread in epoll_wait, an event wakes one of them. The other
 * instances do not even mark the entry ready. Without the flag every
 * instance reports the event. An exclusive entry cannot be modified. */
#include "abi.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>

enum { instance_count = 3 };

struct waiter {
  int epoll_fd;
  int count;
};

static void* wait_in_thread(void* argument) {
  struct waiter* waiter = argument;
  struct epoll_event ready[2];
  waiter->count = epoll_wait(waiter->epoll_fd, ready, 2, 700);
  return NULL;
}

/* Starts a waiting thread on each instance, writes to `event_fd` once all
 * of them wait, and prints how many instances reported the event, then how
 * many report it to a later epoll_wait. */
static void wake_waiters(const char* label, uint32_t flags) {
  int event_fd = eventfd(0, EFD_NONBLOCK);
  FACT("eventfd", event_fd >= 0);
  struct waiter waiters[instance_count];
  pthread_t threads[instance_count];
  for (int index = 0; index < instance_count; ++index) {
    waiters[index].epoll_fd = epoll_create1(0);
    waiters[index].count = -2;
    struct epoll_event request = {.events = EPOLLIN | flags, .data.u64 = (uint64_t)index};
    CALL(epoll_ctl(waiters[index].epoll_fd, EPOLL_CTL_ADD, event_fd, &request));
    FACT("pthread_create",
         pthread_create(&threads[index], NULL, wait_in_thread, &waiters[index]) == 0);
  }

  /* Long enough for every thread to block in epoll_wait. */
  struct timespec pause = {0, 200 * 1000 * 1000};
  nanosleep(&pause, NULL);
  uint64_t one = 1;
  CALL(write(event_fd, &one, sizeof one));

  int reported = 0;
  int reported_later = 0;
  for (int index = 0; index < instance_count; ++index) {
    pthread_join(threads[index], NULL);
    if (waiters[index].count == 1) {
      ++reported;
    }
    struct epoll_event ready[2];
    if (epoll_wait(waiters[index].epoll_fd, ready, 2, 0) == 1) {
      ++reported_later;
    }
  }
  printf("%s: instances that reported the event: %d\n", label, reported);
  printf("%s: instances that report it later: %d\n", label, reported_later);

  for (int index = 0; index < instance_count; ++index) {
    close(waiters[index].epoll_fd);
  }
  close(event_fd);
}

int main(void) {
  wake_waiters("exclusive", EPOLLEXCLUSIVE);
  wake_waiters("shared", 0);

  int epoll_fd = epoll_create1(0);
  int event_fd = eventfd(0, EFD_NONBLOCK);
  struct epoll_event request = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = 1};
  CALL(epoll_ctl(epoll_fd, EPOLL_CTL_ADD, event_fd, &request));
  request.events = EPOLLIN;
  CALL(epoll_ctl(epoll_fd, EPOLL_CTL_MOD, event_fd, &request));
  CALL(epoll_ctl(epoll_fd, EPOLL_CTL_DEL, event_fd, NULL));
  CALL(epoll_ctl(epoll_fd, EPOLL_CTL_MOD, event_fd, &request));
  return 0;
}
