/* timerfd: creation flags and clocks, relative, absolute and periodic
 * timers, the expiration count that read returns, disarming, old values,
 * readiness for poll, select and epoll, sharing across fork, and errors.
 * Times are printed only as facts that hold on any machine. */
#include "abi.h"

#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#define MILLISECOND 1000000L

static struct itimerspec after_milliseconds(long value, long interval) {
  struct itimerspec setting = {0};
  setting.it_value.tv_sec = value / 1000;
  setting.it_value.tv_nsec = (value % 1000) * MILLISECOND;
  setting.it_interval.tv_sec = interval / 1000;
  setting.it_interval.tv_nsec = (interval % 1000) * MILLISECOND;
  return setting;
}

static long long nanoseconds_of(const struct timespec* value) {
  return (long long)value->tv_sec * 1000000000LL + value->tv_nsec;
}

static void sleep_milliseconds(long count) {
  struct timespec duration = {count / 1000, (count % 1000) * MILLISECOND};
  while (nanosleep(&duration, &duration) != 0 && errno == EINTR) {
  }
}

/* Reads the expiration count and prints the result; returns the count. */
static long long report_read(const char* label, int fd) {
  uint64_t count = 0;
  errno = 0;
  ssize_t result = read(fd, &count, sizeof count);
  if (result < 0) {
    printf("%s: read -> -1 %s\n", label, strerrorname_np(errno));
    return -1;
  }
  printf("%s: read -> %zd\n", label, result);
  return (long long)count;
}

static short poll_once(int fd, int timeout) {
  struct pollfd request = {.fd = fd, .events = POLLIN | POLLOUT};
  poll(&request, 1, timeout);
  return request.revents;
}

static void test_creation(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  FACT("timerfd_create", fd >= 0);
  CALL(fcntl(fd, F_GETFD));
  CALL(fcntl(fd, F_GETFL));
  char path[64];
  char target[64] = {0};
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  CALL(readlink(path, target, sizeof target - 1));
  printf("link: %s\n", target);
  struct stat status;
  CALL(fstat(fd, &status));
  printf("mode: %o\n", status.st_mode);
  struct itimerspec current;
  CALL(timerfd_gettime(fd, &current));
  printf("new timer: %lld %lld\n", nanoseconds_of(&current.it_value),
         nanoseconds_of(&current.it_interval));
  uint64_t count = 0;
  CALL(read(fd, &count, sizeof count));
  CALL(read(fd, &count, 4));
  CALL(write(fd, &count, sizeof count));
  printf("poll of a disarmed timer: %#x\n", poll_once(fd, 0));
  CALL(close(fd));

  int clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME};
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; ++i) {
    int timer = timerfd_create(clocks[i], 0);
    printf("clock %d: %s\n", clocks[i], timer >= 0 ? "created" : strerrorname_np(errno));
    close(timer);
  }
  CALL(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
  CALL(timerfd_create(CLOCK_MONOTONIC_RAW, 0));
  CALL(timerfd_create(100, 0));
  CALL(timerfd_create(-1, 0));
  CALL(timerfd_create(CLOCK_MONOTONIC, 0x1));
  CALL(timerfd_create(CLOCK_MONOTONIC, O_RDWR));
}

static void test_errors(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec setting = after_milliseconds(1000, 0);
  struct itimerspec current;
  CALL(timerfd_settime(fd, 0x4, &setting, NULL));
  CALL(timerfd_settime(fd, 0, NULL, NULL));
  CALL(timerfd_settime(fd, 0, (struct itimerspec*)1, NULL));
  CALL(timerfd_settime(-1, 0, &setting, NULL));
  CALL(timerfd_settime(1000, 0, &setting, NULL));
  CALL(timerfd_settime(1000, 0x4, &setting, NULL));
  CALL(timerfd_gettime(-1, &current));
  CALL(timerfd_gettime(fd, NULL));

  struct itimerspec bad = setting;
  bad.it_value.tv_nsec = 1000000000;
  CALL(timerfd_settime(fd, 0, &bad, NULL));
  bad = setting;
  bad.it_interval.tv_nsec = -1;
  CALL(timerfd_settime(fd, 0, &bad, NULL));
  bad = setting;
  bad.it_value.tv_sec = -1;
  CALL(timerfd_settime(fd, 0, &bad, NULL));

  int ends[2];
  pipe(ends);
  CALL(timerfd_settime(ends[0], 0, &setting, NULL));
  CALL(timerfd_gettime(ends[0], &current));
  close(ends[0]);
  close(ends[1]);

  CALL(timerfd_settime(fd, 0, &setting, (struct itimerspec*)1));
  CALL(timerfd_gettime(fd, &current));
  FACT("armed despite the bad old_value",
       current.it_value.tv_sec == 0 && current.it_value.tv_nsec > 0);
  close(fd);
}

static void test_one_shot(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct itimerspec setting = after_milliseconds(50, 0);
  struct itimerspec old;
  CALL(timerfd_settime(fd, 0, &setting, &old));
  printf("old value of a new timer: %lld %lld\n", nanoseconds_of(&old.it_value),
         nanoseconds_of(&old.it_interval));
  struct itimerspec current;
  CALL(timerfd_gettime(fd, &current));
  long long left = nanoseconds_of(&current.it_value);
  FACT("time left within 50 ms", left > 0 && left <= 50 * MILLISECOND);
  printf("interval: %lld\n", nanoseconds_of(&current.it_interval));
  report_read("before expiry", fd);
  printf("poll before expiry: %#x\n", poll_once(fd, 0));
  printf("poll until expiry: %#x\n", poll_once(fd, 5000));
  long long count = report_read("after expiry", fd);
  printf("  count: %lld\n", count);
  report_read("read again", fd);
  CALL(timerfd_gettime(fd, &current));
  printf("expired one-shot timer: %lld %lld\n", nanoseconds_of(&current.it_value),
         nanoseconds_of(&current.it_interval));

  /* A blocking read waits for the expiry. */
  int blocking = timerfd_create(CLOCK_REALTIME, 0);
  setting = after_milliseconds(30, 0);
  CALL(timerfd_settime(blocking, 0, &setting, NULL));
  count = report_read("blocking read", blocking);
  printf("  count: %lld\n", count);
  close(blocking);

  /* Disarming with a zero it_value returns the old setting. */
  setting = after_milliseconds(10000, 2000);
  CALL(timerfd_settime(fd, 0, &setting, NULL));
  struct itimerspec zero = {0};
  CALL(timerfd_settime(fd, 0, &zero, &old));
  left = nanoseconds_of(&old.it_value);
  FACT("old value within 10 s", left > 9000 * MILLISECOND && left <= 10000 * MILLISECOND);
  printf("old interval: %lld\n", nanoseconds_of(&old.it_interval));
  CALL(timerfd_gettime(fd, &current));
  printf("disarmed: %lld %lld\n", nanoseconds_of(&current.it_value),
         nanoseconds_of(&current.it_interval));
  report_read("disarmed", fd);

  /* A zero it_value with an interval keeps the timer disarmed. */
  struct itimerspec interval_only = after_milliseconds(0, 10);
  CALL(timerfd_settime(fd, 0, &interval_only, NULL));
  sleep_milliseconds(30);
  CALL(timerfd_gettime(fd, &current));
  printf("interval only: %lld %lld\n", nanoseconds_of(&current.it_value),
         nanoseconds_of(&current.it_interval));
  report_read("interval only", fd);
  close(fd);
}

static void test_periodic_and_absolute(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct itimerspec setting = after_milliseconds(20, 20);
  CALL(timerfd_settime(fd, 0, &setting, NULL));
  sleep_milliseconds(110);
  long long count = report_read("periodic after 110 ms", fd);
  FACT("  4 to 6 expirations", count >= 4 && count <= 6);
  struct itimerspec current;
  CALL(timerfd_gettime(fd, &current));
  long long left = nanoseconds_of(&current.it_value);
  FACT("  next expiry within the period", left > 0 && left <= 20 * MILLISECOND);
  printf("  interval: %lld\n", nanoseconds_of(&current.it_interval));

  /* Setting the timer again resets the count. */
  sleep_milliseconds(50);
  setting = after_milliseconds(10000, 0);
  CALL(timerfd_settime(fd, 0, &setting, NULL));
  report_read("after setting again", fd);
  close(fd);

  /* An absolute expiry one second in the past with a 100 ms period
   * counts the periods that passed. */
  clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME};
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; ++i) {
    int absolute = timerfd_create(clocks[i], TFD_NONBLOCK);
    struct timespec now;
    clock_gettime(clocks[i], &now);
    struct itimerspec past = {.it_interval = {0, 100 * MILLISECOND},
                              .it_value = {now.tv_sec - 1, now.tv_nsec}};
    CALL(timerfd_settime(absolute, TFD_TIMER_ABSTIME, &past, NULL));
    count = report_read("absolute in the past", absolute);
    printf("  clock %d count: %lld\n", (int)clocks[i], count);

    clock_gettime(clocks[i], &now);
    struct itimerspec future = {.it_value = {now.tv_sec + 5, now.tv_nsec}};
    CALL(timerfd_settime(absolute, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &future, NULL));
    CALL(timerfd_gettime(absolute, &current));
    left = nanoseconds_of(&current.it_value);
    FACT("  absolute expiry within 5 s", left > 4000 * MILLISECOND && left <= 5000 * MILLISECOND);
    report_read("absolute in the future", absolute);
    close(absolute);
  }
}

static void test_readiness(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  int epoll = epoll_create1(0);
  struct epoll_event interest = {.events = EPOLLIN, .data.u64 = 7};
  CALL(epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &interest));
  struct epoll_event event = {0};
  CALL(epoll_wait(epoll, &event, 1, 0));
  struct itimerspec setting = after_milliseconds(30, 0);
  CALL(timerfd_settime(fd, 0, &setting, NULL));
  CALL(epoll_wait(epoll, &event, 1, 5000));
  printf("epoll event: %#x data %llu\n", event.events, (unsigned long long)event.data.u64);
  report_read("after epoll", fd);
  CALL(epoll_wait(epoll, &event, 1, 0));

  /* Edge-triggered epoll hears of a periodic timer again after a read. */
  interest.events = EPOLLIN | EPOLLET;
  CALL(epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &interest));
  setting = after_milliseconds(20, 20);
  CALL(timerfd_settime(fd, 0, &setting, NULL));
  CALL(epoll_wait(epoll, &event, 1, 5000));
  report_read("first period", fd);
  CALL(epoll_wait(epoll, &event, 1, 5000));
  report_read("second period", fd);
  struct itimerspec zero = {0};
  CALL(timerfd_settime(fd, 0, &zero, NULL));
  close(epoll);

  setting = after_milliseconds(30, 0);
  CALL(timerfd_settime(fd, 0, &setting, NULL));
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(fd, &readable);
  struct timeval timeout = {5, 0};
  CALL(select(fd + 1, &readable, NULL, NULL, &timeout));
  FACT("select reports it readable", FD_ISSET(fd, &readable));
  report_read("after select", fd);
  close(fd);
}

static void test_fork(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec setting = after_milliseconds(30, 0);
  CALL(timerfd_settime(fd, 0, &setting, NULL));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    uint64_t count = 0;
    ssize_t result = read(fd, &count, sizeof count);
    printf("child read: %zd count %llu\n", result, (unsigned long long)count);
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  report_read("parent after the child read", fd);
  close(fd);
}

/* Prints the timerfd lines of /proc/self/fdinfo/<fd>, with it_value cut
 * to whole seconds, because the remaining time keeps running. */
static void show_timer_info(const char* label, int fd) {
  char path[64];
  char text[1024];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  if (abi_read_file(path, text, sizeof text) < 0) {
    printf("%s: %s\n", label, strerrorname_np(errno));
    return;
  }
  printf("%s:\n", label);
  for (char* line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    long long seconds = 0;
    long long nanoseconds = 0;
    if (sscanf(line, "it_value: (%lld, %lld)", &seconds, &nanoseconds) == 2) {
      printf("  it_value seconds left: %lld\n", seconds);
    } else if (strncmp(line, "pos:", 4) == 0 || strncmp(line, "flags:", 6) == 0 ||
               strchr(line, ' ') != NULL) {
      printf("  %s\n", line);
    }
  }
}

static void test_descriptor_info(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  show_timer_info("disarmed", fd);
  struct itimerspec setting = {{1, 500}, {100, 0}};
  CALL(timerfd_settime(fd, 0, &setting, NULL));
  show_timer_info("relative", fd);
  close(fd);

  fd = timerfd_create(CLOCK_REALTIME, 0);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct itimerspec absolute = {{0, 0}, {now.tv_sec + 1000, 0}};
  CALL(timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &absolute, NULL));
  show_timer_info("absolute", fd);
  close(fd);

  fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
  const struct itimerspec every_ten_seconds = after_milliseconds(1, 10000);
  CALL(timerfd_settime(fd, 0, &every_ten_seconds, NULL));
  sleep_milliseconds(30);
  show_timer_info("expired, not read", fd);
  report_read("read", fd);
  show_timer_info("just read", fd);
  close(fd);
}

int main(void) {
  test_descriptor_info();
  test_creation();
  test_errors();
  test_one_shot();
  test_periodic_and_absolute();
  test_readiness();
  test_fork();
  return 0;
}
