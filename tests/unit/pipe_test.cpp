// Pipe behaviour. Tests named *MatchesHost run the same steps on a host pipe
// in the same test and expect the same outcome.
#include "litebox/ipc/pipe.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "litebox/event/poll.hpp"
#include "test_threads.hpp"

namespace litebox::ipc {
namespace {

using litebox::testing::await_condition;
using litebox::testing::await_sleepers;
using litebox::testing::mock_platform;
using litebox::testing::TestThread;

std::vector<std::byte> filled(size_t size, char value = 'x') {
  return std::vector<std::byte>(size, std::byte(value));
}

PipeEnds make_pipe(uint32_t flags = 0) {
  Result<PipeEnds> ends = create_pipe(flags);
  EXPECT_TRUE(ends);
  return *ends;
}

// A host pipe, closed at the end of the test.
struct HostPipe {
  explicit HostPipe(int flags = 0) {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, flags), 0);
    read_fd = fds[0];
    write_fd = fds[1];
  }
  ~HostPipe() {
    close_read();
    close_write();
  }
  void close_read() {
    if (read_fd >= 0) ::close(read_fd);
    read_fd = -1;
  }
  void close_write() {
    if (write_fd >= 0) ::close(write_fd);
    write_fd = -1;
  }

  int read_fd = -1;
  int write_fd = -1;
};

// The result of one call as a count or a negative errno, so host and
// LiteBox outcomes compare with one EXPECT_EQ.
long outcome(Result<size_t> result) {
  return result ? static_cast<long>(*result) : -errno_value(result.error());
}
long host_outcome(ssize_t result) { return result >= 0 ? result : -errno; }

long write_host(int fd, size_t size) {
  std::vector<std::byte> data = filled(size);
  return host_outcome(::write(fd, data.data(), data.size()));
}

long read_host(int fd, size_t size) {
  std::vector<std::byte> buffer(size);
  return host_outcome(::read(fd, buffer.data(), buffer.size()));
}

long write_pipe(PipeEnd& end, size_t size) { return outcome(end.write(filled(size))); }

long read_pipe(PipeEnd& end, size_t size) {
  std::vector<std::byte> buffer(size);
  return outcome(end.read(buffer));
}

// The events a zero-timeout poll(2) reports for `events` on a host fd.
uint32_t host_poll(int fd, short events) {
  pollfd entry{fd, events, 0};
  int ready = ::poll(&entry, 1, 0);
  EXPECT_GE(ready, 0);
  return static_cast<uint16_t>(entry.revents);
}

// The events poll() would report for `requested` on a pipe end.
uint32_t pipe_poll(PipeEnd& end, uint32_t requested) {
  return end.poll_events() & (requested | event::poll_always_reported);
}

// Writes `chunk`-byte pieces without blocking until the pipe is full and
// returns the total.
size_t fill_host(int fd, size_t chunk) {
  size_t total = 0;
  while (true) {
    long written = write_host(fd, chunk);
    if (written < 0) {
      EXPECT_EQ(written, -EAGAIN);
      return total;
    }
    total += static_cast<size_t>(written);
  }
}

size_t fill_pipe(PipeEnd& end, size_t chunk) {
  size_t total = 0;
  while (true) {
    long written = write_pipe(end, chunk);
    if (written < 0) {
      EXPECT_EQ(written, -EAGAIN);
      return total;
    }
    total += static_cast<size_t>(written);
  }
}

// Ignores SIGPIPE while a test writes to a host pipe without readers.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() { previous_ = ::signal(SIGPIPE, SIG_IGN); }
  ~IgnoreSigpipe() { ::signal(SIGPIPE, previous_); }

 private:
  sighandler_t previous_;
};

TEST(Pipe, StatShowsOwner) {
  Result<PipeEnds> ends = create_pipe(0, fs::Credentials{.uid = 1000, .gid = 2000, .groups = {}});
  ASSERT_TRUE(ends);

  Result<fs::Stat> read_status = ends->read_end->stat();
  Result<fs::Stat> write_status = ends->write_end->stat();

  ASSERT_TRUE(read_status);
  ASSERT_TRUE(write_status);
  EXPECT_EQ(read_status->uid, 1000u);
  EXPECT_EQ(read_status->gid, 2000u);
  EXPECT_EQ(write_status->uid, 1000u);
  EXPECT_EQ(write_status->gid, 2000u);
}

TEST(Pipe, DefaultCapacity) {
  PipeEnds ends = make_pipe();
  EXPECT_EQ(ends.read_end->pipe().capacity(), default_pipe_capacity);
  EXPECT_EQ(default_pipe_capacity, size_t{65536});
}

TEST(Pipe, OddCapacityRoundsUp) {
  EXPECT_EQ(Pipe(0).capacity(), size_t{4096});
  EXPECT_EQ(Pipe(5000).capacity(), size_t{8192});
  EXPECT_EQ(Pipe(65536).capacity(), size_t{65536});
}

TEST(Pipe, CapacityByChunkMatchesHost) {
  for (size_t chunk : {size_t{1}, size_t{100}, size_t{4096}, size_t{5000}, size_t{65536}}) {
    HostPipe host(O_NONBLOCK);
    PipeEnds ends = make_pipe(fd::open_non_blocking);

    size_t expected = fill_host(host.write_fd, chunk);
    size_t actual = fill_pipe(*ends.write_end, chunk);

    EXPECT_EQ(actual, expected) << "writes of " << chunk << " bytes";
  }
}

TEST(Pipe, FullPipeCapacityMatchesHost) {
  HostPipe host(O_NONBLOCK);
  PipeEnds ends = make_pipe(fd::open_non_blocking);

  size_t expected = fill_host(host.write_fd, 4096);
  size_t actual = fill_pipe(*ends.write_end, 4096);

  EXPECT_EQ(actual, expected);
  EXPECT_EQ(actual, ends.read_end->pipe().capacity());
  int host_available = 0;
  ASSERT_EQ(::ioctl(host.read_fd, FIONREAD, &host_available), 0);
  EXPECT_EQ(ends.read_end->bytes_available(), static_cast<size_t>(host_available));
}

// A non-blocking write of at most PIPE_BUF bytes that does not fit writes
// nothing; a larger one writes what fits in free slots.
TEST(Pipe, NonBlockingWritesNearFullMatchHost) {
  struct Case {
    size_t prefill;
    size_t size;
  };
  const Case cases[] = {{65436, 200},  {65436, 96}, {65436, 8192}, {61440, 8192}, {61440, 4096},
                        {61441, 4095}, {65536, 1},  {0, 100000},   {4000, 100}};
  for (const Case& test_case : cases) {
    HostPipe host(O_NONBLOCK);
    PipeEnds ends = make_pipe(fd::open_non_blocking);
    if (test_case.prefill != 0) {
      ASSERT_EQ(write_host(host.write_fd, test_case.prefill), long(test_case.prefill));
      ASSERT_EQ(write_pipe(*ends.write_end, test_case.prefill), long(test_case.prefill));
    }

    long expected = write_host(host.write_fd, test_case.size);
    long actual = write_pipe(*ends.write_end, test_case.size);

    EXPECT_EQ(actual, expected) << "write of " << test_case.size << " after " << test_case.prefill;
  }
}

TEST(Pipe, PollOutMatchesHost) {
  struct Case {
    size_t written;
    size_t read;
  };
  const Case cases[] = {{0, 0},     {61440, 0},    {61441, 0},    {65535, 0},     {65536, 0},
                        {65536, 1}, {65536, 4095}, {65536, 4096}, {65536, 65536}, {100, 100}};
  for (const Case& test_case : cases) {
    HostPipe host(O_NONBLOCK);
    PipeEnds ends = make_pipe(fd::open_non_blocking);
    if (test_case.written != 0) {
      ASSERT_EQ(write_host(host.write_fd, test_case.written), long(test_case.written));
      ASSERT_EQ(write_pipe(*ends.write_end, test_case.written), long(test_case.written));
    }
    if (test_case.read != 0) {
      ASSERT_EQ(read_host(host.read_fd, test_case.read), long(test_case.read));
      ASSERT_EQ(read_pipe(*ends.read_end, test_case.read), long(test_case.read));
    }

    uint32_t expected_write_end = host_poll(host.write_fd, POLLOUT | POLLWRNORM);
    uint32_t expected_read_end = host_poll(host.read_fd, POLLIN | POLLRDNORM);
    uint32_t actual_write_end = pipe_poll(*ends.write_end, POLLOUT | POLLWRNORM);
    uint32_t actual_read_end = pipe_poll(*ends.read_end, POLLIN | POLLRDNORM);

    EXPECT_EQ(actual_write_end, expected_write_end)
        << test_case.written << " written, " << test_case.read << " read";
    EXPECT_EQ(actual_read_end, expected_read_end)
        << test_case.written << " written, " << test_case.read << " read";
  }
}

TEST(Pipe, EpipeWithoutReaderMatchesHost) {
  IgnoreSigpipe ignore;
  HostPipe host;
  PipeEnds ends = make_pipe();
  host.close_read();
  ends.read_end.reset();

  EXPECT_EQ(write_pipe(*ends.write_end, 10), write_host(host.write_fd, 10));
  EXPECT_EQ(write_pipe(*ends.write_end, 0), write_host(host.write_fd, 0));
  EXPECT_EQ(write_pipe(*ends.write_end, 10), -EPIPE);
  EXPECT_EQ(pipe_poll(*ends.write_end, POLLOUT), host_poll(host.write_fd, POLLOUT));
}

TEST(Pipe, EndOfFileWithoutWriterMatchesHost) {
  HostPipe host;
  PipeEnds ends = make_pipe();
  ASSERT_EQ(write_host(host.write_fd, 5), 5);
  ASSERT_EQ(write_pipe(*ends.write_end, 5), 5);
  host.close_write();
  ends.write_end.reset();

  EXPECT_EQ(pipe_poll(*ends.read_end, POLLIN), host_poll(host.read_fd, POLLIN));
  EXPECT_EQ(read_pipe(*ends.read_end, 100), read_host(host.read_fd, 100));
  EXPECT_EQ(read_pipe(*ends.read_end, 100), read_host(host.read_fd, 100));
  EXPECT_EQ(read_pipe(*ends.read_end, 100), 0);
  EXPECT_EQ(pipe_poll(*ends.read_end, POLLIN), host_poll(host.read_fd, POLLIN));
}

TEST(Pipe, NonBlockingEmptyReadMatchesHost) {
  HostPipe host(O_NONBLOCK);
  PipeEnds ends = make_pipe(fd::open_non_blocking);

  long expected = read_host(host.read_fd, 10);
  long actual = read_pipe(*ends.read_end, 10);

  EXPECT_EQ(actual, expected);
  EXPECT_EQ(actual, -EAGAIN);
}

TEST(Pipe, SetCapacityMatchesHost) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{4096}, size_t{5000}, size_t{65536},
                      size_t{100000}, size_t{1048576}}) {
    HostPipe host;
    PipeEnds ends = make_pipe();

    long expected = host_outcome(::fcntl(host.write_fd, F_SETPIPE_SZ, static_cast<int>(size)));
    long actual = outcome(ends.write_end->pipe().set_capacity(size));

    EXPECT_EQ(actual, expected) << "F_SETPIPE_SZ " << size;
    EXPECT_EQ(long(ends.write_end->pipe().capacity()),
              host_outcome(::fcntl(host.write_fd, F_GETPIPE_SZ)));
  }
}

TEST(Pipe, ShrinkBelowContentsMatchesHost) {
  HostPipe host(O_NONBLOCK);
  PipeEnds ends = make_pipe(fd::open_non_blocking);
  ASSERT_EQ(write_host(host.write_fd, 3 * 4096), 3 * 4096);
  ASSERT_EQ(write_pipe(*ends.write_end, 3 * 4096), 3 * 4096);

  EXPECT_EQ(outcome(ends.write_end->pipe().set_capacity(8192)),
            host_outcome(::fcntl(host.write_fd, F_SETPIPE_SZ, 8192)));
  EXPECT_EQ(outcome(ends.write_end->pipe().set_capacity(16384)),
            host_outcome(::fcntl(host.write_fd, F_SETPIPE_SZ, 16384)));
  // The bytes survive the resize, in order.
  EXPECT_EQ(read_pipe(*ends.read_end, 65536), 3 * 4096);
}

// Without privilege (CAP_SYS_RESOURCE), growing past the pipe-max-size
// default fails; the host test user may be privileged.
TEST(Pipe, GrowingPastMaxNeedsPrivilege) {
  PipeEnds ends = make_pipe();

  auto grown = ends.write_end->pipe().set_capacity(max_pipe_capacity + 1);

  ASSERT_FALSE(grown);
  EXPECT_EQ(grown.error(), Errno::eperm);
}

TEST(Pipe, UnknownCreateFlagMatchesHost) {
  int fds[2];
  long expected = host_outcome(::pipe2(fds, O_APPEND));

  auto actual = create_pipe(fd::open_append);

  ASSERT_FALSE(actual);
  EXPECT_EQ(-errno_value(actual.error()), expected);
}

TEST(Pipe, WrongDirectionIsEbadf) {
  PipeEnds ends = make_pipe();

  EXPECT_EQ(write_pipe(*ends.read_end, 1), -EBADF);
  EXPECT_EQ(read_pipe(*ends.write_end, 1), -EBADF);
}

TEST(Pipe, ReadReturnsWhatIsBuffered) {
  PipeEnds ends = make_pipe();
  std::string text = "hello, pipe";
  ASSERT_EQ(ends.write_end->write(std::as_bytes(std::span(text))), text.size());

  EXPECT_EQ(ends.read_end->bytes_available(), text.size());
  std::string received(64, '\0');
  auto count = ends.read_end->read(std::as_writable_bytes(std::span(received)));

  ASSERT_TRUE(count);
  EXPECT_EQ(received.substr(0, *count), text);
  EXPECT_EQ(ends.read_end->bytes_available(), 0u);
}

TEST(Pipe, BothEndsShareOneInode) {
  PipeEnds ends = make_pipe();
  PipeEnds other = make_pipe();

  auto read_status = ends.read_end->stat();
  auto write_status = ends.write_end->stat();
  auto other_status = other.read_end->stat();

  ASSERT_TRUE(read_status);
  ASSERT_TRUE(write_status);
  ASSERT_TRUE(other_status);
  EXPECT_EQ(fs::file_type_of(read_status->mode), fs::FileType::fifo);
  EXPECT_EQ(read_status->inode, write_status->inode);
  EXPECT_NE(read_status->inode, other_status->inode);
}

TEST(Pipe, BlockingReadWaitsForData) {
  PipeEnds ends = make_pipe();
  long count = 0;

  TestThread reader([&] { count = read_pipe(*ends.read_end, 100); });
  await_sleepers(1);
  ASSERT_EQ(write_pipe(*ends.write_end, 42), 42);

  ASSERT_TRUE(reader.join_within());
  EXPECT_EQ(count, 42);
}

TEST(Pipe, BlockedReadSeesEndOfFile) {
  PipeEnds ends = make_pipe();
  long count = -1;

  TestThread reader([&] { count = read_pipe(*ends.read_end, 100); });
  await_sleepers(1);
  ends.write_end.reset();

  ASSERT_TRUE(reader.join_within());
  EXPECT_EQ(count, 0);
}

TEST(Pipe, BlockedReadInterrupted) {
  PipeEnds ends = make_pipe();
  long count = 0;

  TestThread reader([&] { count = read_pipe(*ends.read_end, 100); });
  await_sleepers(1);
  mock_platform().interrupt(reader.id());

  ASSERT_TRUE(reader.join_within());
  EXPECT_EQ(count, -EINTR);
}

// A blocked writer of at most PIPE_BUF bytes waits until all of it fits:
// reading a few bytes is not enough while every slot is still in use.
TEST(Pipe, SmallBlockingWriteWaitsForRoom) {
  PipeEnds ends = make_pipe();
  ASSERT_EQ(write_pipe(*ends.write_end, 65436), 65436);
  long count = 0;

  TestThread writer([&] { count = write_pipe(*ends.write_end, 200); });
  await_sleepers(1);
  ASSERT_EQ(read_pipe(*ends.read_end, 100), 100);
  await_sleepers(1);
  EXPECT_EQ(ends.read_end->bytes_available(), size_t{65336});

  ASSERT_EQ(read_pipe(*ends.read_end, 4096), 4096);
  ASSERT_TRUE(writer.join_within());
  EXPECT_EQ(count, 200);
  EXPECT_EQ(ends.read_end->bytes_available(), size_t{65336 - 4096 + 200});
}

TEST(Pipe, LargeBlockingWriteCompletesAsReaderDrains) {
  PipeEnds ends = make_pipe();
  constexpr size_t total = 200000;
  long count = 0;

  TestThread writer([&] { count = write_pipe(*ends.write_end, total); });
  size_t received = 0;
  while (received < total) {
    long part = read_pipe(*ends.read_end, 10000);
    ASSERT_GT(part, 0);
    received += static_cast<size_t>(part);
  }

  ASSERT_TRUE(writer.join_within());
  EXPECT_EQ(count, long(total));
  EXPECT_EQ(received, total);
}

TEST(Pipe, InterruptedLargeWriteReturnsPartialCount) {
  PipeEnds ends = make_pipe();
  long count = 0;

  TestThread writer([&] { count = write_pipe(*ends.write_end, 100000); });
  await_sleepers(1);
  mock_platform().interrupt(writer.id());

  ASSERT_TRUE(writer.join_within());
  EXPECT_EQ(count, 65536);
}

TEST(Pipe, InterruptedSmallWriteIsEintr) {
  PipeEnds ends = make_pipe();
  ASSERT_EQ(write_pipe(*ends.write_end, 65536), 65536);
  long count = 0;

  TestThread writer([&] { count = write_pipe(*ends.write_end, 10); });
  await_sleepers(1);
  mock_platform().interrupt(writer.id());

  ASSERT_TRUE(writer.join_within());
  EXPECT_EQ(count, -EINTR);
  EXPECT_EQ(ends.read_end->bytes_available(), size_t{65536});
}

TEST(Pipe, BlockedWriterGetsEpipeWhenReaderCloses) {
  PipeEnds ends = make_pipe();
  ASSERT_EQ(write_pipe(*ends.write_end, 65536), 65536);
  long count = 0;

  TestThread writer([&] { count = write_pipe(*ends.write_end, 10); });
  await_sleepers(1);
  ends.read_end.reset();

  ASSERT_TRUE(writer.join_within());
  EXPECT_EQ(count, -EPIPE);
}

// Writers of at most PIPE_BUF bytes race; every write must appear in the
// stream as one contiguous run.
TEST(Pipe, AtomicWritesNeverInterleave) {
  PipeEnds ends = make_pipe();
  constexpr size_t write_size = 1000;
  constexpr int writes_per_writer = 300;
  const char letters[] = {'a', 'b', 'c'};

  std::vector<std::unique_ptr<TestThread>> writers;
  for (char letter : letters) {
    writers.push_back(std::make_unique<TestThread>([&, letter] {
      for (int i = 0; i < writes_per_writer; ++i) {
        EXPECT_EQ(ends.write_end->write(filled(write_size, letter)), write_size);
      }
    }));
  }

  std::string stream;
  size_t total = write_size * writes_per_writer * std::size(letters);
  while (stream.size() < total) {
    std::string buffer(3000, '\0');
    auto count = ends.read_end->read(std::as_writable_bytes(std::span(buffer)));
    ASSERT_TRUE(count);
    stream.append(buffer, 0, *count);
  }
  for (auto& writer : writers) {
    ASSERT_TRUE(writer->join_within());
  }

  for (size_t start = 0; start < stream.size(); start += write_size) {
    std::string run = stream.substr(start, write_size);
    ASSERT_EQ(run, std::string(write_size, run[0])) << "write split at offset " << start;
  }
}

TEST(Pipe, PollWakesOnWrite) {
  PipeEnds ends = make_pipe();
  std::vector<event::PollEntry> entries = {{ends.read_end, event::pollin, 0}};
  Result<size_t> ready = 0;

  TestThread poller([&] { ready = event::poll(entries, sync::Deadline::never()); });
  await_sleepers(1);
  ASSERT_EQ(write_pipe(*ends.write_end, 1), 1);

  ASSERT_TRUE(poller.join_within());
  ASSERT_TRUE(ready);
  EXPECT_EQ(*ready, 1u);
  EXPECT_EQ(entries[0].returned, event::pollin);
}

TEST(Pipe, PollWakesWhenWriterCloses) {
  PipeEnds ends = make_pipe();
  std::vector<event::PollEntry> entries = {{ends.read_end, event::pollin, 0}};
  Result<size_t> ready = 0;

  TestThread poller([&] { ready = event::poll(entries, sync::Deadline::never()); });
  await_sleepers(1);
  ends.write_end.reset();

  ASSERT_TRUE(poller.join_within());
  ASSERT_TRUE(ready);
  EXPECT_EQ(entries[0].returned, event::pollhup);
}

TEST(Pipe, PollWakesWhenSpaceFrees) {
  PipeEnds ends = make_pipe();
  ASSERT_EQ(write_pipe(*ends.write_end, 65536), 65536);
  std::vector<event::PollEntry> entries = {{ends.write_end, event::pollout, 0}};
  Result<size_t> ready = 0;

  TestThread poller([&] { ready = event::poll(entries, sync::Deadline::never()); });
  await_sleepers(1);
  ASSERT_EQ(read_pipe(*ends.read_end, 4096), 4096);

  ASSERT_TRUE(poller.join_within());
  ASSERT_TRUE(ready);
  EXPECT_EQ(entries[0].returned, event::pollout);
}

// tee(2) between two host pipes: the bytes copied, or a negative errno.
long tee_host(int input, int output, size_t length, unsigned flags = 0) {
  return host_outcome(::tee(input, output, length, flags));
}

long tee_pipe(PipeEnd& input, PipeEnd& output, size_t length, bool non_blocking = false) {
  return outcome(tee_pipes(input, output, length, non_blocking));
}

// Each input slot takes one output slot, so a two-slot output takes two of
// three full input slots.
TEST(Pipe, TeeSlotCountMatchesHost) {
  HostPipe host_input;
  HostPipe host_output;
  PipeEnds input = make_pipe();
  PipeEnds output = make_pipe();
  ASSERT_EQ(::fcntl(host_output.write_fd, F_SETPIPE_SZ, 8192), 8192);
  ASSERT_EQ(output.write_end->pipe().set_capacity(8192).value_or(0), 8192U);
  ASSERT_EQ(write_host(host_input.write_fd, 3 * 4096), 3 * 4096);
  ASSERT_EQ(write_pipe(*input.write_end, 3 * 4096), 3 * 4096);

  EXPECT_EQ(tee_pipe(*input.read_end, *output.write_end, 1 << 20, true),
            tee_host(host_input.read_fd, host_output.write_fd, 1 << 20, SPLICE_F_NONBLOCK));
  EXPECT_EQ(tee_pipe(*input.read_end, *output.write_end, 1 << 20, true),
            tee_host(host_input.read_fd, host_output.write_fd, 1 << 20, SPLICE_F_NONBLOCK));
  EXPECT_EQ(input.read_end->bytes_available().value_or(0), 3U * 4096);
}

// A small write does not join a slot that tee filled, so a one-slot pipe
// is full after a tee of a few bytes.
TEST(Pipe, TeeSlotTakesNoMergeMatchesHost) {
  HostPipe host_input;
  HostPipe host_output(O_NONBLOCK);
  PipeEnds input = make_pipe();
  PipeEnds output = make_pipe(fd::open_non_blocking);
  ASSERT_EQ(::fcntl(host_output.write_fd, F_SETPIPE_SZ, 4096), 4096);
  ASSERT_EQ(output.write_end->pipe().set_capacity(4096).value_or(0), 4096U);
  ASSERT_EQ(write_host(host_input.write_fd, 5), 5);
  ASSERT_EQ(write_pipe(*input.write_end, 5), 5);
  ASSERT_EQ(tee_host(host_input.read_fd, host_output.write_fd, 5), 5);
  ASSERT_EQ(tee_pipe(*input.read_end, *output.write_end, 5), 5);

  EXPECT_EQ(write_pipe(*output.write_end, 1), write_host(host_output.write_fd, 1));
}

TEST(Pipe, TeeErrorsMatchHost) {
  IgnoreSigpipe ignore;
  HostPipe host_input;
  HostPipe host_output;
  PipeEnds input = make_pipe();
  PipeEnds output = make_pipe();

  EXPECT_EQ(tee_pipe(*input.read_end, *output.write_end, 10, true),
            tee_host(host_input.read_fd, host_output.write_fd, 10, SPLICE_F_NONBLOCK));
  EXPECT_EQ(tee_pipe(*input.write_end, *output.write_end, 10),
            tee_host(host_input.write_fd, host_output.write_fd, 10));

  ASSERT_EQ(write_host(host_input.write_fd, 4), 4);
  ASSERT_EQ(write_pipe(*input.write_end, 4), 4);
  host_output.close_read();
  output.read_end.reset();
  EXPECT_EQ(tee_pipe(*input.read_end, *output.write_end, 10),
            tee_host(host_input.read_fd, host_output.write_fd, 10));

  host_input.close_write();
  input.write_end.reset();
  ASSERT_EQ(read_host(host_input.read_fd, 4), 4);
  ASSERT_EQ(read_pipe(*input.read_end, 4), 4);
  HostPipe second_host_output;
  PipeEnds second_output = make_pipe();
  EXPECT_EQ(tee_pipe(*input.read_end, *second_output.write_end, 10),
            tee_host(host_input.read_fd, second_host_output.write_fd, 10));
}

TEST(Pipe, BlockedTeeWaitsForData) {
  PipeEnds input = make_pipe();
  PipeEnds output = make_pipe();
  long count = 0;

  TestThread copier([&] { count = tee_pipe(*input.read_end, *output.write_end, 100); });
  await_sleepers(1);
  ASSERT_EQ(write_pipe(*input.write_end, 42), 42);

  ASSERT_TRUE(copier.join_within());
  EXPECT_EQ(count, 42);
  EXPECT_EQ(output.read_end->bytes_available().value_or(0), 42U);
  EXPECT_EQ(input.read_end->bytes_available().value_or(0), 42U);
}

// fill_slots gives each call of the filler a slot of its own and stops when
// the pipe is full.
TEST(Pipe, FillSlotsUsesOneSlotPerPiece) {
  PipeEnds ends = make_pipe(fd::open_non_blocking);
  ASSERT_EQ(ends.write_end->pipe().set_capacity(8192).value_or(0), 8192U);
  size_t calls = 0;
  auto fill_ten = [&](std::span<std::byte> slot) {
    ++calls;
    std::fill_n(slot.begin(), 10, std::byte{'v'});
    return size_t{10};
  };

  EXPECT_EQ(outcome(ends.write_end->fill_slots(fill_ten, true)), 20);
  EXPECT_EQ(calls, 2U);
  EXPECT_EQ(outcome(ends.write_end->fill_slots(fill_ten, true)), -EAGAIN);
  EXPECT_EQ(write_pipe(*ends.write_end, 1), -EAGAIN);
  EXPECT_EQ(outcome(ends.read_end->fill_slots(fill_ten, true)), -EBADF);
}

// take_slots consumes only what the taker accepts.
TEST(Pipe, TakeSlotsConsumesWhatIsTaken) {
  PipeEnds ends = make_pipe(fd::open_non_blocking);
  ASSERT_EQ(write_pipe(*ends.write_end, 100), 100);
  auto take_thirty = [](std::span<const std::byte> data) {
    return std::min<size_t>(data.size(), 30);
  };

  EXPECT_EQ(outcome(ends.read_end->take_slots(take_thirty, 1000, true)), 30);
  EXPECT_EQ(ends.read_end->bytes_available().value_or(0), 70U);
  EXPECT_EQ(outcome(ends.read_end->take_slots(take_thirty, 20, true)), 20);
  EXPECT_EQ(ends.read_end->bytes_available().value_or(0), 50U);
  ASSERT_EQ(read_pipe(*ends.read_end, 50), 50);
  EXPECT_EQ(outcome(ends.read_end->take_slots(take_thirty, 10, true)), -EAGAIN);
  EXPECT_EQ(outcome(ends.write_end->take_slots(take_thirty, 10, true)), -EBADF);
}

}  // namespace
}  // namespace litebox::ipc
