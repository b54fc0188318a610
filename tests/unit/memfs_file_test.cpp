// memfs regular files: sparse data, truncate, link counts, inode numbers,
// limits and timestamps, and small files, which keep their data in one heap
// block until they are mapped, grow past half a page or are fallocated.
// Sizes and block counts are compared with a tmpfs mounted on the host.
#include <fcntl.h>

#include <cstring>
#include <limits>
#include <set>

#include "litebox/fd/open_flags.hpp"
#include "litebox/fs/memfs.hpp"
#include "memory_inode.hpp"
#include "test_platform.hpp"
#include "vfs_test_support.hpp"

namespace litebox::testing {
namespace {

// Writes `data` at `offset` of `path` in the sandbox and natively.
void write_both(Dual& d, const std::string& path, uint64_t offset, const std::string& data) {
  auto file = d.vfs().open(d.context(), d.cwd(), path, O_CREAT | O_WRONLY, 0644);
  ASSERT_TRUE(file);
  auto written = (*file)->pwrite(offset, std::as_bytes(std::span(data)));
  ASSERT_TRUE(written);
  EXPECT_EQ(*written, data.size());

  int fd = ::openat(d.native_fd(), path.c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset)),
            static_cast<ssize_t>(data.size()));
  ::close(fd);
}

std::string read_sandbox(Dual& d, const std::string& path) {
  auto file = d.vfs().open(d.context(), d.cwd(), path, O_RDONLY, 0);
  EXPECT_TRUE(file);
  if (!file) {
    return {};
  }
  std::string content(1 << 16, '\0');
  auto count = (*file)->read(std::as_writable_bytes(std::span(content)));
  content.resize(count.value_or(0));
  return content;
}

std::string read_native(Dual& d, const std::string& path) {
  std::string content(1 << 16, '\0');
  int fd = ::openat(d.native_fd(), path.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0);
  ssize_t count = ::read(fd, content.data(), content.size());
  ::close(fd);
  content.resize(count > 0 ? static_cast<size_t>(count) : 0);
  return content;
}

void expect_same_size_and_blocks(Dual& d, const std::string& path) {
  auto [sandbox, native] = d.stat_both(path);
  EXPECT_EQ(sandbox.size, native.st_size) << path;
  EXPECT_EQ(sandbox.blocks, native.st_blocks) << path;
  EXPECT_EQ(sandbox.block_size, native.st_blksize) << path;
}

TEST(MemfsFile, SparseWriteLeavesHole) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;

  write_both(d, "tmp/sparse", 3 * 4096 + 5, "x");
  expect_same_size_and_blocks(d, "tmp/sparse");

  std::string content = read_sandbox(d, "tmp/sparse");
  EXPECT_EQ(content, read_native(d, "tmp/sparse"));
  EXPECT_EQ(content, std::string(3 * 4096 + 5, '\0') + "x");
}

TEST(MemfsFile, WriteAcrossPageBoundary) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;

  write_both(d, "tmp/file", 4090, std::string(20, 'a'));
  write_both(d, "tmp/file", 0, "head");
  expect_same_size_and_blocks(d, "tmp/file");
  EXPECT_EQ(read_sandbox(d, "tmp/file"), read_native(d, "tmp/file"));
}

TEST(MemfsFile, TruncateShrinksAndGrowsWithHole) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  write_both(d, "tmp/file", 0, std::string(3 * 4096, 'a'));

  ASSERT_EQ(d.truncate("tmp/file", 5000), 0);
  expect_same_size_and_blocks(d, "tmp/file");
  ASSERT_EQ(d.truncate("tmp/file", 40000), 0);
  expect_same_size_and_blocks(d, "tmp/file");

  std::string content = read_sandbox(d, "tmp/file");
  EXPECT_EQ(content, read_native(d, "tmp/file"));
  EXPECT_EQ(content, std::string(5000, 'a') + std::string(35000, '\0'));
}

TEST(MemfsFile, ReadPastEndReturnsZero) {
  auto file_system = fs::memfs::create();
  auto file = file_system->root()->create("f", fs::FileType::regular, 0644, 0, 0, 0);
  ASSERT_TRUE(file);
  std::string data = "abc";
  ASSERT_TRUE((*file)->write(0, std::as_bytes(std::span(data))));

  std::byte buffer[8];
  auto at_end = (*file)->read(3, buffer);
  ASSERT_TRUE(at_end);
  EXPECT_EQ(*at_end, 0u);
  auto past_end = (*file)->read(100, buffer);
  ASSERT_TRUE(past_end);
  EXPECT_EQ(*past_end, 0u);
  auto partial = (*file)->read(1, buffer);
  ASSERT_TRUE(partial);
  EXPECT_EQ(*partial, 2u);
}

TEST(MemfsFile, WriteEndingPastMaxOffsetIsEinval) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  auto file = d.vfs().open(d.context(), d.cwd(), "tmp/f", O_CREAT | O_WRONLY, 0644);
  ASSERT_TRUE(file);
  int fd = ::openat(d.native_fd(), "tmp/f", O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  std::string data = "abc";

  for (off_t offset : {std::numeric_limits<off_t>::max(), std::numeric_limits<off_t>::max() - 2}) {
    int native = native_errno(::pwrite(fd, data.data(), data.size(), offset));
    auto written = (*file)->pwrite(static_cast<uint64_t>(offset), std::as_bytes(std::span(data)));
    EXPECT_EQ(errno_of(written), native) << "offset " << offset;
  }
  ::close(fd);
}

TEST(MemfsFile, SizeLimitIsEnospc) {
  auto file_system = fs::memfs::create(fs::memfs::Options{.max_pages = 2});
  auto file = file_system->root()->create("f", fs::FileType::regular, 0644, 0, 0, 0);
  ASSERT_TRUE(file);
  std::string data(3 * 4096, 'z');

  auto partial = (*file)->write(0, std::as_bytes(std::span(data)));
  ASSERT_TRUE(partial);
  EXPECT_EQ(*partial, 2u * 4096);
  EXPECT_EQ(errno_of((*file)->write(2 * 4096, std::as_bytes(std::span(data)))), ENOSPC);

  fs::FileSystemStat usage = file_system->stat_file_system();
  EXPECT_EQ(usage.blocks, 2u);
  EXPECT_EQ(usage.free_blocks, 0u);

  fs::AttributeChange shrink;
  shrink.size = 0;
  ASSERT_TRUE((*file)->change_attributes(shrink));
  EXPECT_EQ(file_system->stat_file_system().free_blocks, 2u);
}

TEST(MemfsFile, StatFileSystemIsTmpfs) {
  auto file_system = fs::memfs::create();
  fs::FileSystemStat usage = file_system->stat_file_system();
  EXPECT_EQ(usage.type, 0x01021994u);
  EXPECT_EQ(usage.name_max, 255u);
  EXPECT_EQ(file_system->type_name(), "tmpfs");
  EXPECT_FALSE(file_system->read_only());
}

TEST(MemfsFile, InodeNumbersAreUnique) {
  auto file_system = fs::memfs::create();
  std::shared_ptr<fs::Inode> root = file_system->root();
  std::set<uint64_t> numbers;
  numbers.insert(root->stat()->inode);
  for (int i = 0; i < 100; ++i) {
    auto file = root->create("f" + std::to_string(i), fs::FileType::regular, 0644, 0, 0, 0);
    ASSERT_TRUE(file);
    numbers.insert((*file)->stat()->inode);
  }
  EXPECT_EQ(numbers.size(), 101u);

  auto other = fs::memfs::create();
  EXPECT_NE(other->device(), file_system->device());
  EXPECT_EQ(root->stat()->device, file_system->device());
}

TEST(MemfsFile, HardLinksShareInode) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  write_both(d, "tmp/file", 0, "shared");
  ASSERT_EQ(d.link("tmp/file", "tmp/other"), 0);

  auto [sandbox_file, native_file] = d.stat_both("tmp/file");
  auto [sandbox_other, native_other] = d.stat_both("tmp/other");
  EXPECT_EQ(sandbox_file.link_count, native_file.st_nlink);
  EXPECT_EQ(sandbox_file.inode, sandbox_other.inode);
  EXPECT_EQ(read_sandbox(d, "tmp/other"), "shared");

  ASSERT_EQ(d.unlink("tmp/file"), 0);
  auto [sandbox_after, native_after] = d.stat_both("tmp/other");
  EXPECT_EQ(sandbox_after.link_count, native_after.st_nlink);
}

constexpr uint64_t page_size = 4096;

// Checks that size, block count and contents of `path` match the native
// file; `step` names the point of the test in a failure.
void expect_same_file(Dual& d, const std::string& path, const std::string& step) {
  auto [sandbox, native] = d.stat_both(path);
  EXPECT_EQ(sandbox.size, native.st_size) << step;
  EXPECT_EQ(sandbox.blocks, native.st_blocks) << step;
  EXPECT_EQ(read_sandbox(d, path), read_native(d, path)) << step;
}

std::shared_ptr<fs::Inode> create_memfs_file(fs::FileSystem& file_system, const std::string& name) {
  auto file = file_system.root()->create(name, fs::FileType::regular, 0644, 0, 0, 0);
  EXPECT_TRUE(file);
  return file.value_or(nullptr);
}

std::string read_inode(fs::Inode& inode, uint64_t offset, size_t length) {
  std::string content(length, '\0');
  auto count = inode.read(offset, std::as_writable_bytes(std::span(content)));
  content.resize(count.value_or(0));
  return content;
}

TEST(MemfsSmallFile, SmallWriteMatchesTmpfs) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;

  write_both(d, "tmp/small", 0, std::string(92, 's'));

  expect_same_file(d, "tmp/small", "92 bytes");
}

TEST(MemfsSmallFile, AppendsGrowPastHalfPage) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;

  for (uint64_t offset = 0; offset < 6000; offset += 300) {
    write_both(d, "tmp/log", offset, std::string(300, static_cast<char>('a' + offset / 300)));
    expect_same_file(d, "tmp/log", "after " + std::to_string(offset + 300) + " bytes");
  }
}

TEST(MemfsSmallFile, WriteOverHoleFromTruncate) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  write_both(d, "tmp/hole", 0, "");
  ASSERT_EQ(d.truncate("tmp/hole", 1000), 0);

  write_both(d, "tmp/hole", 10, "x");

  expect_same_file(d, "tmp/hole", "write inside the hole");
  EXPECT_EQ(read_sandbox(d, "tmp/hole"), std::string(10, '\0') + "x" + std::string(989, '\0'));
}

TEST(MemfsSmallFile, TruncateShrinksGrowsAndEmpties) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  write_both(d, "tmp/file", 0, std::string(1000, 'a'));

  ASSERT_EQ(d.truncate("tmp/file", 10), 0);
  expect_same_file(d, "tmp/file", "shrunk to 10");
  ASSERT_EQ(d.truncate("tmp/file", 1500), 0);
  expect_same_file(d, "tmp/file", "grown to 1500");
  EXPECT_EQ(read_sandbox(d, "tmp/file"), std::string(10, 'a') + std::string(1490, '\0'));
  ASSERT_EQ(d.truncate("tmp/file", 3 * page_size), 0);
  expect_same_file(d, "tmp/file", "grown past half a page");
  ASSERT_EQ(d.truncate("tmp/file", 0), 0);
  expect_same_file(d, "tmp/file", "emptied");
}

TEST(MemfsSmallFile, PunchHoleZeroesBytes) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  write_both(d, "tmp/punched", 0, std::string(100, 'p'));
  auto file = d.vfs().open(d.context(), d.cwd(), "tmp/punched", O_RDWR, 0);
  ASSERT_TRUE(file);
  int fd = ::openat(d.native_fd(), "tmp/punched", O_RDWR);
  ASSERT_GE(fd, 0);

  ASSERT_TRUE((*file)->inode()->allocate(10, 20, fs::Inode::AllocateMode::punch_hole));
  ASSERT_EQ(::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 10, 20), 0);
  ::close(fd);

  expect_same_file(d, "tmp/punched", "punched [10, 30)");
}

TEST(MemfsSmallFile, FallocateKeepsContents) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  write_both(d, "tmp/allocated", 0, "data");
  auto file = d.vfs().open(d.context(), d.cwd(), "tmp/allocated", O_RDWR, 0);
  ASSERT_TRUE(file);
  int fd = ::openat(d.native_fd(), "tmp/allocated", O_RDWR);
  ASSERT_GE(fd, 0);

  ASSERT_TRUE((*file)->inode()->allocate(0, 2 * page_size, fs::Inode::AllocateMode::allocate));
  ASSERT_EQ(::fallocate(fd, 0, 0, 2 * page_size), 0);
  ::close(fd);

  expect_same_file(d, "tmp/allocated", "allocated two pages");
}

TEST(MemfsSmallFile, SharedPageHoldsInlineData) {
  auto file_system = fs::memfs::create();
  auto inode = create_memfs_file(*file_system, "mapped");
  ASSERT_TRUE(inode->write(0, bytes_of("inline")));

  mm::PageRuns runs = inode->share_pages(0, page_size).value();
  ASSERT_TRUE(inode->write(2, bytes_of("LI")));

  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(std::memcmp(runs[0].data(), "inLIne\0", 7), 0);
  EXPECT_EQ(read_inode(*inode, 0, 16), "inLIne");
  EXPECT_EQ(inode->stat().value().blocks, 8);
}

TEST(MemfsSmallFile, InlineDataCountsOnePage) {
  auto file_system = fs::memfs::create(fs::memfs::Options{.max_pages = 1});
  auto first = create_memfs_file(*file_system, "first");
  auto second = create_memfs_file(*file_system, "second");

  ASSERT_TRUE(first->write(0, bytes_of("one")));
  EXPECT_EQ(errno_of(second->write(0, bytes_of("two"))), ENOSPC);
  EXPECT_EQ(file_system->stat_file_system().free_blocks, 0u);

  // Moving the data to a page needs no second page of the limit.
  ASSERT_TRUE(first->share_pages(0, page_size));
  EXPECT_EQ(read_inode(*first, 0, 8), "one");

  fs::AttributeChange empty;
  empty.size = 0;
  ASSERT_TRUE(first->change_attributes(empty));
  EXPECT_EQ(file_system->stat_file_system().free_blocks, 1u);
  ASSERT_TRUE(second->write(0, bytes_of("two")));
}

// Timestamps follow the mock clock, which moves only when a test advances it.
class MemfsTimes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto file = root_->create("file", fs::FileType::regular, 0644, 0, 0, 0);
    ASSERT_TRUE(file);
    file_ = *file;
  }

  fs::Stat advance_and_stat(const std::shared_ptr<fs::Inode>& inode) {
    mock_platform().advance(std::chrono::seconds(1));
    return *inode->stat();
  }

  std::shared_ptr<fs::FileSystem> file_system_ = fs::memfs::create();
  std::shared_ptr<fs::Inode> root_ = file_system_->root();
  std::shared_ptr<fs::Inode> file_;
};

TEST_F(MemfsTimes, NewFileTimesAreNow) {
  fs::Stat status = *file_->stat();
  platform::Timespec now = mock_platform().realtime_now();
  EXPECT_EQ(status.access_time, now);
  EXPECT_EQ(status.modify_time, now);
  EXPECT_EQ(status.change_time, now);
}

TEST_F(MemfsTimes, WriteUpdatesModifyAndChange) {
  fs::Stat before = advance_and_stat(file_);
  std::string data = "x";
  ASSERT_TRUE(file_->write(0, std::as_bytes(std::span(data))));

  fs::Stat after = *file_->stat();
  EXPECT_GT(after.modify_time, before.modify_time);
  EXPECT_GT(after.change_time, before.change_time);
  EXPECT_EQ(after.access_time, before.access_time);
}

TEST_F(MemfsTimes, ChmodUpdatesChangeOnly) {
  fs::Stat before = advance_and_stat(file_);
  fs::AttributeChange change;
  change.permissions = 0600;
  ASSERT_TRUE(file_->change_attributes(change));

  fs::Stat after = *file_->stat();
  EXPECT_GT(after.change_time, before.change_time);
  EXPECT_EQ(after.modify_time, before.modify_time);
  EXPECT_EQ(after.mode & 07777, 0600u);
}

TEST_F(MemfsTimes, ReadUpdatesAccessAsRelatime) {
  std::string data = "x";
  ASSERT_TRUE(file_->write(0, std::as_bytes(std::span(data))));
  fs::Stat before = advance_and_stat(file_);
  std::byte buffer[1];
  ASSERT_TRUE(file_->read(0, buffer));

  fs::Stat after_first = advance_and_stat(file_);
  EXPECT_GT(after_first.access_time, before.access_time);

  // relatime: the access time is newer than modify and change now, so a
  // second read within a day leaves it alone.
  ASSERT_TRUE(file_->read(0, buffer));
  fs::Stat after_second = *file_->stat();
  EXPECT_EQ(after_second.access_time, after_first.access_time);
}

TEST_F(MemfsTimes, TruncateUpdatesModifyAndChange) {
  fs::Stat before = advance_and_stat(file_);
  fs::AttributeChange change;
  change.size = 100;
  ASSERT_TRUE(file_->change_attributes(change));

  fs::Stat after = *file_->stat();
  EXPECT_GT(after.modify_time, before.modify_time);
  EXPECT_GT(after.change_time, before.change_time);
  EXPECT_EQ(after.size, 100);
}

TEST_F(MemfsTimes, SetTimesStoresValuesAndUpdatesChange) {
  fs::Stat before = advance_and_stat(file_);
  fs::AttributeChange change;
  change.access_time = fs::Timespec{5, 6};
  change.modify_time = fs::Timespec{7, 8};
  ASSERT_TRUE(file_->change_attributes(change));

  fs::Stat after = *file_->stat();
  EXPECT_EQ(after.access_time, (fs::Timespec{5, 6}));
  EXPECT_EQ(after.modify_time, (fs::Timespec{7, 8}));
  EXPECT_GT(after.change_time, before.change_time);
}

TEST_F(MemfsTimes, LinkAndUnlinkUpdateDirectoryAndInode) {
  fs::Stat root_before = advance_and_stat(root_);
  fs::Stat file_before = *file_->stat();
  ASSERT_TRUE(root_->link("other", file_));

  fs::Stat root_linked = *root_->stat();
  fs::Stat file_linked = *file_->stat();
  EXPECT_GT(root_linked.modify_time, root_before.modify_time);
  EXPECT_GT(file_linked.change_time, file_before.change_time);
  EXPECT_EQ(file_linked.modify_time, file_before.modify_time);
  EXPECT_EQ(file_linked.link_count, 2u);

  advance_and_stat(root_);
  ASSERT_TRUE(root_->unlink("other"));
  fs::Stat root_unlinked = *root_->stat();
  fs::Stat file_unlinked = *file_->stat();
  EXPECT_GT(root_unlinked.modify_time, root_linked.modify_time);
  EXPECT_GT(file_unlinked.change_time, file_linked.change_time);
  EXPECT_EQ(file_unlinked.link_count, 1u);
}

}  // namespace
}  // namespace litebox::testing
