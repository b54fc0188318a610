// Which timestamps each operation updates, compared with a tmpfs mounted on
// the host. Each case first sets the access and modification times of the
// observed inode far into the past, then checks which of them moved.
#include <dirent.h>

#include "vfs_test_support.hpp"

namespace litebox::testing {
namespace {

constexpr time_t past_seconds = 1000;

struct Moved {
  bool access = false;
  bool modify = false;

  friend bool operator==(const Moved&, const Moved&) = default;
};

std::ostream& operator<<(std::ostream& out, const Moved& moved) {
  return out << "{access " << moved.access << ", modify " << moved.modify << "}";
}

class MemfsTimestamps : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!m_.native_mounted()) {
      GTEST_SKIP() << "mounting tmpfs on the host failed";
    }
    ASSERT_EQ(d().create_file("tmp/file", "content"), 0);
    ASSERT_EQ(d().mkdir("tmp/dir"), 0);
    ASSERT_EQ(d().create_file("tmp/dir/entry"), 0);
    ASSERT_EQ(d().symlink("file", "tmp/link"), 0);
  }

  Dual& d() { return m_.d; }

  void set_past_times(const std::string& path) {
    fs::AttributeChange change;
    change.access_time = fs::Timespec{past_seconds, 0};
    change.modify_time = fs::Timespec{past_seconds, 0};
    ASSERT_TRUE(d().vfs().change_attributes(d().context(), d().cwd(), path, fs::at_symlink_nofollow,
                                            change));
    struct timespec times[2] = {{past_seconds, 0}, {past_seconds, 0}};
    ASSERT_EQ(::utimensat(d().native_fd(), path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
  }

  // Runs `operation` after setting the times of `observed`, and expects the
  // same times to move in the sandbox and natively. Returns the native result.
  Moved expect_same_moves(const std::string& observed, const std::function<void()>& operation) {
    set_past_times(observed);
    operation();

    auto [sandbox, native] = d().stat_both(observed, AT_SYMLINK_NOFOLLOW);
    Moved sandbox_moved{sandbox.access_time.seconds != past_seconds,
                        sandbox.modify_time.seconds != past_seconds};
    Moved native_moved{native.st_atim.tv_sec != past_seconds,
                       native.st_mtim.tv_sec != past_seconds};
    EXPECT_EQ(sandbox_moved, native_moved) << observed;
    return native_moved;
  }

  void read_both(const std::string& path) {
    auto file = d().vfs().open(d().context(), d().cwd(), path, O_RDONLY, 0);
    ASSERT_TRUE(file);
    std::byte buffer[4];
    ASSERT_TRUE((*file)->read(buffer));

    int fd = ::openat(d().native_fd(), path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    char native_buffer[4];
    ASSERT_GE(::read(fd, native_buffer, sizeof native_buffer), 0);
    ::close(fd);
  }

  void append_both(const std::string& path) {
    auto file = d().vfs().open(d().context(), d().cwd(), path, O_WRONLY | O_APPEND, 0);
    ASSERT_TRUE(file);
    std::byte byte{'x'};
    ASSERT_TRUE((*file)->write(std::span(&byte, 1)));

    int fd = ::openat(d().native_fd(), path.c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "x", 1), 1);
    ::close(fd);
  }

  void list_both(const std::string& path) {
    auto directory = d().vfs().open(d().context(), d().cwd(), path, O_RDONLY | O_DIRECTORY, 0);
    ASSERT_TRUE(directory);
    ASSERT_TRUE(
        (*directory)->read_directory([](const fs::DirectoryEntry&, uint64_t) { return true; }));

    int fd = ::openat(d().native_fd(), path.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(fd, 0);
    char buffer[4096];
    ASSERT_GE(::syscall(SYS_getdents64, fd, buffer, sizeof buffer), 0);
    ::close(fd);
  }

 private:
  MountedDual m_{"tmp"};
};

TEST_F(MemfsTimestamps, WriteMovesModifyOnly) {
  EXPECT_EQ(expect_same_moves("tmp/file", [&] { append_both("tmp/file"); }),
            (Moved{.access = false, .modify = true}));
}

TEST_F(MemfsTimestamps, ReadMovesAccessOnly) {
  EXPECT_EQ(expect_same_moves("tmp/file", [&] { read_both("tmp/file"); }),
            (Moved{.access = true, .modify = false}));
}

TEST_F(MemfsTimestamps, ChmodMovesNeither) {
  EXPECT_EQ(expect_same_moves("tmp/file", [&] { EXPECT_EQ(d().chmod("tmp/file", 0600), 0); }),
            (Moved{}));
}

TEST_F(MemfsTimestamps, TruncateMovesModify) {
  EXPECT_EQ(expect_same_moves("tmp/file", [&] { EXPECT_EQ(d().truncate("tmp/file", 2), 0); }),
            (Moved{.access = false, .modify = true}));
}

TEST_F(MemfsTimestamps, OpenWithTruncateMovesModify) {
  EXPECT_EQ(expect_same_moves("tmp/file",
                              [&] { EXPECT_EQ(d().open("tmp/file", O_WRONLY | O_TRUNC), 0); }),
            (Moved{.access = false, .modify = true}));
}

TEST_F(MemfsTimestamps, DirectoryChangesMoveItsModify) {
  EXPECT_EQ(expect_same_moves("tmp/dir", [&] { EXPECT_EQ(d().create_file("tmp/dir/new"), 0); }),
            (Moved{.access = false, .modify = true}));
  EXPECT_EQ(expect_same_moves("tmp/dir", [&] { EXPECT_EQ(d().unlink("tmp/dir/new"), 0); }),
            (Moved{.access = false, .modify = true}));
  EXPECT_EQ(expect_same_moves("tmp/dir",
                              [&] { EXPECT_EQ(d().rename("tmp/dir/entry", "tmp/dir/moved"), 0); }),
            (Moved{.access = false, .modify = true}));
  EXPECT_EQ(
      expect_same_moves("tmp/dir", [&] { EXPECT_EQ(d().link("tmp/file", "tmp/dir/hard"), 0); }),
      (Moved{.access = false, .modify = true}));
  EXPECT_EQ(expect_same_moves("tmp/dir", [&] { EXPECT_EQ(d().mkdir("tmp/dir/sub"), 0); }),
            (Moved{.access = false, .modify = true}));
}

TEST_F(MemfsTimestamps, LinkingMovesNeitherOnTheFile) {
  EXPECT_EQ(expect_same_moves("tmp/file", [&] { EXPECT_EQ(d().link("tmp/file", "tmp/other"), 0); }),
            (Moved{}));
}

TEST_F(MemfsTimestamps, ListingMovesDirectoryAccess) {
  EXPECT_EQ(expect_same_moves("tmp/dir", [&] { list_both("tmp/dir"); }),
            (Moved{.access = true, .modify = false}));
}

TEST_F(MemfsTimestamps, ReadLinkMovesSymlinkAccess) {
  EXPECT_EQ(expect_same_moves("tmp/link", [&] { EXPECT_EQ(d().read_link("tmp/link"), 0); }),
            (Moved{.access = true, .modify = false}));
}

TEST_F(MemfsTimestamps, LookupMovesNeither) {
  EXPECT_EQ(expect_same_moves("tmp/dir", [&] { EXPECT_EQ(d().stat("tmp/dir/entry"), 0); }),
            (Moved{}));
}

}  // namespace
}  // namespace litebox::testing
