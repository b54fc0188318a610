// The Vfs over an overlay of two memfs instances, as the sandbox root is
// built: path rules and namespace changes on entries that start in the
// lower layer, compared with the host kernel.
#include "litebox/fs/overlay_file_system.hpp"
#include "vfs_test_support.hpp"

namespace litebox::testing {
namespace {

// A Dual whose sandbox root is an overlay. Before the overlay exists, the
// lower layer gets, at the mirrored path, the same tree that the test then
// creates natively: lower_dir/ with file ("lower") and sub/, and lower_file.
class OverlayDual {
 public:
  OverlayDual()
      : d([](const std::string& mirror_path) -> std::shared_ptr<fs::FileSystem> {
          auto lower = fs::memfs::create(fs::memfs::Options{.root_permissions = 0755});
          fs::Vfs lower_vfs(lower);
          fs::PathContext context{.root = lower_vfs.root(), .working_directory = lower_vfs.root()};
          context.umask = 0;
          EXPECT_TRUE(lower_vfs.make_directory(context, lower_vfs.root(), "/tmp", 01777));
          EXPECT_TRUE(lower_vfs.make_directory(context, lower_vfs.root(), mirror_path, 0755));
          for (const char* directory : {"/lower_dir", "/lower_dir/sub"}) {
            EXPECT_TRUE(
                lower_vfs.make_directory(context, lower_vfs.root(), mirror_path + directory, 0755));
          }
          for (const char* file : {"/lower_dir/file", "/lower_file"}) {
            auto opened = lower_vfs.open(context, lower_vfs.root(), mirror_path + file,
                                         O_CREAT | O_WRONLY, 0644);
            EXPECT_TRUE(opened);
            std::string content = "lower";
            EXPECT_TRUE((*opened)->write(std::as_bytes(std::span(content))));
          }

          auto upper = fs::memfs::create(fs::memfs::Options{.root_permissions = 0755});
          auto overlay = fs::OverlayFileSystem::create(upper, lower);
          EXPECT_TRUE(overlay);
          return overlay ? *overlay : nullptr;
        }) {
    for (const char* directory : {"lower_dir", "lower_dir/sub"}) {
      EXPECT_EQ(::mkdirat(d.native_fd(), directory, 0755), 0);
    }
    for (const char* file : {"lower_dir/file", "lower_file"}) {
      int fd = ::openat(d.native_fd(), file, O_CREAT | O_WRONLY, 0644);
      EXPECT_GE(fd, 0);
      EXPECT_EQ(::write(fd, "lower", 5), 5);
      ::close(fd);
    }
  }

  Dual d;
};

TEST(VfsOverlay, LowerEntriesResolve) {
  OverlayDual overlay;
  Dual& d = overlay.d;

  EXPECT_EQ(d.stat("lower_dir/file"), 0);
  EXPECT_EQ(d.stat("lower_dir/sub/../file"), 0);
  EXPECT_EQ(d.stat("lower_file/"), ENOTDIR);
  EXPECT_EQ(d.stat("lower_dir/missing"), ENOENT);
  EXPECT_EQ(d.mkdir("lower_dir"), EEXIST);
  EXPECT_EQ(d.rmdir("lower_dir"), ENOTEMPTY);
  EXPECT_EQ(d.open("lower_file", O_CREAT | O_EXCL | O_RDWR), EEXIST);
}

TEST(VfsOverlay, ChangesToLowerEntries) {
  OverlayDual overlay;
  Dual& d = overlay.d;

  EXPECT_EQ(d.open("lower_file", O_WRONLY | O_TRUNC), 0);
  auto [sandbox, native] = d.stat_both("lower_file");
  EXPECT_EQ(sandbox.size, native.st_size);

  EXPECT_EQ(d.unlink("lower_dir/file"), 0);
  EXPECT_EQ(d.stat("lower_dir/file"), ENOENT);
  EXPECT_EQ(d.rmdir("lower_dir/sub"), 0);
  EXPECT_EQ(d.rmdir("lower_dir"), 0);
  EXPECT_EQ(d.stat("lower_dir"), ENOENT);
  EXPECT_EQ(d.mkdir("lower_dir"), 0);
  EXPECT_EQ(d.stat("lower_dir/file"), ENOENT);
}

TEST(VfsOverlay, RenameAndLinkOfLowerFile) {
  OverlayDual overlay;
  Dual& d = overlay.d;

  EXPECT_EQ(d.rename("lower_file", "renamed"), 0);
  EXPECT_EQ(d.stat("lower_file"), ENOENT);
  EXPECT_EQ(d.stat("renamed"), 0);
  EXPECT_EQ(d.link("renamed", "hard"), 0);
  EXPECT_EQ(d.create_file("new", "upper"), 0);
  EXPECT_EQ(d.rename("new", "lower_dir/file"), 0);
  EXPECT_EQ(d.rename("lower_dir/sub", "lower_dir/file"), ENOTDIR);
  EXPECT_EQ(d.symlink("lower_dir", "link"), 0);
  EXPECT_EQ(d.stat("link/file"), 0);
}

TEST(VfsOverlay, PathOfLowerDirectory) {
  OverlayDual overlay;
  Dual& d = overlay.d;
  auto location = d.vfs().resolve(d.context(), d.cwd(), "lower_dir/sub", 0);
  ASSERT_TRUE(location);

  auto path = d.vfs().path_of(d.context(), *location);
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, d.native_path() + "/lower_dir/sub");
}

}  // namespace
}  // namespace litebox::testing
