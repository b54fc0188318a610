// memfs directories: listing order, stable positions, sizes, and a removed
// directory that is still referenced.
#include <set>

#include "litebox/fs/memfs.hpp"
#include "vfs_test_support.hpp"

namespace litebox::testing {
namespace {

struct Listed {
  std::string name;
  uint64_t next_position;
};

// Lists up to `limit` entries of `directory` from `position`.
std::vector<Listed> list(fs::Inode& directory, uint64_t position, size_t limit = 1000) {
  std::vector<Listed> entries;
  auto result =
      directory.read_directory(position, [&](const fs::DirectoryEntry& entry, uint64_t next) {
        if (entries.size() == limit) {
          return false;
        }
        entries.push_back({entry.name, next});
        return true;
      });
  EXPECT_TRUE(result);
  return entries;
}

std::vector<std::string> names(const std::vector<Listed>& entries) {
  std::vector<std::string> result;
  for (const Listed& entry : entries) {
    result.push_back(entry.name);
  }
  return result;
}

// tmpfs lists the newest entry first.
TEST(MemfsDirectory, ListsDotsThenNewestEntryFirst) {
  auto file_system = fs::memfs::create();
  std::shared_ptr<fs::Inode> root = file_system->root();
  ASSERT_TRUE(root->create("b", fs::FileType::regular, 0644, 0, 0, 0));
  ASSERT_TRUE(root->make_directory("a", 0755, 0, 0));
  ASSERT_TRUE(root->make_symlink("c", "target", 0, 0));

  EXPECT_EQ(names(list(*root, 0)), (std::vector<std::string>{".", "..", "c", "a", "b"}));
}

TEST(MemfsDirectory, EntriesReportInodeAndType) {
  auto file_system = fs::memfs::create();
  std::shared_ptr<fs::Inode> root = file_system->root();
  auto directory = root->make_directory("dir", 0755, 0, 0);
  ASSERT_TRUE(directory);
  auto fifo = root->create("fifo", fs::FileType::fifo, 0644, 0, 0, 0);
  ASSERT_TRUE(fifo);

  std::vector<fs::DirectoryEntry> entries;
  ASSERT_TRUE(root->read_directory(0, [&](const fs::DirectoryEntry& entry, uint64_t) {
    entries.push_back(entry);
    return true;
  }));
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].inode, root->stat()->inode);
  EXPECT_EQ(entries[1].inode, root->stat()->inode);
  EXPECT_EQ(entries[2].type, fs::FileType::fifo);
  EXPECT_EQ(fs::directory_entry_type(entries[2].type), 1);  // DT_FIFO
  EXPECT_EQ(entries[3].inode, (*directory)->stat()->inode);
  EXPECT_EQ(entries[3].type, fs::FileType::directory);
}

TEST(MemfsDirectory, PositionsSurviveConcurrentUnlinks) {
  auto file_system = fs::memfs::create();
  std::shared_ptr<fs::Inode> root = file_system->root();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(root->create("f" + std::to_string(i), fs::FileType::regular, 0644, 0, 0, 0));
  }

  std::vector<Listed> first = list(*root, 0, 5);
  ASSERT_EQ(names(first), (std::vector<std::string>{".", "..", "f9", "f8", "f7"}));

  // Remove one entry already listed and one not yet listed, then add one,
  // which sorts first and so before the listing's place.
  ASSERT_TRUE(root->unlink("f8"));
  ASSERT_TRUE(root->unlink("f4"));
  ASSERT_TRUE(root->create("new", fs::FileType::regular, 0644, 0, 0, 0));

  std::vector<Listed> rest = list(*root, first.back().next_position);
  EXPECT_EQ(names(rest), (std::vector<std::string>{"f6", "f5", "f3", "f2", "f1", "f0"}));
  EXPECT_EQ(names(list(*root, 0, 3)), (std::vector<std::string>{".", "..", "new"}));
}

TEST(MemfsDirectory, ListingLargerThanOneBatch) {
  auto file_system = fs::memfs::create();
  std::shared_ptr<fs::Inode> root = file_system->root();
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(root->create("f" + std::to_string(i), fs::FileType::regular, 0644, 0, 0, 0));
  }

  std::vector<Listed> all = list(*root, 0);
  ASSERT_EQ(all.size(), 302u);
  std::vector<std::string> listed = names(all);
  std::set<std::string> unique(listed.begin(), listed.end());
  EXPECT_EQ(unique.size(), 302u);
}

TEST(MemfsDirectory, SizeAndLinkCountMatchTmpfs) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  ASSERT_EQ(d.mkdir("tmp/dir"), 0);
  ASSERT_EQ(d.create_file("tmp/dir/a"), 0);
  ASSERT_EQ(d.mkdir("tmp/dir/sub"), 0);
  ASSERT_EQ(d.symlink("x", "tmp/dir/link"), 0);

  auto [sandbox, native] = d.stat_both("tmp/dir");
  EXPECT_EQ(sandbox.size, native.st_size);
  EXPECT_EQ(sandbox.link_count, native.st_nlink);
  EXPECT_EQ(sandbox.blocks, native.st_blocks);

  ASSERT_EQ(d.unlink("tmp/dir/a"), 0);
  auto [sandbox_after, native_after] = d.stat_both("tmp/dir");
  EXPECT_EQ(sandbox_after.size, native_after.st_size);
}

TEST(MemfsDirectory, SymlinkBlocksMatchTmpfs) {
  MountedDual m("tmp");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  // tmpfs keeps a target shorter than 128 bytes in the inode.
  for (size_t length : {1, 127, 128, 129, 4000}) {
    SCOPED_TRACE(length);
    std::string path = "tmp/link" + std::to_string(length);
    ASSERT_EQ(d.symlink(std::string(length, 't'), path), 0);

    auto [sandbox, native] = d.stat_both(path, AT_SYMLINK_NOFOLLOW);
    EXPECT_EQ(sandbox.size, native.st_size);
    EXPECT_EQ(sandbox.blocks, native.st_blocks);
    EXPECT_EQ(sandbox.block_size, native.st_blksize);
  }
}

TEST(MemfsDirectory, RemovedDirectoryRejectsNewEntries) {
  Dual d;
  ASSERT_EQ(d.mkdir("gone"), 0);
  auto location = d.vfs().resolve(d.context(), d.cwd(), "gone", 0);
  ASSERT_TRUE(location);
  int native_directory = ::openat(d.native_fd(), "gone", O_DIRECTORY | O_RDONLY);
  ASSERT_GE(native_directory, 0);
  ASSERT_EQ(d.rmdir("gone"), 0);

  auto compare_in_removed = [&](const std::string& what, int sandbox,
                                const std::function<long()>& native_call) {
    return d.compare(what, sandbox, native_call);
  };
  EXPECT_EQ(
      compare_in_removed(
          "create", errno_of(d.vfs().open(d.context(), *location, "f", O_CREAT | O_RDWR, 0644)),
          [&]() -> long {
            int fd = ::openat(native_directory, "f", O_CREAT | O_RDWR, 0644);
            if (fd >= 0) {
              ::close(fd);
            }
            return fd;
          }),
      ENOENT);
  EXPECT_EQ(compare_in_removed("mkdir",
                               errno_of(d.vfs().make_directory(d.context(), *location, "d", 0755)),
                               [&] { return ::mkdirat(native_directory, "d", 0755); }),
            ENOENT);

  auto sandbox = d.vfs().stat(d.context(), *location, "", fs::at_empty_path);
  ASSERT_TRUE(sandbox);
  struct stat native_status {};
  ASSERT_EQ(::fstat(native_directory, &native_status), 0);
  EXPECT_EQ(sandbox->link_count, native_status.st_nlink);
  ::close(native_directory);
}

TEST(MemfsDirectory, RootParentIsItself) {
  auto file_system = fs::memfs::create();
  std::shared_ptr<fs::Inode> root = file_system->root();
  auto parent = root->lookup("..");
  ASSERT_TRUE(parent);
  EXPECT_EQ(parent->get(), root.get());
  EXPECT_EQ(root->stat()->mode, 040000u | 01777u);
}

}  // namespace
}  // namespace litebox::testing
