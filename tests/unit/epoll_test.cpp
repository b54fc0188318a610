// epoll behaviour on pipes and eventfds. Tests named *MatchesHost run the
// same steps on host pipes and a host epoll instance in the same test and
// expect the same outcome.
#include "litebox/event/epoll.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "litebox/ipc/eventfd.hpp"
#include "litebox/ipc/pipe.hpp"
#include "test_threads.hpp"

namespace litebox::event {
namespace {

using litebox::testing::await_sleepers;
using litebox::testing::TestThread;

// A host descriptor, closed at the end of the test.
struct HostFd {
  explicit HostFd(int value = -1) : fd(value) {}
  ~HostFd() { reset(); }
  HostFd(const HostFd&) = delete;
  HostFd& operator=(const HostFd&) = delete;
  void reset() {
    if (fd >= 0) {
      ::close(fd);
    }
    fd = -1;
  }
  int fd;
};

struct HostPipe {
  HostPipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    read_end.fd = fds[0];
    write_end.fd = fds[1];
  }
  HostFd read_end;
  HostFd write_end;
};

ipc::PipeEnds make_pipe() {
  Result<ipc::PipeEnds> ends = ipc::create_pipe(0);
  EXPECT_TRUE(ends);
  return *ends;
}

void write_byte(fd::File& file) {
  std::byte data{'x'};
  ASSERT_EQ(file.write(std::span(&data, 1)), 1u);
}

void read_byte(fd::File& file) {
  std::byte data{};
  ASSERT_EQ(file.read(std::span(&data, 1)), 1u);
}

void write_host_byte(int fd) { ASSERT_EQ(::write(fd, "x", 1), 1); }

void read_host_byte(int fd) {
  char data;
  ASSERT_EQ(::read(fd, &data, 1), 1);
}

// One wait without blocking, as "count events/data ..." or "-errno", so host
// and LiteBox results compare as strings.
std::string poll_once(Epoll& epoll, size_t max_events = 8) {
  std::vector<EpollEvent> ready(max_events);
  Result<size_t> count = epoll.wait(ready, sync::Deadline::after(std::chrono::nanoseconds(0)));
  if (!count) {
    return "-" + std::to_string(errno_value(count.error()));
  }
  std::string text = std::to_string(*count);
  for (size_t index = 0; index < *count; ++index) {
    text += " " + std::to_string(ready[index].events) + "/" + std::to_string(ready[index].data);
  }
  return text;
}

std::string poll_host_once(int epoll_fd, int max_events = 8) {
  std::vector<epoll_event> ready(static_cast<size_t>(max_events));
  int count = ::epoll_wait(epoll_fd, ready.data(), max_events, 0);
  if (count < 0) {
    return "-" + std::to_string(errno);
  }
  std::string text = std::to_string(count);
  for (int index = 0; index < count; ++index) {
    text += " " + std::to_string(ready[index].events) + "/" + std::to_string(ready[index].data.u64);
  }
  return text;
}

long outcome(Result<void> result) { return result ? 0 : -errno_value(result.error()); }

long host_ctl(int epoll_fd, int operation, int fd, uint32_t events, uint64_t data) {
  epoll_event request{};
  request.events = events;
  request.data.u64 = data;
  return ::epoll_ctl(epoll_fd, operation, fd, &request) == 0 ? 0 : -errno;
}

// Descriptor numbers for the LiteBox side; only their identity matters.
constexpr int read_descriptor = 3;
constexpr int write_descriptor = 4;

TEST(Epoll, LevelTriggeredRepeatsMatchesHost) {
  HostPipe host;
  HostFd host_epoll(::epoll_create1(0));
  ipc::PipeEnds ends = make_pipe();
  Epoll epoll;

  ASSERT_EQ(host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host.read_end.fd, EPOLLIN, 0x1122334455667788),
            0);
  ASSERT_EQ(outcome(epoll.add(read_descriptor, ends.read_end, pollin, 0x1122334455667788)), 0);
  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));

  write_host_byte(host.write_end.fd);
  write_byte(*ends.write_end);
  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));
  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));

  read_host_byte(host.read_end.fd);
  read_byte(*ends.read_end);
  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));
}

TEST(Epoll, EdgeTriggeredReportsOnceMatchesHost) {
  HostPipe host;
  HostFd host_epoll(::epoll_create1(0));
  ipc::PipeEnds ends = make_pipe();
  Epoll epoll;
  ASSERT_EQ(host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host.read_end.fd, EPOLLIN | EPOLLET, 7), 0);
  ASSERT_EQ(outcome(epoll.add(read_descriptor, ends.read_end, pollin | epoll_edge_triggered, 7)),
            0);

  write_host_byte(host.write_end.fd);
  write_byte(*ends.write_end);
  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));
  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));

  write_host_byte(host.write_end.fd);
  write_byte(*ends.write_end);
  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));
  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));
}

TEST(Epoll, OneShotNeedsModifyMatchesHost) {
  HostPipe host;
  HostFd host_epoll(::epoll_create1(0));
  ipc::PipeEnds ends = make_pipe();
  Epoll epoll;
  ASSERT_EQ(host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host.read_end.fd, EPOLLIN | EPOLLONESHOT, 1), 0);
  ASSERT_EQ(outcome(epoll.add(read_descriptor, ends.read_end, pollin | epoll_one_shot, 1)), 0);

  write_host_byte(host.write_end.fd);
  write_byte(*ends.write_end);
  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));
  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));

  ASSERT_EQ(host_ctl(host_epoll.fd, EPOLL_CTL_MOD, host.read_end.fd, EPOLLIN | EPOLLONESHOT, 2), 0);
  ASSERT_EQ(outcome(epoll.modify(read_descriptor, *ends.read_end, pollin | epoll_one_shot, 2)), 0);
  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));
}

TEST(Epoll, HangupOnWriterCloseMatchesHost) {
  HostPipe host;
  HostFd host_epoll(::epoll_create1(0));
  ipc::PipeEnds ends = make_pipe();
  Epoll epoll;
  ASSERT_EQ(host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host.read_end.fd, EPOLLIN | EPOLLRDHUP, 5), 0);
  ASSERT_EQ(outcome(epoll.add(read_descriptor, ends.read_end, pollin | pollrdhup, 5)), 0);

  host.write_end.reset();
  ends.write_end.reset();

  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));
}

TEST(Epoll, ControlErrorsMatchHost) {
  HostPipe host;
  HostFd host_epoll(::epoll_create1(0));
  HostFd host_other_epoll(::epoll_create1(0));
  ipc::PipeEnds ends = make_pipe();
  auto epoll = std::make_shared<Epoll>();
  auto other_epoll = std::make_shared<Epoll>();

  EXPECT_EQ(outcome(epoll->add(read_descriptor, ends.read_end, pollin, 0)),
            host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host.read_end.fd, EPOLLIN, 0));
  EXPECT_EQ(outcome(epoll->add(read_descriptor, ends.read_end, pollin, 0)),
            host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host.read_end.fd, EPOLLIN, 0));
  EXPECT_EQ(outcome(epoll->modify(write_descriptor, *ends.write_end, pollout, 0)),
            host_ctl(host_epoll.fd, EPOLL_CTL_MOD, host.write_end.fd, EPOLLOUT, 0));
  EXPECT_EQ(outcome(epoll->remove(write_descriptor, *ends.write_end)),
            host_ctl(host_epoll.fd, EPOLL_CTL_DEL, host.write_end.fd, 0, 0));
  EXPECT_EQ(outcome(epoll->add(9, epoll, pollin, 0)),
            host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host_epoll.fd, EPOLLIN, 0));
  EXPECT_EQ(
      outcome(epoll->add(write_descriptor, ends.write_end, pollout | epoll_exclusive, 0)),
      host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host.write_end.fd, EPOLLOUT | EPOLLEXCLUSIVE, 0));
  EXPECT_EQ(
      outcome(epoll->modify(write_descriptor, *ends.write_end, pollout | epoll_exclusive, 0)),
      host_ctl(host_epoll.fd, EPOLL_CTL_MOD, host.write_end.fd, EPOLLOUT | EPOLLEXCLUSIVE, 0));

  // A cycle of two instances.
  EXPECT_EQ(outcome(epoll->add(10, other_epoll, pollin, 0)),
            host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host_other_epoll.fd, EPOLLIN, 0));
  EXPECT_EQ(outcome(other_epoll->add(11, epoll, pollin, 0)),
            host_ctl(host_other_epoll.fd, EPOLL_CTL_ADD, host_epoll.fd, EPOLLIN, 0));
}

// A regular file, which Linux refuses to watch.
class RegularFile final : public fd::File {
 public:
  RegularFile() : fd::File(0) {}
  Result<fs::Stat> stat() override {
    fs::Stat status;
    status.mode = fs::mode_of(fs::FileType::regular, 0644);
    return status;
  }
};

TEST(Epoll, RegularFileMatchesHost) {
  char path[] = "/tmp/litebox-epoll-XXXXXX";
  HostFd host_file(::mkstemp(path));
  ASSERT_GE(host_file.fd, 0);
  ::unlink(path);
  HostFd host_epoll(::epoll_create1(0));
  Epoll epoll;

  EXPECT_EQ(outcome(epoll.add(read_descriptor, std::make_shared<RegularFile>(), pollin, 0)),
            host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host_file.fd, EPOLLIN, 0));
}

TEST(Epoll, LastCloseRemovesEntryMatchesHost) {
  HostPipe host;
  HostFd host_epoll(::epoll_create1(0));
  ipc::PipeEnds ends = make_pipe();
  Epoll epoll;
  ASSERT_EQ(host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host.read_end.fd, EPOLLIN, 3), 0);
  ASSERT_EQ(outcome(epoll.add(read_descriptor, ends.read_end, pollin, 3)), 0);
  write_host_byte(host.write_end.fd);
  write_byte(*ends.write_end);

  host.read_end.reset();
  ends.read_end.reset();

  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));
}

TEST(Epoll, LastCloseReleasesFileMatchesHost) {
  HostPipe host;
  HostFd host_epoll(::epoll_create1(0));
  ipc::PipeEnds ends = make_pipe();
  Epoll epoll;
  ASSERT_EQ(host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host.write_end.fd, EPOLLOUT, 4), 0);
  ASSERT_EQ(outcome(epoll.add(write_descriptor, ends.write_end, pollout, 4)), 0);

  host.write_end.reset();
  ends.write_end.reset();

  // The reader sees the hang-up before any further epoll call.
  pollfd host_reader{.fd = host.read_end.fd, .events = POLLIN, .revents = 0};
  ASSERT_EQ(::poll(&host_reader, 1, 0), 1);
  EXPECT_EQ(ends.read_end->poll_events() & (pollin | pollhup),
            static_cast<uint32_t>(host_reader.revents));
  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));
}

TEST(Epoll, InstanceDestroyedBeforeWatchedPipe) {
  ipc::PipeEnds ends = make_pipe();
  {
    Epoll epoll;
    ASSERT_EQ(outcome(epoll.add(read_descriptor, ends.read_end, pollin, 1)), 0);
    ASSERT_EQ(outcome(epoll.add(write_descriptor, ends.write_end, pollout, 2)), 0);
  }

  // Notifications after the instance is gone reach no observer of it.
  write_byte(*ends.write_end);
  read_byte(*ends.read_end);
}

TEST(Epoll, ReleasedEndLeavesPipeObservers) {
  ipc::PipeEnds ends = make_pipe();
  Epoll epoll;
  ASSERT_EQ(outcome(epoll.add(read_descriptor, ends.read_end, pollin, 1)), 0);
  ASSERT_EQ(outcome(epoll.add(write_descriptor, ends.write_end, pollout, 2)), 0);

  // The read end goes while its registration stays in the pipe's Pollable,
  // which the write end keeps. The next epoll call drops the entry, and the
  // write end's next notification detaches the observer.
  ends.read_end.reset();
  EXPECT_EQ(poll_once(epoll), std::to_string(1) + " " + std::to_string(pollout | pollerr) + "/2");
  std::byte data{'x'};
  EXPECT_FALSE(ends.write_end->write(std::span(&data, 1)));
  EXPECT_EQ(outcome(epoll.remove(write_descriptor, *ends.write_end)), 0);
  EXPECT_EQ(poll_once(epoll), "0");
}

TEST(Epoll, DuplicateKeepsEntryMatchesHost) {
  HostPipe host;
  HostFd host_epoll(::epoll_create1(0));
  ipc::PipeEnds ends = make_pipe();
  Epoll epoll;
  ASSERT_EQ(host_ctl(host_epoll.fd, EPOLL_CTL_ADD, host.read_end.fd, EPOLLIN, 3), 0);
  ASSERT_EQ(outcome(epoll.add(read_descriptor, ends.read_end, pollin, 3)), 0);
  HostFd host_copy(::dup(host.read_end.fd));
  std::shared_ptr<fd::File> copy = ends.read_end;
  write_host_byte(host.write_end.fd);
  write_byte(*ends.write_end);

  host.read_end.reset();
  ends.read_end.reset();

  EXPECT_EQ(poll_once(epoll), poll_host_once(host_epoll.fd));
}

TEST(Epoll, NestedInstanceReportsMatchesHost) {
  HostFd host_outer(::epoll_create1(0));
  HostFd host_inner(::epoll_create1(0));
  HostFd host_eventfd(::eventfd(0, EFD_NONBLOCK));
  Epoll outer;
  auto inner = std::make_shared<Epoll>();
  auto eventfd = *ipc::EventFd::create(0, ipc::eventfd_non_blocking);

  ASSERT_EQ(host_ctl(host_inner.fd, EPOLL_CTL_ADD, host_eventfd.fd, EPOLLIN, 1), 0);
  ASSERT_EQ(host_ctl(host_outer.fd, EPOLL_CTL_ADD, host_inner.fd, EPOLLIN, 2), 0);
  ASSERT_EQ(outcome(inner->add(5, eventfd, pollin, 1)), 0);
  ASSERT_EQ(outcome(outer.add(6, inner, pollin, 2)), 0);
  EXPECT_EQ(poll_once(outer), poll_host_once(host_outer.fd));

  uint64_t one = 1;
  ASSERT_EQ(::write(host_eventfd.fd, &one, sizeof(one)), 8);
  ASSERT_EQ(eventfd->write(std::as_bytes(std::span(&one, 1))), 8u);

  EXPECT_EQ(poll_once(outer), poll_host_once(host_outer.fd));
}

TEST(Epoll, SmallBufferRotatesReports) {
  Epoll epoll;
  auto first = *ipc::EventFd::create(1, 0);
  auto second = *ipc::EventFd::create(1, 0);
  ASSERT_EQ(outcome(epoll.add(5, first, pollin, 1)), 0);
  ASSERT_EQ(outcome(epoll.add(6, second, pollin, 2)), 0);

  std::string first_wait = poll_once(epoll, 1);
  std::string second_wait = poll_once(epoll, 1);

  EXPECT_NE(first_wait, second_wait);
}

TEST(Epoll, WaitTimesOutEmpty) {
  Epoll epoll;
  std::vector<EpollEvent> ready(4);
  Result<size_t> count = fail(Errno::einval);

  TestThread waiter(
      [&] { count = epoll.wait(ready, sync::Deadline::after(std::chrono::milliseconds(250))); });
  await_sleepers(1);
  litebox::testing::mock_platform().advance(std::chrono::milliseconds(250));

  ASSERT_TRUE(waiter.join_within());
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0u);
}

TEST(Epoll, BlockedWaitWakesOnWrite) {
  ipc::PipeEnds ends = make_pipe();
  Epoll epoll;
  ASSERT_EQ(outcome(epoll.add(read_descriptor, ends.read_end, pollin, 42)), 0);
  std::vector<EpollEvent> ready(4);
  Result<size_t> count = fail(Errno::einval);

  TestThread waiter([&] { count = epoll.wait(ready, sync::Deadline::never()); });
  await_sleepers(1);
  write_byte(*ends.write_end);

  ASSERT_TRUE(waiter.join_within());
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 1u);
  EXPECT_EQ(ready[0].data, 42u);
  EXPECT_EQ(ready[0].events, uint32_t{pollin});
}

TEST(Epoll, EmptyBufferRejected) {
  Epoll epoll;

  Result<size_t> count = epoll.wait({}, sync::Deadline::never());

  ASSERT_FALSE(count);
  EXPECT_EQ(count.error(), Errno::einval);
}

}  // namespace
}  // namespace litebox::event
