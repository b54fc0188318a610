// openat(2) flag handling, each case compared with the host kernel.
#include "litebox/fd/open_flags.hpp"
#include "vfs_test_support.hpp"

namespace litebox::testing {
namespace {

std::string read_all(fd::File& file) {
  std::string content(64, '\0');
  auto count = file.pread(0, std::as_writable_bytes(std::span(content)));
  content.resize(count.value_or(0));
  return content;
}

TEST(VfsOpen, CreateMakesRegularFileWithUmask) {
  Dual d;
  d.context().umask = 027;
  ::umask(027);
  EXPECT_EQ(d.open("new", O_CREAT | O_WRONLY, 0777), 0);

  auto [sandbox, native] = d.stat_both("new");
  EXPECT_EQ(sandbox.mode, native.st_mode);
  EXPECT_EQ(sandbox.size, native.st_size);
  EXPECT_EQ(sandbox.link_count, native.st_nlink);
}

TEST(VfsOpen, MissingFileWithoutCreateIsEnoent) {
  Dual d;
  EXPECT_EQ(d.open("missing", O_RDONLY), ENOENT);
  EXPECT_EQ(d.open("missing/x", O_CREAT | O_RDWR), ENOENT);
}

TEST(VfsOpen, ExclusiveFailsOnExistingName) {
  Dual d;
  ASSERT_EQ(d.create_file("file"), 0);
  ASSERT_EQ(d.symlink("file", "link"), 0);
  ASSERT_EQ(d.symlink("missing", "dangling"), 0);
  ASSERT_EQ(d.mkdir("dir"), 0);

  EXPECT_EQ(d.open("file", O_CREAT | O_EXCL | O_RDWR), EEXIST);
  EXPECT_EQ(d.open("link", O_CREAT | O_EXCL | O_RDWR), EEXIST);
  EXPECT_EQ(d.open("dangling", O_CREAT | O_EXCL | O_RDWR), EEXIST);
  EXPECT_EQ(d.open("dir", O_CREAT | O_EXCL | O_RDONLY), EEXIST);
  EXPECT_EQ(d.open(".", O_CREAT | O_EXCL | O_RDONLY), EEXIST);
  EXPECT_EQ(d.open("fresh", O_CREAT | O_EXCL | O_RDWR), 0);
}

TEST(VfsOpen, CreateThroughDanglingSymlinkMakesTarget) {
  Dual d;
  ASSERT_EQ(d.mkdir("dir"), 0);
  ASSERT_EQ(d.symlink("dir/target", "dangling"), 0);

  EXPECT_EQ(d.open("dangling", O_CREAT | O_WRONLY), 0);
  EXPECT_EQ(d.stat("dir/target"), 0);
}

TEST(VfsOpen, CreateOnDirectoryIsEisdir) {
  Dual d;
  ASSERT_EQ(d.mkdir("dir"), 0);

  EXPECT_EQ(d.open("dir", O_CREAT | O_RDONLY), EISDIR);
  EXPECT_EQ(d.open(".", O_CREAT | O_RDONLY), EISDIR);
  EXPECT_EQ(d.open("/", O_CREAT | O_RDONLY), EISDIR);
  EXPECT_EQ(d.open("dir", O_CREAT | O_DIRECTORY | O_RDONLY), EINVAL);
}

TEST(VfsOpen, TruncateEmptiesFile) {
  Dual d;
  ASSERT_EQ(d.create_file("file", "contents"), 0);

  EXPECT_EQ(d.open("file", O_WRONLY | O_TRUNC), 0);
  auto [sandbox, native] = d.stat_both("file");
  EXPECT_EQ(sandbox.size, native.st_size);
  EXPECT_EQ(sandbox.size, 0);
}

TEST(VfsOpen, DirectoryFlagRequiresDirectory) {
  Dual d;
  ASSERT_EQ(d.create_file("file"), 0);
  ASSERT_EQ(d.mkdir("dir"), 0);
  ASSERT_EQ(d.symlink("dir", "link_to_dir"), 0);

  EXPECT_EQ(d.open("file", O_DIRECTORY | O_RDONLY), ENOTDIR);
  EXPECT_EQ(d.open("dir", O_DIRECTORY | O_RDONLY), 0);
  EXPECT_EQ(d.open("link_to_dir", O_DIRECTORY | O_RDONLY), 0);
  EXPECT_EQ(d.open("link_to_dir", O_DIRECTORY | O_NOFOLLOW | O_RDONLY), ENOTDIR);
}

TEST(VfsOpen, NoFollowOnFinalSymlinkIsEloop) {
  Dual d;
  ASSERT_EQ(d.create_file("file"), 0);
  ASSERT_EQ(d.symlink("file", "link"), 0);
  ASSERT_EQ(d.mkdir("dir"), 0);
  ASSERT_EQ(d.symlink("dir", "dirlink"), 0);

  EXPECT_EQ(d.open("link", O_NOFOLLOW | O_RDONLY), ELOOP);
  EXPECT_EQ(d.open("link", O_NOFOLLOW | O_CREAT | O_RDWR), ELOOP);
  EXPECT_EQ(d.open("dirlink/", O_NOFOLLOW | O_RDONLY), 0);
  EXPECT_EQ(d.open("file", O_NOFOLLOW | O_RDONLY), 0);
}

TEST(VfsOpen, WritableDirectoryIsEisdir) {
  Dual d;
  ASSERT_EQ(d.mkdir("dir"), 0);

  EXPECT_EQ(d.open("dir", O_WRONLY), EISDIR);
  EXPECT_EQ(d.open("dir", O_RDWR), EISDIR);
  EXPECT_EQ(d.open("dir", O_RDONLY | O_TRUNC), EISDIR);
  EXPECT_EQ(d.open("dir", O_RDONLY), 0);
}

TEST(VfsOpen, AccessModeChecksPermissions) {
  Dual d;
  ASSERT_EQ(d.create_file("readonly", "", 0444), 0);
  ASSERT_EQ(d.create_file("writeonly", "", 0222), 0);
  ASSERT_EQ(d.create_file("none", "", 0000), 0);
  ASSERT_EQ(d.mkdir("noread", 0311), 0);

  d.become_user(1000);
  EXPECT_EQ(d.open("readonly", O_RDONLY), 0);
  EXPECT_EQ(d.open("readonly", O_WRONLY), EACCES);
  EXPECT_EQ(d.open("readonly", O_RDWR), EACCES);
  EXPECT_EQ(d.open("readonly", O_RDONLY | O_TRUNC), EACCES);
  EXPECT_EQ(d.open("writeonly", O_WRONLY), 0);
  EXPECT_EQ(d.open("writeonly", O_RDONLY), EACCES);
  EXPECT_EQ(d.open("none", O_RDONLY), EACCES);
  EXPECT_EQ(d.open("none", O_PATH), 0);
  EXPECT_EQ(d.open("noread", O_RDONLY | O_DIRECTORY), EACCES);
  EXPECT_EQ(d.open("new", O_CREAT | O_RDWR), EACCES);

  d.become_root();
  EXPECT_EQ(d.open("none", O_RDWR), 0);
}

TEST(VfsOpen, CreatedFileOpensDespiteItsMode) {
  Dual d;
  ASSERT_EQ(d.mkdir("shared", 0777), 0);

  d.become_user(1000);
  EXPECT_EQ(d.open("shared/new", O_CREAT | O_RDWR, 0000), 0);
  EXPECT_EQ(d.open("shared/new", O_RDWR), EACCES);
}

TEST(VfsOpen, PathDescriptorsIgnoreAccessAndRejectIo) {
  Dual d;
  ASSERT_EQ(d.create_file("file", "data"), 0);
  ASSERT_EQ(d.symlink("file", "link"), 0);

  EXPECT_EQ(d.open("link", O_PATH | O_NOFOLLOW), 0);
  EXPECT_EQ(d.open("file", O_PATH | O_WRONLY | O_TRUNC), 0);

  auto file = d.vfs().open(d.context(), d.cwd(), "file", fd::open_path | fd::open_write_only, 0);
  ASSERT_TRUE(file);
  std::byte buffer[4];
  EXPECT_EQ(errno_of((*file)->read(buffer)), EBADF);
  EXPECT_EQ(errno_of((*file)->write(buffer)), EBADF);
  auto status = (*file)->stat();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->size, 4) << "O_PATH must not truncate";

  auto link = d.vfs().open(d.context(), d.cwd(), "link", fd::open_path | fd::open_no_follow, 0);
  ASSERT_TRUE(link);
  auto link_status = (*link)->stat();
  ASSERT_TRUE(link_status);
  EXPECT_EQ(fs::file_type_of(link_status->mode), fs::FileType::symlink);
}

TEST(VfsOpen, AppendWritesAtEnd) {
  Dual d;
  ASSERT_EQ(d.create_file("file", "abc"), 0);

  auto file = d.vfs().open(d.context(), d.cwd(), "file", O_WRONLY | O_APPEND, 0);
  ASSERT_TRUE(file);
  std::string more = "def";
  ASSERT_TRUE((*file)->write(std::as_bytes(std::span(more))));

  auto reader = d.vfs().open(d.context(), d.cwd(), "file", O_RDONLY, 0);
  ASSERT_TRUE(reader);
  EXPECT_EQ(read_all(**reader), "abcdef");
}

TEST(VfsOpen, WriteAndReadBack) {
  Dual d;
  auto file = d.vfs().open(d.context(), d.cwd(), "file", O_CREAT | O_RDWR, 0644);
  ASSERT_TRUE(file);
  std::string text = "hello";
  auto written = (*file)->write(std::as_bytes(std::span(text)));
  ASSERT_TRUE(written);
  EXPECT_EQ(*written, 5u);
  EXPECT_EQ(read_all(**file), "hello");
}

TEST(VfsOpen, FifoOpensWithoutBlocking) {
  Dual d;
  ASSERT_EQ(d.mknod("fifo", S_IFIFO | 0644), 0);

  // Only opens that cannot wait for a peer: a blocking open would hang.
  EXPECT_EQ(d.open("fifo", O_WRONLY | O_NONBLOCK), ENXIO);
  EXPECT_EQ(d.open("fifo", O_RDONLY | O_NONBLOCK), 0);
  EXPECT_EQ(d.open("fifo", O_RDWR), 0);
  EXPECT_EQ(d.open("fifo", O_RDONLY | O_NONBLOCK | O_TRUNC), 0);
}

TEST(VfsOpen, FifoEndsShareOnePipe) {
  Dual d;
  ASSERT_EQ(d.mknod("fifo", S_IFIFO | 0644), 0);
  auto reader = d.vfs().open(d.context(), d.cwd(), "fifo", O_RDONLY | O_NONBLOCK, 0);
  ASSERT_TRUE(reader);
  auto writer = d.vfs().open(d.context(), d.cwd(), "fifo", O_WRONLY | O_NONBLOCK, 0);
  ASSERT_TRUE(writer);

  std::string message = "through the fifo";
  auto written = (*writer)->write(std::as_bytes(std::span(message)));
  ASSERT_TRUE(written);
  EXPECT_EQ(*written, message.size());
  std::string received(64, '\0');
  auto count = (*reader)->read(std::as_writable_bytes(std::span(received)));
  ASSERT_TRUE(count);
  EXPECT_EQ(received.substr(0, *count), message);
}

TEST(VfsOpen, SocketNodeIsEnxio) {
  Dual d;
  ASSERT_EQ(d.mknod("socket", S_IFSOCK | 0644), 0);
  EXPECT_EQ(d.open("socket", O_RDONLY), ENXIO);
}

}  // namespace
}  // namespace litebox::testing
