// Path resolution rules, each compared with the host kernel.
#include "vfs_test_support.hpp"

namespace litebox::testing {
namespace {

TEST(VfsPath, DotAndDotDotResolve) {
  Dual d;
  ASSERT_EQ(d.mkdir("a"), 0);
  ASSERT_EQ(d.mkdir("a/b"), 0);
  ASSERT_EQ(d.create_file("a/b/file"), 0);

  EXPECT_EQ(d.stat("a/./b/../b/file"), 0);
  EXPECT_EQ(d.stat("a/b/../../a/b/./file"), 0);
  EXPECT_EQ(d.stat("./a//b///file"), 0);
  EXPECT_EQ(d.stat("a/missing/../b"), ENOENT);
}

TEST(VfsPath, EmptyPathIsEnoent) {
  Dual d;
  EXPECT_EQ(d.stat(""), ENOENT);
  EXPECT_EQ(d.mkdir(""), ENOENT);
  EXPECT_EQ(d.open("", O_RDONLY), ENOENT);
}

TEST(VfsPath, EmptyPathWithAtEmptyPathNamesStart) {
  Dual d;
  EXPECT_EQ(d.stat("", AT_EMPTY_PATH), 0);
}

TEST(VfsPath, StatFlagValidation) {
  Dual d;
  ASSERT_EQ(d.create_file("file"), 0);

  EXPECT_EQ(d.stat("file", 0x2000), 0);  // AT_STATX_FORCE_SYNC
  EXPECT_EQ(d.stat("file", 0x4000), 0);  // AT_STATX_DONT_SYNC
  EXPECT_EQ(d.stat("file", AT_NO_AUTOMOUNT), 0);
  EXPECT_EQ(d.stat("file", 0x1), EINVAL);
  EXPECT_EQ(d.stat("file", AT_REMOVEDIR), EINVAL);
}

TEST(VfsPath, NonDirectoryComponentIsEnotdir) {
  Dual d;
  ASSERT_EQ(d.create_file("file"), 0);

  EXPECT_EQ(d.stat("file/x"), ENOTDIR);
  EXPECT_EQ(d.stat("file/."), ENOTDIR);
  EXPECT_EQ(d.stat("file/.."), ENOTDIR);
  EXPECT_EQ(d.mkdir("file/x"), ENOTDIR);
  EXPECT_EQ(d.open("file/x", O_CREAT | O_RDWR), ENOTDIR);
}

TEST(VfsPath, TrailingSlashRules) {
  Dual d;
  ASSERT_EQ(d.create_file("file"), 0);
  ASSERT_EQ(d.mkdir("dir"), 0);
  ASSERT_EQ(d.symlink("dir", "link_to_dir"), 0);
  ASSERT_EQ(d.symlink("file", "link_to_file"), 0);

  EXPECT_EQ(d.stat("file/"), ENOTDIR);
  EXPECT_EQ(d.open("file/", O_RDONLY), ENOTDIR);
  EXPECT_EQ(d.stat("dir/"), 0);
  EXPECT_EQ(d.stat("dir//"), 0);
  EXPECT_EQ(d.stat("link_to_dir/", AT_SYMLINK_NOFOLLOW), 0);
  EXPECT_EQ(d.stat("link_to_file/"), ENOTDIR);
  EXPECT_EQ(d.mkdir("newdir/"), 0);
  EXPECT_EQ(d.mkdir("newdir2//"), 0);
  EXPECT_EQ(d.open("newfile/", O_CREAT | O_RDWR), EISDIR);
  EXPECT_EQ(d.open("file/", O_CREAT | O_RDWR), EISDIR);
  EXPECT_EQ(d.open("dir/", O_CREAT | O_RDONLY), EISDIR);
  EXPECT_EQ(d.mknod("fifo/", S_IFIFO | 0644), ENOENT);
  EXPECT_EQ(d.symlink("x", "newlink/"), ENOENT);
  EXPECT_EQ(d.symlink("x", "file/"), EEXIST);
  EXPECT_EQ(d.open("missing/", O_RDONLY), ENOENT);
}

TEST(VfsPath, RelativeSymlinksResolveFromTheirDirectory) {
  Dual d;
  ASSERT_EQ(d.mkdir("a"), 0);
  ASSERT_EQ(d.mkdir("a/b"), 0);
  ASSERT_EQ(d.create_file("a/b/target", "data"), 0);
  ASSERT_EQ(d.symlink("b/target", "a/rel"), 0);
  ASSERT_EQ(d.symlink("../a/b", "a/up"), 0);

  EXPECT_EQ(d.stat("a/rel"), 0);
  EXPECT_EQ(d.stat("a/up/target"), 0);
  EXPECT_EQ(d.stat("a/up/../rel"), 0);
  EXPECT_EQ(d.read_link("a/rel"), 0);
  EXPECT_EQ(d.read_link("a/up/target"), EINVAL);
}

TEST(VfsPath, ReadLinkWithEmptyPathReadsStart) {
  Dual d;
  ASSERT_EQ(d.symlink("target", "link"), 0);
  ASSERT_EQ(d.mkdir("dir"), 0);

  for (const char* name : {"link", "dir"}) {
    auto start = d.vfs().resolve(d.context(), d.cwd(), name, fs::at_symlink_nofollow);
    ASSERT_TRUE(start);
    auto sandbox = d.vfs().read_link(d.context(), *start, "");

    int fd = ::openat(d.native_fd(), name, O_PATH | O_NOFOLLOW);
    ASSERT_GE(fd, 0);
    char buffer[64];
    ssize_t length = ::readlinkat(fd, "", buffer, sizeof buffer);
    int native = native_errno(length);
    ::close(fd);

    EXPECT_EQ(errno_of(sandbox), native) << name;
    if (sandbox && length >= 0) {
      EXPECT_EQ(*sandbox, std::string(buffer, static_cast<size_t>(length)));
    }
  }
}

TEST(VfsPath, AbsoluteSymlinksResolveFromRoot) {
  Dual d;
  ASSERT_EQ(d.mkdir("dir"), 0);
  ASSERT_EQ(d.create_file("dir/file"), 0);
  ASSERT_EQ(d.symlink(d.native_path() + "/dir", "abs"), 0);

  EXPECT_EQ(d.stat("abs/file"), 0);
  EXPECT_EQ(d.stat("abs/missing"), ENOENT);
}

TEST(VfsPath, DanglingSymlinkIsEnoent) {
  Dual d;
  ASSERT_EQ(d.symlink("nowhere", "dangling"), 0);

  EXPECT_EQ(d.stat("dangling"), ENOENT);
  EXPECT_EQ(d.stat("dangling", AT_SYMLINK_NOFOLLOW), 0);
  EXPECT_EQ(d.stat("dangling/x"), ENOENT);
}

TEST(VfsPath, SymlinkLoopIsEloop) {
  Dual d;
  ASSERT_EQ(d.symlink("b", "a"), 0);
  ASSERT_EQ(d.symlink("a", "b"), 0);
  ASSERT_EQ(d.symlink("self", "self"), 0);

  EXPECT_EQ(d.stat("a"), ELOOP);
  EXPECT_EQ(d.stat("self/x"), ELOOP);
  EXPECT_EQ(d.open("a", O_RDONLY), ELOOP);
}

TEST(VfsPath, FortySymlinkFollowsAllowed) {
  Dual d;
  ASSERT_EQ(d.create_file("target"), 0);
  // link0 -> target, link1 -> link0, ... so linkN needs N + 1 follows.
  ASSERT_EQ(d.symlink("target", "link0"), 0);
  for (int i = 1; i <= 40; ++i) {
    ASSERT_EQ(d.symlink("link" + std::to_string(i - 1), "link" + std::to_string(i)), 0);
  }

  EXPECT_EQ(d.stat("link39"), 0);
  EXPECT_EQ(d.stat("link40"), ELOOP);
  EXPECT_EQ(d.stat("link40", AT_SYMLINK_NOFOLLOW), 0);
}

TEST(VfsPath, PathLengthLimits) {
  Dual d;
  std::string long_name(256, 'n');
  std::string max_name(255, 'n');

  EXPECT_EQ(d.stat(long_name), ENAMETOOLONG);
  EXPECT_EQ(d.mkdir(long_name), ENAMETOOLONG);
  EXPECT_EQ(d.stat(long_name + "/x"), ENAMETOOLONG);
  EXPECT_EQ(d.create_file(max_name), 0);
  EXPECT_EQ(d.stat(max_name), 0);

  // "./././...": each "./" adds two bytes and resolves to the directory.
  std::string path_4095;
  while (path_4095.size() + 2 <= 4094) {
    path_4095 += "./";
  }
  path_4095 += std::string(4095 - path_4095.size(), '/');
  path_4095.back() = '.';
  ASSERT_EQ(path_4095.size(), 4095u);
  EXPECT_EQ(d.stat(path_4095), 0);
  EXPECT_EQ(d.stat(path_4095 + "/"), ENAMETOOLONG);
}

TEST(VfsPath, DotDotStopsAtRoot) {
  Dual d;
  auto [sandbox_root, native_root] = d.stat_both("/");
  auto [sandbox_above, native_above] = d.stat_both("/../..");

  EXPECT_EQ(native_above.st_ino, native_root.st_ino);
  EXPECT_EQ(sandbox_above.inode, sandbox_root.inode);
}

TEST(VfsPath, DotDotStopsAtProcessRoot) {
  Dual d;
  ASSERT_EQ(d.mkdir("jail"), 0);
  ASSERT_EQ(d.mkdir("jail/inner"), 0);
  auto jail = d.vfs().resolve(d.context(), d.cwd(), "jail", 0);
  ASSERT_TRUE(jail);

  fs::PathContext jailed = d.context();
  jailed.root = *jail;
  jailed.working_directory = *jail;
  auto above = d.vfs().resolve(jailed, *jail, "inner/../../..", 0);
  ASSERT_TRUE(above);
  EXPECT_TRUE(fs::same_location(*above, *jail));

  auto absolute = d.vfs().resolve(jailed, *jail, "/inner", 0);
  EXPECT_TRUE(absolute);
}

TEST(VfsPath, AbsoluteSymlinkStaysInProcessRoot) {
  Dual d;
  ASSERT_EQ(d.mkdir("jail"), 0);
  ASSERT_EQ(d.mkdir("jail/etc"), 0);
  ASSERT_EQ(d.symlink("/etc", "jail/link"), 0);
  auto jail = d.vfs().resolve(d.context(), d.cwd(), "jail", 0);
  ASSERT_TRUE(jail);
  auto etc = d.vfs().resolve(d.context(), d.cwd(), "jail/etc", 0);
  ASSERT_TRUE(etc);

  fs::PathContext jailed = d.context();
  jailed.root = *jail;
  auto resolved = d.vfs().resolve(jailed, *jail, "link", 0);
  ASSERT_TRUE(resolved);
  EXPECT_TRUE(fs::same_location(*resolved, *etc));
}

TEST(VfsPath, SearchPermissionNeededOnEveryDirectory) {
  Dual d;
  ASSERT_EQ(d.mkdir("open"), 0);
  ASSERT_EQ(d.mkdir("open/closed", 0700), 0);
  ASSERT_EQ(d.create_file("open/closed/file"), 0);
  ASSERT_EQ(d.mkdir("open/readonly", 0744), 0);
  ASSERT_EQ(d.create_file("open/readonly/file"), 0);

  d.become_user(1000);
  EXPECT_EQ(d.stat("open/closed/file"), EACCES);
  EXPECT_EQ(d.stat("open/closed"), 0);
  EXPECT_EQ(d.stat("open/readonly/file"), EACCES);
  EXPECT_EQ(d.stat("open/closed/../closed"), EACCES);
  EXPECT_EQ(d.stat("open/closed/."), EACCES);
  EXPECT_EQ(d.mkdir("open/closed/new"), EACCES);
}

TEST(VfsPath, PathOfWalksToRoot) {
  Dual d;
  ASSERT_EQ(d.mkdir("a"), 0);
  ASSERT_EQ(d.mkdir("a/b"), 0);
  auto location = d.vfs().resolve(d.context(), d.cwd(), "a/b", 0);
  ASSERT_TRUE(location);

  auto path = d.vfs().path_of(d.context(), *location);
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, d.native_path() + "/a/b");

  auto root_path = d.vfs().path_of(d.context(), d.vfs().root());
  ASSERT_TRUE(root_path);
  EXPECT_EQ(*root_path, "/");
}

TEST(VfsPath, PathOfRemovedDirectoryIsEnoent) {
  Dual d;
  ASSERT_EQ(d.mkdir("gone"), 0);
  auto location = d.vfs().resolve(d.context(), d.cwd(), "gone", 0);
  ASSERT_TRUE(location);
  ASSERT_EQ(d.rmdir("gone"), 0);

  // getcwd(2) in a removed directory fails with ENOENT on Linux.
  int native = 0;
  {
    pid_t child = fork();
    if (child == 0) {
      std::string path = d.native_path() + "/gone2";
      ::mkdir(path.c_str(), 0755);
      if (::chdir(path.c_str()) != 0 || ::rmdir(path.c_str()) != 0) {
        _exit(255);
      }
      char buffer[4096];
      _exit(::getcwd(buffer, sizeof buffer) ? 0 : errno);
    }
    int status = 0;
    waitpid(child, &status, 0);
    native = WEXITSTATUS(status);
  }
  EXPECT_EQ(errno_of(d.vfs().path_of(d.context(), *location)), native);
  EXPECT_EQ(native, ENOENT);
}

TEST(VfsPath, PathOfOutsideProcessRootIsUnreachable) {
  Dual d;
  ASSERT_EQ(d.mkdir("jail"), 0);
  auto jail = d.vfs().resolve(d.context(), d.cwd(), "jail", 0);
  ASSERT_TRUE(jail);

  fs::PathContext jailed = d.context();
  jailed.root = *jail;
  auto path = d.vfs().path_of(jailed, d.cwd());
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, "(unreachable)" + d.native_path());
}

}  // namespace
}  // namespace litebox::testing
