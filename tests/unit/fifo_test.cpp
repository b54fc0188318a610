// Named fifos: open rules and the pipe shared by every open of one inode.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "litebox/ipc/pipe.hpp"
#include "memory_inode.hpp"
#include "test_platform.hpp"
#include "test_threads.hpp"

namespace litebox::ipc {
namespace {

using litebox::testing::await_sleepers;
using litebox::testing::bytes_of;
using litebox::testing::mock_platform;
using litebox::testing::TestInode;
using litebox::testing::TestThread;

std::shared_ptr<fs::Inode> make_fifo() { return std::make_shared<TestInode>(fs::FileType::fifo); }

// A fifo in a fresh host directory, removed at the end of the test.
class HostFifo {
 public:
  HostFifo() {
    char pattern[] = "/tmp/litebox-fifo-XXXXXX";
    directory_ = ::mkdtemp(pattern);
    path_ = directory_ + "/fifo";
    EXPECT_EQ(::mkfifo(path_.c_str(), 0600), 0);
  }
  ~HostFifo() {
    ::unlink(path_.c_str());
    ::rmdir(directory_.c_str());
  }

  // open(2) of the fifo; returns the fd or a negative errno.
  int open(int flags) const {
    int fd = ::open(path_.c_str(), flags | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
  }

 private:
  std::string directory_;
  std::string path_;
};

int outcome(const Result<std::shared_ptr<fd::File>>& result) {
  return result ? 0 : -errno_value(result.error());
}

TEST(Fifo, NonBlockingWriterWithoutReaderMatchesHost) {
  HostFifo host;
  int expected = host.open(O_WRONLY | O_NONBLOCK);

  auto actual = open_fifo(make_fifo(), fd::open_write_only | fd::open_non_blocking);

  EXPECT_EQ(outcome(actual), expected);
  EXPECT_EQ(expected, -ENXIO);
}

TEST(Fifo, NonBlockingReaderOpensAtOnceMatchesHost) {
  HostFifo host;
  int host_reader = host.open(O_RDONLY | O_NONBLOCK);
  ASSERT_GE(host_reader, 0);
  auto inode = make_fifo();

  auto reader = open_fifo(inode, fd::open_read_only | fd::open_non_blocking);
  ASSERT_TRUE(reader);

  // No writer has been seen yet: no POLLHUP, and a read is end of file.
  pollfd entry{host_reader, POLLIN, 0};
  ASSERT_GE(::poll(&entry, 1, 0), 0);
  EXPECT_EQ((*reader)->poll_events() & (event::pollin | event::poll_always_reported),
            static_cast<uint32_t>(entry.revents));
  char byte = 0;
  std::byte buffer[1];
  EXPECT_EQ((*reader)->read(buffer), static_cast<size_t>(::read(host_reader, &byte, 1)));

  // Once a writer has come and gone, the reader sees the hang-up.
  int host_writer = host.open(O_WRONLY | O_NONBLOCK);
  ASSERT_GE(host_writer, 0);
  ::close(host_writer);
  auto writer = open_fifo(inode, fd::open_write_only | fd::open_non_blocking);
  ASSERT_TRUE(writer);
  writer->reset();
  entry.revents = 0;
  ASSERT_GE(::poll(&entry, 1, 0), 0);
  EXPECT_EQ((*reader)->poll_events() & (event::pollin | event::poll_always_reported),
            static_cast<uint32_t>(entry.revents));
  EXPECT_EQ((*reader)->poll_events(), event::pollhup);
  ::close(host_reader);
}

TEST(Fifo, NonBlockingWriterReachesReader) {
  auto inode = make_fifo();
  auto reader = open_fifo(inode, fd::open_read_only | fd::open_non_blocking);
  ASSERT_TRUE(reader);

  auto writer = open_fifo(inode, fd::open_write_only | fd::open_non_blocking);
  ASSERT_TRUE(writer);
  ASSERT_EQ((*writer)->write(bytes_of("fifo")), 4u);

  std::string received(8, '\0');
  auto count = (*reader)->read(std::as_writable_bytes(std::span(received)));
  ASSERT_TRUE(count);
  EXPECT_EQ(received.substr(0, *count), "fifo");
}

TEST(Fifo, DistinctInodesHaveDistinctPipes) {
  auto first = make_fifo();
  auto second = make_fifo();
  auto first_reader = open_fifo(first, fd::open_read_only | fd::open_non_blocking);
  ASSERT_TRUE(first_reader);

  auto second_writer = open_fifo(second, fd::open_write_only | fd::open_non_blocking);

  ASSERT_FALSE(second_writer);
  EXPECT_EQ(second_writer.error(), Errno::enxio);
}

TEST(Fifo, ReadWriteOpenNeverWaits) {
  auto inode = make_fifo();

  auto both = open_fifo(inode, fd::open_read_write);

  ASSERT_TRUE(both);
  ASSERT_EQ((*both)->write(bytes_of("loop")), 4u);
  EXPECT_EQ((*both)->bytes_available(), 4u);
  EXPECT_EQ((*both)->poll_events(),
            event::pollin | event::pollrdnorm | event::pollout | event::pollwrnorm);
}

TEST(Fifo, StatReportsTheInode) {
  auto inode = make_fifo();
  auto end = open_fifo(inode, fd::open_read_write);
  ASSERT_TRUE(end);

  auto status = (*end)->stat();

  ASSERT_TRUE(status);
  EXPECT_EQ(fs::file_type_of(status->mode), fs::FileType::fifo);
  EXPECT_EQ((*end)->inode(), inode);
}

TEST(Fifo, BlockingReaderWaitsForWriter) {
  auto inode = make_fifo();
  Result<std::shared_ptr<fd::File>> reader = fail(Errno::eio);

  TestThread opener([&] { reader = open_fifo(inode, fd::open_read_only); });
  await_sleepers(1);
  EXPECT_FALSE(opener.finished());
  // The reader already counts, so this writer does not wait.
  auto writer = open_fifo(inode, fd::open_write_only | fd::open_non_blocking);
  ASSERT_TRUE(writer);

  ASSERT_TRUE(opener.join_within());
  EXPECT_TRUE(reader);
}

TEST(Fifo, BlockingWriterWaitsForReader) {
  auto inode = make_fifo();
  Result<std::shared_ptr<fd::File>> writer = fail(Errno::eio);

  TestThread opener([&] { writer = open_fifo(inode, fd::open_write_only); });
  await_sleepers(1);
  EXPECT_FALSE(opener.finished());
  auto reader = open_fifo(inode, fd::open_read_only | fd::open_non_blocking);
  ASSERT_TRUE(reader);

  ASSERT_TRUE(opener.join_within());
  ASSERT_TRUE(writer);
  ASSERT_EQ((*writer)->write(bytes_of("x")), 1u);
  EXPECT_EQ((*reader)->bytes_available(), 1u);
}

TEST(Fifo, InterruptedOpenLeavesNoReader) {
  auto inode = make_fifo();
  Result<std::shared_ptr<fd::File>> reader = fail(Errno::eio);

  TestThread opener([&] { reader = open_fifo(inode, fd::open_read_only); });
  await_sleepers(1);
  mock_platform().interrupt(opener.id());

  ASSERT_TRUE(opener.join_within());
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error(), Errno::eintr);
  auto writer = open_fifo(inode, fd::open_write_only | fd::open_non_blocking);
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error(), Errno::enxio);
}

TEST(Fifo, ContentsDroppedWhenLastEndCloses) {
  auto inode = make_fifo();
  {
    auto both = open_fifo(inode, fd::open_read_write);
    ASSERT_TRUE(both);
    ASSERT_EQ((*both)->write(bytes_of("stale")), 5u);
  }

  auto reopened = open_fifo(inode, fd::open_read_write);

  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->bytes_available(), 0u);
}

}  // namespace
}  // namespace litebox::ipc
