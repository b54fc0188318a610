// mkdir, mknod, symlink, link, unlink, rmdir and rename: errno results
// compared with the host kernel.
#include "vfs_test_support.hpp"

namespace litebox::testing {
namespace {

TEST(VfsNamespace, MkdirErrors) {
  Dual d;
  ASSERT_EQ(d.create_file("file"), 0);

  EXPECT_EQ(d.mkdir("dir"), 0);
  EXPECT_EQ(d.mkdir("dir"), EEXIST);
  EXPECT_EQ(d.mkdir("file"), EEXIST);
  EXPECT_EQ(d.mkdir("."), EEXIST);
  EXPECT_EQ(d.mkdir(".."), EEXIST);
  EXPECT_EQ(d.mkdir("/"), EEXIST);
  EXPECT_EQ(d.mkdir("dir/."), EEXIST);
  EXPECT_EQ(d.mkdir("missing/dir"), ENOENT);
  ASSERT_EQ(d.symlink("nowhere", "dangling"), 0);
  EXPECT_EQ(d.mkdir("dangling"), EEXIST);
  EXPECT_EQ(d.mkdir("dangling/"), EEXIST);
}

TEST(VfsNamespace, MkdirAppliesUmaskAndSticky) {
  Dual d;
  d.context().umask = 022;
  ::umask(022);
  ASSERT_EQ(d.mkdir("dir", 07777), 0);

  auto [sandbox, native] = d.stat_both("dir");
  EXPECT_EQ(sandbox.mode, native.st_mode);
  EXPECT_EQ(sandbox.link_count, native.st_nlink);
}

TEST(VfsNamespace, SetGidDirectoryPassesGroupOn) {
  Dual d;
  ASSERT_EQ(d.mkdir("shared", 0777), 0);
  ASSERT_EQ(d.chown("shared", 0, 1234), 0);
  ASSERT_EQ(d.chmod("shared", 02777), 0);
  ASSERT_EQ(d.mkdir("shared/sub"), 0);
  ASSERT_EQ(d.create_file("shared/file"), 0);

  auto [sandbox_sub, native_sub] = d.stat_both("shared/sub");
  EXPECT_EQ(sandbox_sub.gid, native_sub.st_gid);
  EXPECT_EQ(sandbox_sub.mode, native_sub.st_mode);
  auto [sandbox_file, native_file] = d.stat_both("shared/file");
  EXPECT_EQ(sandbox_file.gid, native_file.st_gid);
}

TEST(VfsNamespace, DirectoryLinkCounts) {
  Dual d;
  ASSERT_EQ(d.mkdir("dir"), 0);
  ASSERT_EQ(d.mkdir("dir/a"), 0);
  ASSERT_EQ(d.mkdir("dir/b"), 0);
  ASSERT_EQ(d.create_file("dir/file"), 0);

  auto [sandbox, native] = d.stat_both("dir");
  EXPECT_EQ(sandbox.link_count, native.st_nlink);
  ASSERT_EQ(d.rmdir("dir/a"), 0);
  auto [sandbox_after, native_after] = d.stat_both("dir");
  EXPECT_EQ(sandbox_after.link_count, native_after.st_nlink);
}

TEST(VfsNamespace, RmdirErrors) {
  Dual d;
  ASSERT_EQ(d.mkdir("dir"), 0);
  ASSERT_EQ(d.create_file("dir/file"), 0);
  ASSERT_EQ(d.mkdir("empty"), 0);
  ASSERT_EQ(d.symlink("empty", "link"), 0);

  EXPECT_EQ(d.rmdir("dir"), ENOTEMPTY);
  EXPECT_EQ(d.rmdir("dir/file"), ENOTDIR);
  EXPECT_EQ(d.rmdir("link"), ENOTDIR);
  EXPECT_EQ(d.rmdir("link/"), ENOTDIR);
  EXPECT_EQ(d.rename("link/", "other"), ENOTDIR);
  EXPECT_EQ(d.rmdir("missing"), ENOENT);
  EXPECT_EQ(d.rmdir("."), EINVAL);
  EXPECT_EQ(d.rmdir("dir/."), EINVAL);
  EXPECT_EQ(d.rmdir("dir/.."), ENOTEMPTY);
  EXPECT_EQ(d.rmdir("empty/"), 0);
  EXPECT_EQ(d.stat("empty"), ENOENT);
}

TEST(VfsNamespace, UnlinkErrors) {
  Dual d;
  ASSERT_EQ(d.mkdir("dir"), 0);
  ASSERT_EQ(d.create_file("file"), 0);
  ASSERT_EQ(d.symlink("dir", "link"), 0);

  EXPECT_EQ(d.unlink("dir"), EISDIR);
  EXPECT_EQ(d.unlink("."), EISDIR);
  EXPECT_EQ(d.unlink(".."), EISDIR);
  EXPECT_EQ(d.unlink("file/"), ENOTDIR);
  EXPECT_EQ(d.unlink("link/"), ENOTDIR);
  EXPECT_EQ(d.unlink("missing"), ENOENT);
  EXPECT_EQ(d.unlink("missing/"), ENOENT);
  EXPECT_EQ(d.unlink("file", 0x1), EINVAL);
  EXPECT_EQ(d.unlink("link"), 0);
  EXPECT_EQ(d.stat("dir"), 0);
  EXPECT_EQ(d.unlink("file"), 0);
  EXPECT_EQ(d.stat("file"), ENOENT);
}

TEST(VfsNamespace, UnlinkedOpenFileStaysReadable) {
  Dual d;
  ASSERT_EQ(d.create_file("file", "kept"), 0);
  auto file = d.vfs().open(d.context(), d.cwd(), "file", O_RDONLY, 0);
  ASSERT_TRUE(file);
  ASSERT_EQ(d.unlink("file"), 0);

  std::string content(8, '\0');
  auto count = (*file)->read(std::as_writable_bytes(std::span(content)));
  ASSERT_TRUE(count);
  EXPECT_EQ(content.substr(0, *count), "kept");
  auto status = (*file)->stat();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->link_count, 0u);
}

TEST(VfsNamespace, SymlinkErrors) {
  Dual d;
  ASSERT_EQ(d.create_file("file"), 0);

  EXPECT_EQ(d.symlink("", "empty_target"), ENOENT);
  EXPECT_EQ(d.symlink("target", "file"), EEXIST);
  EXPECT_EQ(d.symlink("target", "."), EEXIST);
  EXPECT_EQ(d.symlink("target", "missing/link"), ENOENT);
  EXPECT_EQ(d.symlink(std::string(5000, 'x'), "huge"), ENAMETOOLONG);
  EXPECT_EQ(d.symlink("target", "link"), 0);

  auto [sandbox, native] = d.stat_both("link", AT_SYMLINK_NOFOLLOW);
  EXPECT_EQ(sandbox.mode, native.st_mode);
  EXPECT_EQ(sandbox.size, native.st_size);
}

TEST(VfsNamespace, MknodTypes) {
  Dual d;
  EXPECT_EQ(d.mknod("fifo", S_IFIFO | 0600), 0);
  EXPECT_EQ(d.mknod("socket", S_IFSOCK | 0600), 0);
  EXPECT_EQ(d.mknod("regular", 0600), 0);
  EXPECT_EQ(d.mknod("regular2", S_IFREG | 0600), 0);
  EXPECT_EQ(d.mknod("device", S_IFCHR | 0600, makedev(1, 3)), 0);
  EXPECT_EQ(d.mknod("dir", S_IFDIR | 0600), EPERM);
  EXPECT_EQ(d.mknod("bad", 0170000 | 0600), EINVAL);
  EXPECT_EQ(d.mknod("fifo", S_IFIFO | 0600), EEXIST);

  for (const char* name : {"fifo", "socket", "regular", "device"}) {
    auto [sandbox, native] = d.stat_both(name);
    EXPECT_EQ(sandbox.mode, native.st_mode) << name;
    EXPECT_EQ(sandbox.rdev, native.st_rdev) << name;
  }
}

TEST(VfsNamespace, LinkErrors) {
  Dual d;
  ASSERT_EQ(d.create_file("file"), 0);
  ASSERT_EQ(d.mkdir("dir"), 0);
  ASSERT_EQ(d.symlink("file", "link"), 0);

  EXPECT_EQ(d.link("file", "hard"), 0);
  EXPECT_EQ(d.link("file", "hard"), EEXIST);
  EXPECT_EQ(d.link("dir", "dirlink"), EPERM);
  EXPECT_EQ(d.link("missing", "x"), ENOENT);
  EXPECT_EQ(d.link("file", "new/"), ENOENT);
  EXPECT_EQ(d.link("file/", "x"), ENOTDIR);
  EXPECT_EQ(d.link("file", "."), EEXIST);
  EXPECT_EQ(d.link("file", "missing/x"), ENOENT);
  EXPECT_EQ(d.link("file", "bad", 0x1), EINVAL);

  auto [sandbox, native] = d.stat_both("file");
  EXPECT_EQ(sandbox.link_count, native.st_nlink);
}

TEST(VfsNamespace, LinkFollowsSymlinkOnlyWhenAsked) {
  Dual d;
  ASSERT_EQ(d.create_file("file"), 0);
  ASSERT_EQ(d.symlink("file", "link"), 0);

  EXPECT_EQ(d.link("link", "to_link"), 0);
  EXPECT_EQ(d.link("link", "to_file", AT_SYMLINK_FOLLOW), 0);

  auto [sandbox_link, native_link] = d.stat_both("to_link", AT_SYMLINK_NOFOLLOW);
  EXPECT_EQ(sandbox_link.mode, native_link.st_mode);
  auto [sandbox_file, native_file] = d.stat_both("to_file", AT_SYMLINK_NOFOLLOW);
  EXPECT_EQ(sandbox_file.mode, native_file.st_mode);
  EXPECT_EQ(sandbox_file.link_count, native_file.st_nlink);
}

TEST(VfsNamespace, RenameFileOverFile) {
  Dual d;
  ASSERT_EQ(d.create_file("a", "aaa"), 0);
  ASSERT_EQ(d.create_file("b", "b"), 0);

  EXPECT_EQ(d.rename("a", "b"), 0);
  EXPECT_EQ(d.stat("a"), ENOENT);
  auto [sandbox, native] = d.stat_both("b");
  EXPECT_EQ(sandbox.size, native.st_size);
}

TEST(VfsNamespace, RenameDirectoryOverDirectory) {
  Dual d;
  ASSERT_EQ(d.mkdir("src"), 0);
  ASSERT_EQ(d.create_file("src/file"), 0);
  ASSERT_EQ(d.mkdir("empty"), 0);
  ASSERT_EQ(d.mkdir("full"), 0);
  ASSERT_EQ(d.create_file("full/file"), 0);

  EXPECT_EQ(d.rename("src", "full"), ENOTEMPTY);
  EXPECT_EQ(d.rename("src", "empty"), 0);
  EXPECT_EQ(d.stat("empty/file"), 0);
  EXPECT_EQ(d.stat("src"), ENOENT);
}

TEST(VfsNamespace, RenameTypeMismatches) {
  Dual d;
  ASSERT_EQ(d.mkdir("dir"), 0);
  ASSERT_EQ(d.create_file("file"), 0);

  EXPECT_EQ(d.rename("dir", "file"), ENOTDIR);
  EXPECT_EQ(d.rename("file", "dir"), EISDIR);
  EXPECT_EQ(d.rename("file/", "other"), ENOTDIR);
  EXPECT_EQ(d.rename("file", "other/"), ENOTDIR);
  EXPECT_EQ(d.rename("dir/", "newdir/"), 0);
  EXPECT_EQ(d.rename("missing", "x"), ENOENT);
}

TEST(VfsNamespace, RenameDotsAreBusy) {
  Dual d;
  ASSERT_EQ(d.mkdir("dir"), 0);

  EXPECT_EQ(d.rename(".", "x"), EBUSY);
  EXPECT_EQ(d.rename("dir/..", "x"), EBUSY);
  EXPECT_EQ(d.rename("dir", "."), EBUSY);
  EXPECT_EQ(d.rename("dir", ".", RENAME_NOREPLACE), EEXIST);
}

TEST(VfsNamespace, RenameIntoOwnSubtreeIsEinval) {
  Dual d;
  ASSERT_EQ(d.mkdir("a"), 0);
  ASSERT_EQ(d.mkdir("a/b"), 0);
  ASSERT_EQ(d.mkdir("a/b/c"), 0);

  EXPECT_EQ(d.rename("a", "a/b/c/d"), EINVAL);
  EXPECT_EQ(d.rename("a", "a/b/x"), EINVAL);
  EXPECT_EQ(d.rename("a/b/c", "a/b/c/d"), EINVAL);
  EXPECT_EQ(d.rename("a/b/c", "a"), ENOTEMPTY);
  EXPECT_EQ(d.rename("a/b", "a/b"), 0);
}

TEST(VfsNamespace, RenameHardLinksOfSameInodeDoesNothing) {
  Dual d;
  ASSERT_EQ(d.create_file("file"), 0);
  ASSERT_EQ(d.link("file", "other"), 0);

  EXPECT_EQ(d.rename("file", "other"), 0);
  EXPECT_EQ(d.stat("file"), 0);
  EXPECT_EQ(d.stat("other"), 0);
}

TEST(VfsNamespace, RenameNoReplace) {
  Dual d;
  ASSERT_EQ(d.create_file("a"), 0);
  ASSERT_EQ(d.create_file("b"), 0);

  EXPECT_EQ(d.rename("a", "b", RENAME_NOREPLACE), EEXIST);
  EXPECT_EQ(d.rename("a", "c", RENAME_NOREPLACE), 0);
  EXPECT_EQ(d.rename("c", "d", RENAME_NOREPLACE | RENAME_EXCHANGE), EINVAL);
  EXPECT_EQ(d.rename("c", "d", 0x100), EINVAL);
}

TEST(VfsNamespace, RenameExchange) {
  Dual d;
  ASSERT_EQ(d.create_file("file", "12345"), 0);
  ASSERT_EQ(d.mkdir("dir"), 0);
  ASSERT_EQ(d.create_file("dir/inner"), 0);
  ASSERT_EQ(d.mkdir("other"), 0);
  ASSERT_EQ(d.create_file("plain"), 0);

  EXPECT_EQ(d.rename("file", "missing", RENAME_EXCHANGE), ENOENT);
  EXPECT_EQ(d.rename("file", "plain/", RENAME_EXCHANGE), ENOTDIR);
  EXPECT_EQ(d.rename("file/", "dir", RENAME_EXCHANGE), ENOTDIR);
  EXPECT_EQ(d.rename("file", "dir", RENAME_EXCHANGE), 0);
  EXPECT_EQ(d.stat("file/inner"), 0);
  auto [sandbox, native] = d.stat_both("dir");
  EXPECT_EQ(sandbox.size, native.st_size);
  EXPECT_EQ(d.rename("dir", "other/dir", RENAME_EXCHANGE), ENOENT);
  EXPECT_EQ(d.rename("file", "other", RENAME_EXCHANGE), 0);
  EXPECT_EQ(d.stat("other/inner"), 0);

  auto [sandbox_root, native_root] = d.stat_both(".");
  EXPECT_EQ(sandbox_root.link_count, native_root.st_nlink);
}

TEST(VfsNamespace, RenameExchangeMovesDirectoryBetweenParents) {
  Dual d;
  ASSERT_EQ(d.mkdir("a"), 0);
  ASSERT_EQ(d.mkdir("b"), 0);
  ASSERT_EQ(d.mkdir("a/sub"), 0);
  ASSERT_EQ(d.create_file("b/file"), 0);

  EXPECT_EQ(d.rename("a/sub", "b/file", RENAME_EXCHANGE), 0);
  EXPECT_EQ(d.stat("b/file/.."), 0);
  for (const char* name : {"a", "b", "b/file", "a/sub"}) {
    auto [sandbox, native] = d.stat_both(name);
    EXPECT_EQ(sandbox.link_count, native.st_nlink) << name;
    EXPECT_EQ(sandbox.mode, native.st_mode) << name;
  }
  auto [sandbox_up, native_up] = d.stat_both("b/file/..");
  auto [sandbox_b, native_b] = d.stat_both("b");
  EXPECT_EQ(sandbox_up.inode, sandbox_b.inode);
  EXPECT_EQ(native_up.st_ino, native_b.st_ino);
}

TEST(VfsNamespace, RenameAcrossDirectoriesUpdatesDotDot) {
  Dual d;
  ASSERT_EQ(d.mkdir("a"), 0);
  ASSERT_EQ(d.mkdir("b"), 0);
  ASSERT_EQ(d.mkdir("a/moved"), 0);

  EXPECT_EQ(d.rename("a/moved", "b/moved"), 0);
  auto [sandbox_up, native_up] = d.stat_both("b/moved/..");
  auto [sandbox_b, native_b] = d.stat_both("b");
  EXPECT_EQ(sandbox_up.inode, sandbox_b.inode);
  EXPECT_EQ(native_up.st_ino, native_b.st_ino);
  auto [sandbox_a, native_a] = d.stat_both("a");
  EXPECT_EQ(sandbox_a.link_count, native_a.st_nlink);
  EXPECT_EQ(sandbox_b.link_count, native_b.st_nlink);
}

}  // namespace
}  // namespace litebox::testing
