#include "standard_streams.hpp"

#include <fcntl.h>
#include <poll.h>

#include <array>

namespace litebox::cli {

namespace {

std::array<bool, 3> closed_at_start = {};

}  // namespace

void reserve_standard_descriptors() {
  // One poll(2) reports which of the three are closed (POLLNVAL), where
  // fcntl(F_GETFD) would take a system call each.
  std::array<pollfd, 3> streams = {{{.fd = 0}, {.fd = 1}, {.fd = 2}}};
  if (poll(streams.data(), streams.size(), 0) < 0) {
    return;
  }
  for (int fd = 0; fd < 3; ++fd) {
    if ((streams[static_cast<size_t>(fd)].revents & POLLNVAL) == 0) {
      continue;
    }
    closed_at_start[fd] = true;
    // open() returns the lowest free descriptor, which is `fd` here because
    // the lower ones are open by now. Without /dev/null the number stays
    // free, which matters less: the guest's own table still lacks the stream.
    (void)open("/dev/null", O_RDWR | O_CLOEXEC);
  }
}

bool standard_descriptor_was_closed(int fd) {
  return fd >= 0 && fd < 3 && closed_at_start[static_cast<size_t>(fd)];
}

}  // namespace litebox::cli
