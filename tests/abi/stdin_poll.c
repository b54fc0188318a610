/* poll, select and epoll on standard input when it is a pipe that receives
 * input late: waits shorter than the delay time out, longer ones report the
 * input, a forked child waits on the same pipe, and end of file reports
 * POLLHUP. A non-blocking read before the input fails with EAGAIN.
 * compare.py (--stdin-chunk) writes the next chunk of input about
 * half a second after each "waiting for input" line, and closes the pipe
 * after the last chunk. */
#include "abi.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>

static void cue(const char* step) { printf("%s: waiting for input\n", step); }

static void report_poll(const char* label, int timeout_ms) {
  struct pollfd entry = {.fd = 0, .events = POLLIN};
  int ready = poll(&entry, 1, timeout_ms);
  if (ready < 0) {
    printf("%s -> -1 %s\n", label, strerrorname_np(errno));
    return;
  }
  printf("%s: timed out %s, revents %#x\n", label, ready == 0 ? "yes" : "no",
         (unsigned)entry.revents);
}

static void report_select(const char* label, long timeout_ms) {
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(0, &readable);
  struct timeval timeout = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
  int ready = select(1, &readable, NULL, NULL, &timeout);
  if (ready < 0) {
    printf("%s -> -1 %s\n", label, strerrorname_np(errno));
    return;
  }
  printf("%s: timed out %s, fd 0 readable %s\n", label, ready == 0 ? "yes" : "no",
         FD_ISSET(0, &readable) ? "yes" : "no");
}

static void report_epoll(const char* label, int epoll_fd, int timeout_ms) {
  struct epoll_event event = {0};
  int ready = epoll_wait(epoll_fd, &event, 1, timeout_ms);
  if (ready < 0) {
    printf("%s -> -1 %s\n", label, strerrorname_np(errno));
    return;
  }
  printf("%s: timed out %s, events %#x\n", label, ready == 0 ? "yes" : "no",
         ready == 0 ? 0u : event.events);
}

static void report_read(const char* label) {
  char buffer[64];
  ssize_t count = read(0, buffer, sizeof buffer - 1);
  if (count < 0) {
    printf("%s -> -1 %s\n", label, strerrorname_np(errno));
    return;
  }
  buffer[count] = '\0';
  printf("%s -> %zd \"%.*s\"\n", label, count, (int)strcspn(buffer, "\n"), buffer);
}

int main(void) {
  /* Unbuffered, so each cue reaches the feeding script at once and a forked
   * child inherits no pending output. */
  setvbuf(stdout, NULL, _IONBF, 0);

  cue("poll");
  report_poll("poll, 0 ms before the input", 0);
  report_poll("poll, 50 ms before the input", 50);
  report_poll("poll, 10 s", 10000);
  report_read("read");

  cue("select");
  report_select("select, 50 ms before the input", 50);
  report_select("select, 10 s", 10000);
  report_read("read");

  int epoll_fd = epoll_create1(0);
  struct epoll_event interest = {.events = EPOLLIN, .data.u64 = 0};
  CALL(epoll_ctl(epoll_fd, EPOLL_CTL_ADD, 0, &interest));
  cue("epoll");
  report_epoll("epoll_wait, 50 ms before the input", epoll_fd, 50);
  report_epoll("epoll_wait, 10 s", epoll_fd, 10000);
  report_read("read");

  /* The child waits in a process of its own. */
  pid_t child = fork();
  if (child == 0) {
    cue("child poll");
    report_poll("child poll, 50 ms before the input", 50);
    report_poll("child poll, 10 s", 10000);
    report_read("child read");
    _exit(0);
  }
  int status = 0;
  FACT("waitpid returned the child", waitpid(child, &status, 0) == child);
  FACT("child exited with 0", WIFEXITED(status) && WEXITSTATUS(status) == 0);

  /* A non-blocking read finds nothing before the input comes. */
  int flags = (int)CALL(fcntl(0, F_GETFL));
  CALL(fcntl(0, F_SETFL, flags | O_NONBLOCK));
  cue("non-blocking read");
  report_read("non-blocking read before the input");
  report_poll("poll, 10 s", 10000);
  report_read("non-blocking read");
  CALL(fcntl(0, F_SETFL, flags));

  /* No chunk is left, so the script closes the pipe. */
  cue("end of file");
  report_poll("poll, 50 ms before the end", 50);
  report_poll("poll, 10 s", 10000);
  report_select("select at the end", 0);
  report_epoll("epoll_wait at the end", epoll_fd, 0);
  report_read("read at the end");
  report_poll("poll after the end", 0);
  return 0;
}
