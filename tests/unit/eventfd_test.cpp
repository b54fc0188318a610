// eventfd behaviour. Tests named *MatchesHost run the same steps on a host
// eventfd in the same test and expect the same outcome.
#include "litebox/ipc/eventfd.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "test_threads.hpp"

namespace litebox::ipc {
namespace {

using litebox::testing::await_sleepers;
using litebox::testing::TestThread;

// A host eventfd, closed at the end of the test.
struct HostEventFd {
  HostEventFd(unsigned int initial_count, int flags) : fd(::eventfd(initial_count, flags)) {}
  ~HostEventFd() {
    if (fd >= 0) ::close(fd);
  }
  int fd;
};

// The result of one call as a count or a negative errno, so host and
// LiteBox outcomes compare with one EXPECT_EQ.
long outcome(Result<size_t> result) {
  return result ? static_cast<long>(*result) : -errno_value(result.error());
}
long host_outcome(ssize_t result) { return result >= 0 ? result : -errno; }

std::shared_ptr<EventFd> make_eventfd(uint64_t initial_count, uint32_t flags) {
  Result<std::shared_ptr<EventFd>> created = EventFd::create(initial_count, flags);
  EXPECT_TRUE(created);
  return created ? *created : nullptr;
}

struct ReadResult {
  long outcome;
  uint64_t value;
};

ReadResult read_value(EventFd& eventfd, size_t size = 8) {
  std::array<std::byte, 16> buffer{};
  long result = outcome(eventfd.read(std::span(buffer).first(size)));
  uint64_t value = 0;
  std::memcpy(&value, buffer.data(), sizeof(value));
  return {result, value};
}

ReadResult read_host(int fd, size_t size = 8) {
  std::array<std::byte, 16> buffer{};
  long result = host_outcome(::read(fd, buffer.data(), size));
  uint64_t value = 0;
  std::memcpy(&value, buffer.data(), sizeof(value));
  return {result, value};
}

long write_value(EventFd& eventfd, uint64_t value, size_t size = 8) {
  std::array<std::byte, 16> buffer{};
  std::memcpy(buffer.data(), &value, sizeof(value));
  return outcome(eventfd.write(std::span<const std::byte>(buffer).first(size)));
}

long write_host(int fd, uint64_t value, size_t size = 8) {
  std::array<std::byte, 16> buffer{};
  std::memcpy(buffer.data(), &value, sizeof(value));
  return host_outcome(::write(fd, buffer.data(), size));
}

short host_poll_events(int fd) {
  pollfd request{.fd = fd, .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM, .revents = 0};
  EXPECT_EQ(::poll(&request, 1, 0), 1);
  return request.revents;
}

TEST(EventFd, UnknownFlagMatchesHost) {
  HostEventFd host(0, 0x10);
  ASSERT_LT(host.fd, 0);
  int host_errno = errno;

  Result<std::shared_ptr<EventFd>> created = EventFd::create(0, 0x10);

  ASSERT_FALSE(created);
  EXPECT_EQ(errno_value(created.error()), host_errno);
}

TEST(EventFd, ReadTakesWholeCountMatchesHost) {
  HostEventFd host(0, EFD_NONBLOCK);
  auto eventfd = make_eventfd(0, eventfd_non_blocking);

  EXPECT_EQ(write_value(*eventfd, 5), write_host(host.fd, 5));
  EXPECT_EQ(write_value(*eventfd, 7), write_host(host.fd, 7));
  ReadResult host_read = read_host(host.fd);
  ReadResult read = read_value(*eventfd);
  EXPECT_EQ(read.outcome, host_read.outcome);
  EXPECT_EQ(read.value, host_read.value);

  EXPECT_EQ(read_value(*eventfd).outcome, read_host(host.fd).outcome);
}

TEST(EventFd, SemaphoreReadTakesOneMatchesHost) {
  HostEventFd host(3, EFD_NONBLOCK | EFD_SEMAPHORE);
  auto eventfd = make_eventfd(3, eventfd_non_blocking | eventfd_semaphore);

  for (int round = 0; round < 4; ++round) {
    ReadResult host_read = read_host(host.fd);
    ReadResult read = read_value(*eventfd);
    EXPECT_EQ(read.outcome, host_read.outcome) << "read " << round;
    EXPECT_EQ(read.value, host_read.value) << "read " << round;
  }
}

TEST(EventFd, ShortBuffersMatchHost) {
  HostEventFd host(1, EFD_NONBLOCK);
  auto eventfd = make_eventfd(1, eventfd_non_blocking);

  EXPECT_EQ(read_value(*eventfd, 4).outcome, read_host(host.fd, 4).outcome);
  EXPECT_EQ(write_value(*eventfd, 1, 7), write_host(host.fd, 1, 7));
  // Linux accepts longer buffers and moves 8 bytes.
  EXPECT_EQ(read_value(*eventfd, 16).outcome, read_host(host.fd, 16).outcome);
}

TEST(EventFd, InvalidValueMatchesHost) {
  HostEventFd host(0, EFD_NONBLOCK);
  auto eventfd = make_eventfd(0, eventfd_non_blocking);

  EXPECT_EQ(write_value(*eventfd, UINT64_MAX), write_host(host.fd, UINT64_MAX));
}

TEST(EventFd, OverflowWouldBlockMatchesHost) {
  HostEventFd host(0, EFD_NONBLOCK);
  auto eventfd = make_eventfd(0, eventfd_non_blocking);

  EXPECT_EQ(write_value(*eventfd, eventfd_max_count), write_host(host.fd, eventfd_max_count));
  EXPECT_EQ(write_value(*eventfd, 1), write_host(host.fd, 1));
  EXPECT_EQ(write_value(*eventfd, 0), write_host(host.fd, 0));
}

TEST(EventFd, PollEventsMatchHost) {
  HostEventFd host(0, EFD_NONBLOCK);
  auto eventfd = make_eventfd(0, eventfd_non_blocking);
  EXPECT_EQ(eventfd->poll_events(), static_cast<uint32_t>(host_poll_events(host.fd)));

  ASSERT_EQ(write_value(*eventfd, 1), write_host(host.fd, 1));
  EXPECT_EQ(eventfd->poll_events(), static_cast<uint32_t>(host_poll_events(host.fd)));

  ASSERT_EQ(write_value(*eventfd, eventfd_max_count - 1),
            write_host(host.fd, eventfd_max_count - 1));
  EXPECT_EQ(eventfd->poll_events(), static_cast<uint32_t>(host_poll_events(host.fd)));
}

TEST(EventFd, BlockedReadWakesOnWrite) {
  auto eventfd = make_eventfd(0, 0);
  ReadResult read{-1, 0};

  TestThread reader([&] { read = read_value(*eventfd); });
  await_sleepers(1);
  ASSERT_EQ(write_value(*eventfd, 9), 8);

  ASSERT_TRUE(reader.join_within());
  EXPECT_EQ(read.outcome, 8);
  EXPECT_EQ(read.value, 9u);
}

TEST(EventFd, BlockedWriteWakesOnRead) {
  auto eventfd = make_eventfd(0, 0);
  ASSERT_EQ(write_value(*eventfd, eventfd_max_count), 8);
  long written = -1;

  TestThread writer([&] { written = write_value(*eventfd, 2); });
  await_sleepers(1);
  ASSERT_EQ(read_value(*eventfd).outcome, 8);

  ASSERT_TRUE(writer.join_within());
  EXPECT_EQ(written, 8);
  EXPECT_EQ(eventfd->count(), 2u);
}

TEST(EventFd, StatHasNoFileType) {
  auto eventfd = make_eventfd(0, 0);

  Result<fs::Stat> status = eventfd->stat();

  ASSERT_TRUE(status);
  EXPECT_EQ(status->mode, 0600u);
}

}  // namespace
}  // namespace litebox::ipc
