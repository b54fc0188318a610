/* CLOCK_MONOTONIC agrees between processes: a parent and a child forked at
 * start-up pass readings to each other over pipes for 40 ms, and each
 * reading taken after a message arrives must be at or above the reading
 * in the message. Under LiteBox the exchange crosses the switch from the
 * host clock to the vDSO's TSC clock, which every process of the sandbox
 * makes at one moment. */
#include "abi.h"

#include <sys/wait.h>
#include <time.h>

enum { exchange_ns = 40 * 1000 * 1000 };

static long long monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* Replies to each reading from `input` with a fresh one on `output` until the
 * peer sends -1, or, in the process that ends the exchange, until
 * exchange_ns have passed since `start`. Returns the number of readings
 * that were below the one received before them. */
static long exchange(int input, int output, long long start, int ends_exchange) {
  long back = 0;
  long long received = 0;
  while (read(input, &received, sizeof(received)) == (ssize_t)sizeof(received) && received >= 0) {
    long long now = monotonic_ns();
    if (now < received) {
      ++back;
    }
    if (ends_exchange && now - start > exchange_ns) {
      now = -1;
    }
    if (write(output, &now, sizeof(now)) != (ssize_t)sizeof(now) || now < 0) {
      break;
    }
  }
  return back;
}

int main(void) {
  int to_child[2];
  int to_parent[2];
  CALL(pipe(to_child));
  CALL(pipe(to_parent));
  fflush(stdout);
  const long long start = monotonic_ns();

  const pid_t child = fork();
  if (child == 0) {
    const long back = exchange(to_child[0], to_parent[1], start, 0);
    FACT("child: readings after a message were at or above it", back == 0);
    fflush(stdout);
    _exit(0);
  }

  const long long first = monotonic_ns();
  if (write(to_child[1], &first, sizeof(first)) != (ssize_t)sizeof(first)) {
    perror("write");
    return 1;
  }
  const long back = exchange(to_parent[0], to_child[1], start, 1);
  int status = 0;
  FACT("waitpid returned the child", waitpid(child, &status, 0) == child);
  FACT("parent: readings after a message were at or above it", back == 0);
  FACT("child exited with 0", WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return 0;
}
