/* eventfd: counter reads, semaphore mode, the 8-byte rules, overflow with
 * O_NONBLOCK and poll readiness. */
#include "abi.h"

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>

static void report_read(int fd) {
  uint64_t value = 0;
  long result = CALL(read(fd, &value, sizeof value));
  if (result == 8) {
    printf("  value: %llu\n", (unsigned long long)value);
  }
}

static long write_value(int fd, uint64_t value) { return write(fd, &value, sizeof value); }

static void report_poll(const char* label, int fd) {
  struct pollfd request = {.fd = fd, .events = POLLIN | POLLOUT};
  poll(&request, 1, 0);
  printf("%s: %#x\n", label, request.revents);
}

int main(void) {
  int counter = eventfd(2, EFD_NONBLOCK | EFD_CLOEXEC);
  FACT("eventfd2", counter >= 0);
  CALL(fcntl(counter, F_GETFD));
  CALL(fcntl(counter, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
  report_poll("poll with count 2", counter);
  CALL(write_value(counter, 5));
  report_read(counter);
  report_read(counter);
  report_poll("poll with count 0", counter);

  uint32_t small = 1;
  CALL(write(counter, &small, sizeof small));
  CALL(read(counter, &small, sizeof small));
  CALL(write_value(counter, UINT64_MAX));
  CALL(write_value(counter, UINT64_MAX - 1));
  CALL(write_value(counter, 1));
  report_poll("poll when full", counter);
  report_read(counter);
  CALL(close(counter));

  int semaphore = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
  report_read(semaphore);
  report_read(semaphore);
  report_read(semaphore);
  CALL(close(semaphore));

  CALL(eventfd(0, 0x10));
  return 0;
}
