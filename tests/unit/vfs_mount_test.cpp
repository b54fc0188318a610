// Mounts: crossing into and out of a mounted file system, and the errors
// that mount points cause, compared with a tmpfs mounted on the host.
#include <sys/statfs.h>

#include "litebox/fs/devfs.hpp"
#include "vfs_test_support.hpp"

namespace litebox::testing {
namespace {

TEST(VfsMount, PathsCrossIntoAndOutOfMount) {
  MountedDual m("mnt");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  ASSERT_EQ(d.create_file("mnt/file"), 0);

  auto [sandbox_up, native_up] = d.stat_both("mnt/..");
  auto [sandbox_here, native_here] = d.stat_both(".");
  EXPECT_EQ(sandbox_up.inode, sandbox_here.inode);
  EXPECT_EQ(native_up.st_ino, native_here.st_ino);

  auto [sandbox_root, native_root] = d.stat_both("mnt");
  EXPECT_NE(sandbox_root.device, sandbox_here.device);
  EXPECT_NE(native_root.st_dev, native_here.st_dev);
  EXPECT_EQ(sandbox_root.mode, native_root.st_mode);
  EXPECT_EQ(d.stat("mnt/../mnt/./file"), 0);
}

TEST(VfsMount, CrossMountRenameAndLinkAreExdev) {
  MountedDual m("mnt");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  ASSERT_EQ(d.create_file("mnt/file"), 0);
  ASSERT_EQ(d.create_file("outside"), 0);

  EXPECT_EQ(d.rename("mnt/file", "file"), EXDEV);
  EXPECT_EQ(d.rename("outside", "mnt/outside"), EXDEV);
  EXPECT_EQ(d.link("mnt/file", "hard"), EXDEV);
  EXPECT_EQ(d.rename("mnt/file", "mnt/renamed"), 0);
  EXPECT_EQ(d.link("mnt/renamed", "mnt/hard"), 0);
}

TEST(VfsMount, MountPointIsBusy) {
  MountedDual m("mnt");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  ASSERT_EQ(d.mkdir("empty"), 0);

  EXPECT_EQ(d.rmdir("mnt"), EBUSY);
  EXPECT_EQ(d.rename("mnt", "moved"), EBUSY);
  EXPECT_EQ(d.rename("empty", "mnt"), EBUSY);
  EXPECT_EQ(d.unlink("mnt"), EISDIR);
  EXPECT_EQ(d.rmdir("mnt/."), EINVAL);
}

TEST(VfsMount, StatFileSystemReportsTmpfs) {
  MountedDual m("mnt");
  REQUIRE_NATIVE_MOUNT(m);
  Dual& d = m.d;
  auto location = d.vfs().resolve(d.context(), d.cwd(), "mnt", 0);
  ASSERT_TRUE(location);

  struct statfs native {};
  ASSERT_EQ(::statfs((d.native_path() + "/mnt").c_str(), &native), 0);
  fs::FileSystemStat sandbox = location->inode->file_system().stat_file_system();
  EXPECT_EQ(sandbox.type, static_cast<uint64_t>(native.f_type));
  EXPECT_EQ(sandbox.name_max, static_cast<uint64_t>(native.f_namelen));
  EXPECT_EQ(location->mount->file_system().type_name(), "tmpfs");
}

TEST(VfsMount, PathOfInsideMount) {
  MountedDual m("mnt");
  Dual& d = m.d;
  ASSERT_TRUE(d.vfs().make_directory(d.context(), d.cwd(), "mnt/sub", 0755));
  auto location = d.vfs().resolve(d.context(), d.cwd(), "mnt/sub", 0);
  ASSERT_TRUE(location);

  auto path = d.vfs().path_of(d.context(), *location);
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, d.native_path() + "/mnt/sub");

  auto mount_root = d.vfs().resolve(d.context(), d.cwd(), "mnt", 0);
  ASSERT_TRUE(mount_root);
  auto root_path = d.vfs().path_of(d.context(), *mount_root);
  ASSERT_TRUE(root_path);
  EXPECT_EQ(*root_path, d.native_path() + "/mnt");
}

TEST(VfsMount, MountErrors) {
  Sandbox sandbox("/work");
  fs::Vfs& vfs = sandbox.vfs();
  ASSERT_TRUE(vfs.open(sandbox.context, sandbox.cwd(), "file", O_CREAT | O_WRONLY, 0644));

  EXPECT_EQ(errno_of(vfs.mount(sandbox.context, "file", fs::memfs::create())), ENOTDIR);
  EXPECT_EQ(errno_of(vfs.mount(sandbox.context, "missing", fs::memfs::create())), ENOENT);
  EXPECT_EQ(vfs.mounts().size(), 1u);
}

TEST(VfsMount, SecondMountStacksOnFirst) {
  Sandbox sandbox("/work");
  fs::Vfs& vfs = sandbox.vfs();
  ASSERT_TRUE(vfs.make_directory(sandbox.context, sandbox.cwd(), "dir", 0755));
  ASSERT_TRUE(vfs.mount(sandbox.context, "dir", fs::memfs::create()));
  ASSERT_TRUE(vfs.make_directory(sandbox.context, sandbox.cwd(), "dir/first", 0755));

  // As on Linux, mounting on a mount point covers the mount already there.
  ASSERT_TRUE(vfs.mount(sandbox.context, "dir", fs::memfs::create()));
  EXPECT_EQ(vfs.mounts().size(), 3u);
  EXPECT_EQ(errno_of(vfs.stat(sandbox.context, sandbox.cwd(), "dir/first", 0)), ENOENT);
  auto up = vfs.resolve(sandbox.context, sandbox.cwd(), "dir/..", 0);
  ASSERT_TRUE(up);
  EXPECT_TRUE(fs::same_location(*up, sandbox.cwd()));

  ASSERT_TRUE(vfs.unmount(sandbox.context, "dir"));
  EXPECT_TRUE(vfs.stat(sandbox.context, sandbox.cwd(), "dir/first", 0));
}

TEST(VfsMount, UnmountRestoresCoveredDirectory) {
  Sandbox sandbox("/work");
  fs::Vfs& vfs = sandbox.vfs();
  ASSERT_TRUE(vfs.make_directory(sandbox.context, sandbox.cwd(), "dir", 0755));
  ASSERT_TRUE(vfs.make_directory(sandbox.context, sandbox.cwd(), "dir/under", 0755));
  ASSERT_TRUE(vfs.mount(sandbox.context, "dir", fs::memfs::create()));
  ASSERT_TRUE(vfs.make_directory(sandbox.context, sandbox.cwd(), "dir/inner", 0755));
  ASSERT_TRUE(vfs.mount(sandbox.context, "dir/inner", fs::devfs::create()));

  EXPECT_EQ(errno_of(vfs.stat(sandbox.context, sandbox.cwd(), "dir/under", 0)), ENOENT);
  EXPECT_EQ(errno_of(vfs.unmount(sandbox.context, "dir")), EBUSY);
  EXPECT_EQ(errno_of(vfs.unmount(sandbox.context, "dir/under")), ENOENT);
  EXPECT_EQ(errno_of(vfs.unmount(sandbox.context, "/work")), EINVAL);
  EXPECT_TRUE(vfs.unmount(sandbox.context, "dir/inner"));
  EXPECT_TRUE(vfs.unmount(sandbox.context, "dir"));
  EXPECT_TRUE(vfs.stat(sandbox.context, sandbox.cwd(), "dir/under", 0));
}

TEST(VfsMount, DotDotAtProcessRootInsideMountStays) {
  Sandbox sandbox("/work");
  fs::Vfs& vfs = sandbox.vfs();
  ASSERT_TRUE(vfs.make_directory(sandbox.context, sandbox.cwd(), "dir", 0755));
  ASSERT_TRUE(vfs.mount(sandbox.context, "dir", fs::memfs::create()));
  auto mount_root = vfs.resolve(sandbox.context, sandbox.cwd(), "dir", 0);
  ASSERT_TRUE(mount_root);

  fs::PathContext jailed = sandbox.context;
  jailed.root = *mount_root;
  auto above = vfs.resolve(jailed, *mount_root, "../..", 0);
  ASSERT_TRUE(above);
  EXPECT_TRUE(fs::same_location(*above, *mount_root));
}

}  // namespace
}  // namespace litebox::testing
