// TarFileSystem against the host: a tree made natively is archived by GNU
// tar in each format, and every member must read back through the tar file
// system as lstat, readlink and read report it natively. Hand-built archives
// cover the members that cannot be placed.
#include "litebox/fs/tar_file_system.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "litebox/fd/open_flags.hpp"
#include "litebox/fs/vfs.hpp"
#include "tar_test_support.hpp"
#include "test_platform.hpp"

namespace litebox::fs {
namespace {

using testing::ArchiveBuilder;
using testing::TemporaryDirectory;

// Looks up a relative path one component at a time.
Result<std::shared_ptr<Inode>> walk(Inode& root, std::string_view path) {
  std::shared_ptr<Inode> inode = root.shared_from_this();
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view component = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    inode = TRY(inode->lookup(component));
  }
  return inode;
}

std::vector<DirectoryEntry> list(Inode& directory, uint64_t position = 0) {
  std::vector<DirectoryEntry> entries;
  auto listed = directory.read_directory(position, [&](const DirectoryEntry& entry, uint64_t) {
    entries.push_back(entry);
    return true;
  });
  EXPECT_TRUE(listed);
  return entries;
}

std::string read_all(Inode& inode) {
  std::string contents;
  std::vector<std::byte> buffer(1000);
  uint64_t offset = 0;
  while (true) {
    auto count = inode.read(offset, buffer);
    EXPECT_TRUE(count);
    if (!count || *count == 0) {
      break;
    }
    // Safety: std::byte and char have the same size and char may alias anything.
    contents.append(reinterpret_cast<const char*>(buffer.data()), *count);
    offset += *count;
  }
  return contents;
}

std::string read_host_text(const std::filesystem::path& path) {
  std::vector<std::byte> bytes = testing::read_host_file(path);
  // Safety: std::byte and char have the same size and char may alias anything.
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

struct Built {
  std::vector<std::byte> archive;
  std::shared_ptr<TarFileSystem> file_system;
  std::vector<std::string> warnings;
};

// Builds a TarFileSystem from `archive`, collecting warnings.
void build(Built& built) {
  auto created = TarFileSystem::create(
      built.archive, [&](std::string_view line) { built.warnings.emplace_back(line); });
  ASSERT_TRUE(created) << created.error().message;
  built.file_system = *created;
}

// Fills `root` with every kind of member the formats carry, with long names
// and targets where `long_names` is set (ustar cannot store a link target
// over 100 bytes).
void fill_tree(const std::filesystem::path& root, bool long_names) {
  namespace fs = std::filesystem;
  fs::create_directories(root / "dir/sub");
  testing::write_host_file(root / "dir/file", "contents of a file\n");
  testing::write_host_file(root / "empty", "");
  std::string big(70000, '\0');
  for (size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>(i * 7 % 251);
  }
  testing::write_host_file(root / "dir/sub/big", big);
  ASSERT_EQ(chmod((root / "dir/file").c_str(), 04751), 0);
  ASSERT_EQ(chmod((root / "dir/sub").c_str(), 0700), 0);

  // A name over 100 bytes that ustar stores with its prefix field.
  fs::path deep = root / std::string(60, 'd') / std::string(60, 'e');
  fs::create_directories(deep);
  testing::write_host_file(deep / (std::string(80, 'f') + ".txt"), "deep\n");
  if (long_names) {
    testing::write_host_file(deep / std::string(200, 'g'), "long\n");
    ASSERT_EQ(symlink(std::string(150, 't').c_str(), (root / "long-link").c_str()), 0);
  }

  ASSERT_EQ(symlink("dir/file", (root / "link").c_str()), 0);
  ASSERT_EQ(symlink("missing/target", (root / "dangling").c_str()), 0);
  ASSERT_EQ(link((root / "dir/file").c_str(), (root / "hard").c_str()), 0);
  ASSERT_EQ(link((root / "dir/file").c_str(), (root / "dir/sub/hard2").c_str()), 0);
  ASSERT_EQ(mkfifo((root / "fifo").c_str(), 0620), 0);

  // Device nodes and other owners need root; without it they are left out.
  if (geteuid() == 0) {
    ASSERT_EQ(mknod((root / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_EQ(mknod((root / "disk").c_str(), S_IFBLK | 0660, makedev(259, 70000)), 0);
    ASSERT_EQ(lchown((root / "empty").c_str(), 1234, 5678), 0);
    ASSERT_EQ(lchown((root / "link").c_str(), 99, 98), 0);
  }

  // A sub-second time, which only pax keeps.
  timespec times[2] = {{1600000000, 987654321}, {1500000000, 123456789}};
  ASSERT_EQ(utimensat(AT_FDCWD, (root / "dir/file").c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
  ASSERT_EQ(utimensat(AT_FDCWD, (root / "link").c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
  ASSERT_EQ(utimensat(AT_FDCWD, (root / "dir").c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
}

// Compares the tar file system with the native tree under `root`.
void compare_with_host(const std::filesystem::path& root, Inode& tar_root, bool keeps_nanoseconds) {
  std::vector<std::string> paths{""};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    paths.push_back(std::filesystem::relative(entry.path(), root).string());
  }

  for (const std::string& path : paths) {
    SCOPED_TRACE("member \"" + path + "\"");
    std::filesystem::path host_path = path.empty() ? root : root / path;
    struct stat native {};
    ASSERT_EQ(lstat(host_path.c_str(), &native), 0);

    auto inode = walk(tar_root, path);
    ASSERT_TRUE(inode) << errno_name(inode.error());
    auto status = (*inode)->stat();
    ASSERT_TRUE(status);

    EXPECT_EQ(status->mode, native.st_mode);
    EXPECT_EQ(status->uid, native.st_uid);
    EXPECT_EQ(status->gid, native.st_gid);
    EXPECT_EQ(status->modify_time.seconds, native.st_mtim.tv_sec);
    EXPECT_EQ(status->modify_time.nanoseconds, keeps_nanoseconds ? native.st_mtim.tv_nsec : 0);
    if (!S_ISDIR(native.st_mode)) {
      EXPECT_EQ(status->size, native.st_size);
      EXPECT_EQ(status->link_count, native.st_nlink);
    }
    if (S_ISCHR(native.st_mode) || S_ISBLK(native.st_mode)) {
      EXPECT_EQ(status->rdev, native.st_rdev);
    }
    if (S_ISREG(native.st_mode)) {
      EXPECT_EQ(read_all(**inode), read_host_text(host_path));
    }
    if (S_ISLNK(native.st_mode)) {
      auto target = (*inode)->read_link();
      ASSERT_TRUE(target);
      EXPECT_EQ(*target, std::filesystem::read_symlink(host_path).string());
    }
    if (S_ISDIR(native.st_mode)) {
      std::set<std::string> native_names;
      for (const auto& child : std::filesystem::directory_iterator(host_path)) {
        native_names.insert(child.path().filename().string());
      }
      std::set<std::string> tar_names;
      for (const DirectoryEntry& entry : list(**inode)) {
        if (entry.name != "." && entry.name != "..") {
          tar_names.insert(entry.name);
        }
      }
      EXPECT_EQ(tar_names, native_names);
    }
  }
}

class TarFileSystemFormat : public ::testing::TestWithParam<std::string> {};

TEST_P(TarFileSystemFormat, MatchesNativeTree) {
  const std::string& format = GetParam();
  TemporaryDirectory tree;
  TemporaryDirectory output;
  fill_tree(tree.path(), format != "ustar");
  std::filesystem::path archive_path = output.path() / "archive.tar";
  std::string command = "tar --format=" + format + " -cf '" + archive_path.string() + "' -C '" +
                        tree.path().string() + "' .";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  Built built;
  built.archive = testing::read_host_file(archive_path);
  build(built);

  EXPECT_TRUE(built.warnings.empty()) << built.warnings.front();
  compare_with_host(tree.path(), *built.file_system->root(), format == "pax");
}

INSTANTIATE_TEST_SUITE_P(GnuTar, TarFileSystemFormat, ::testing::Values("ustar", "gnu", "pax"));

// The tar file system reports sizes and blocks as tmpfs does, so the same
// tree extracted onto a host tmpfs is the expected value.
TEST(TarFileSystem, SpaceMatchesTmpfs) {
  const std::filesystem::path shared_memory = "/dev/shm";
  struct statfs file_system {};
  if (statfs(shared_memory.c_str(), &file_system) != 0 || file_system.f_type != TMPFS_MAGIC) {
    GTEST_SKIP() << shared_memory << " is not a tmpfs on this host";
  }
  TemporaryDirectory tree(shared_memory);
  TemporaryDirectory output;
  fill_tree(tree.path(), true);
  std::filesystem::path archive_path = output.path() / "archive.tar";
  std::string command =
      "tar --format=gnu -cf '" + archive_path.string() + "' -C '" + tree.path().string() + "' .";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  Built built;
  built.archive = testing::read_host_file(archive_path);
  build(built);

  std::vector<std::string> paths{""};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(tree.path())) {
    paths.push_back(std::filesystem::relative(entry.path(), tree.path()).string());
  }
  for (const std::string& path : paths) {
    SCOPED_TRACE("member \"" + path + "\"");
    std::filesystem::path host_path = path.empty() ? tree.path() : tree.path() / path;
    struct stat native {};
    ASSERT_EQ(lstat(host_path.c_str(), &native), 0);

    auto inode = walk(*built.file_system->root(), path);
    ASSERT_TRUE(inode) << errno_name(inode.error());
    auto status = (*inode)->stat();
    ASSERT_TRUE(status);

    EXPECT_EQ(status->size, native.st_size);
    EXPECT_EQ(status->blocks, native.st_blocks);
    EXPECT_EQ(status->block_size, native.st_blksize);
  }
}

TEST(TarFileSystem, HardLinksShareInode) {
  ArchiveBuilder archive;
  archive.add({.name = "a", .data = "shared"})
      .add({.name = "b", .type = '1', .link = "a"})
      .add({.name = "c", .type = '1', .link = "./a"})
      .end();
  Built built{.archive = archive.bytes()};
  build(built);

  Inode& root = *built.file_system->root();
  auto a = walk(root, "a").value()->stat().value();
  auto b = walk(root, "b").value()->stat().value();
  auto c = walk(root, "c").value()->stat().value();

  EXPECT_EQ(a.inode, b.inode);
  EXPECT_EQ(a.inode, c.inode);
  EXPECT_EQ(a.link_count, 3u);
  EXPECT_EQ(read_all(*walk(root, "c").value()), "shared");
}

TEST(TarFileSystem, ImpliedDirectoriesAreRootOwned) {
  ArchiveBuilder archive;
  archive.add({.name = "x/y/file", .uid = 5, .gid = 6, .modify_time = 99}).end();
  Built built{.archive = archive.bytes()};
  build(built);

  auto status = walk(*built.file_system->root(), "x/y").value()->stat().value();

  EXPECT_EQ(status.mode, mode_of(FileType::directory, 0755));
  EXPECT_EQ(status.uid, 0u);
  EXPECT_EQ(status.gid, 0u);
  EXPECT_EQ(status.modify_time, Timespec{});
  EXPECT_EQ(status.link_count, 2u);
}

TEST(TarFileSystem, MembersServeDataOutsideArchive) {
  const std::string contents = "bytes that live outside any archive\n";
  std::vector<tar::Member> members(2);
  members[0].path = "usr/bin/tool";
  members[0].type = tar::MemberType::regular;
  members[0].permissions = 0750;
  // Safety: reinterprets the string's chars as bytes; the string outlives
  // the file system.
  members[0].data = {reinterpret_cast<const std::byte*>(contents.data()), contents.size()};
  members[1].path = "usr/bin/link";
  members[1].type = tar::MemberType::symlink;
  members[1].link_target = "tool";

  auto file_system = TarFileSystem::create_from_members(members);

  auto tool = walk(*file_system->root(), "usr/bin/tool").value();
  EXPECT_EQ(read_all(*tool), contents);
  EXPECT_EQ(tool->stat().value().mode, mode_of(FileType::regular, 0750));
  auto link = walk(*file_system->root(), "usr/bin/link").value();
  EXPECT_EQ(link->read_link().value(), "tool");
  EXPECT_EQ(file_system->inode_count(), 5u);
}

TEST(TarFileSystem, SymlinkModeIsAlways0777) {
  // A symlink made on the host reads back as 0777 whatever the umask, so
  // the archive's recorded 0644 must not show.
  std::vector<tar::Member> members(1);
  members[0].path = "link";
  members[0].type = tar::MemberType::symlink;
  members[0].permissions = 0644;
  members[0].link_target = "target";
  TemporaryDirectory native;
  ASSERT_EQ(symlink("target", (native.path() / "link").c_str()), 0);
  struct stat host_status {};
  ASSERT_EQ(lstat((native.path() / "link").c_str(), &host_status), 0);

  auto file_system = TarFileSystem::create_from_members(members);

  auto link = walk(*file_system->root(), "link").value();
  EXPECT_EQ(link->stat().value().mode, static_cast<uint32_t>(host_status.st_mode));
}

// The platform may unmap archive pages that were read, so the scan reports
// the whole archive, and each read reports the bytes it copied.
TEST(TarFileSystem, ReportsScannedAndReadBytes) {
  ArchiveBuilder archive;
  archive.add({.name = "d/", .type = '5'}).add({.name = "d/file", .data = "contents"}).end();
  Built built{.archive = archive.bytes()};
  const uint64_t before_scan = testing::mock_platform().file_bytes_read();

  build(built);
  const uint64_t after_scan = testing::mock_platform().file_bytes_read();
  std::string contents = read_all(*walk(*built.file_system->root(), "d/file").value());

  EXPECT_EQ(after_scan - before_scan, built.archive.size());
  EXPECT_EQ(contents, "contents");
  EXPECT_EQ(testing::mock_platform().file_bytes_read() - after_scan, contents.size());
}

TEST(TarFileSystem, LaterDuplicateWins) {
  ArchiveBuilder archive;
  archive.add({.name = "f", .data = "first"})
      .add({.name = "g", .type = '1', .link = "f"})
      .add({.name = "f", .data = "second"})
      .add({.name = "d/", .type = '5', .mode = 0700})
      .add({.name = "d/child"})
      .add({.name = "d/", .type = '5', .mode = 0750})
      .end();
  Built built{.archive = archive.bytes()};
  build(built);

  Inode& root = *built.file_system->root();
  EXPECT_EQ(read_all(*walk(root, "f").value()), "second");
  // The hard link keeps the member it named when it was read, as extraction does.
  EXPECT_EQ(read_all(*walk(root, "g").value()), "first");
  EXPECT_EQ(walk(root, "g").value()->stat()->link_count, 1u);
  EXPECT_EQ(walk(root, "f").value()->stat()->link_count, 1u);
  EXPECT_EQ(walk(root, "d").value()->stat()->mode, mode_of(FileType::directory, 0750));
  EXPECT_TRUE(walk(root, "d/child"));
  EXPECT_TRUE(built.warnings.empty());
}

TEST(TarFileSystem, SkipsHardLinkToMissingOrLaterMember) {
  ArchiveBuilder archive;
  archive.add({.name = "early", .type = '1', .link = "late"})
      .add({.name = "late"})
      .add({.name = "nowhere", .type = '1', .link = "absent"})
      .end();
  Built built{.archive = archive.bytes()};
  build(built);

  Inode& root = *built.file_system->root();
  EXPECT_EQ(walk(root, "early").error(), Errno::enoent);
  EXPECT_EQ(walk(root, "nowhere").error(), Errno::enoent);
  ASSERT_EQ(built.warnings.size(), 2u);
  EXPECT_NE(built.warnings[0].find("\"early\""), std::string::npos);
  EXPECT_NE(built.warnings[0].find("not an earlier member"), std::string::npos);
  EXPECT_NE(built.warnings[1].find("\"nowhere\""), std::string::npos);
}

TEST(TarFileSystem, SkipsHardLinkToItselfOrDirectory) {
  ArchiveBuilder archive;
  archive.add({.name = "self"})
      .add({.name = "self", .type = '1', .link = "self"})
      .add({.name = "dir/", .type = '5'})
      .add({.name = "dirlink", .type = '1', .link = "dir"})
      .end();
  Built built{.archive = archive.bytes()};
  build(built);

  Inode& root = *built.file_system->root();
  EXPECT_EQ(walk(root, "self").value()->stat()->link_count, 1u);
  EXPECT_EQ(walk(root, "dirlink").error(), Errno::enoent);
  ASSERT_EQ(built.warnings.size(), 2u);
  EXPECT_NE(built.warnings[0].find("itself"), std::string::npos);
  EXPECT_NE(built.warnings[1].find("is a directory"), std::string::npos);
}

TEST(TarFileSystem, SkipsPathThroughFile) {
  ArchiveBuilder archive;
  archive.add({.name = "a", .data = "file"}).add({.name = "a/b"}).end();
  Built built{.archive = archive.bytes()};
  build(built);

  Inode& root = *built.file_system->root();
  EXPECT_EQ(read_all(*walk(root, "a").value()), "file");
  EXPECT_EQ(walk(root, "a/b").error(), Errno::enotdir);
  ASSERT_EQ(built.warnings.size(), 1u);
  EXPECT_NE(built.warnings[0].find("\"a/b\""), std::string::npos);
  EXPECT_NE(built.warnings[0].find("not a directory"), std::string::npos);
}

TEST(TarFileSystem, SkipsFileReplacingNonEmptyDirectory) {
  ArchiveBuilder archive;
  archive.add({.name = "d/inner"}).add({.name = "d", .data = "file"}).end();
  Built built{.archive = archive.bytes()};
  build(built);

  Inode& root = *built.file_system->root();
  EXPECT_TRUE(walk(root, "d/inner"));
  ASSERT_EQ(built.warnings.size(), 1u);
  EXPECT_NE(built.warnings[0].find("non-empty directory"), std::string::npos);
}

TEST(TarFileSystem, RootMemberSetsRootAttributes) {
  ArchiveBuilder archive;
  archive.add({.name = "./", .type = '5', .mode = 0711, .uid = 3, .modify_time = 1234})
      .add({.name = ".", .data = "not a directory"})
      .end();
  Built built{.archive = archive.bytes()};
  build(built);

  auto status = built.file_system->root()->stat().value();
  EXPECT_EQ(status.mode, mode_of(FileType::directory, 0711));
  EXPECT_EQ(status.uid, 3u);
  EXPECT_EQ(status.modify_time.seconds, 1234);
  ASSERT_EQ(built.warnings.size(), 1u);
  EXPECT_NE(built.warnings[0].find("root"), std::string::npos);
}

TEST(TarFileSystem, StoresSymlinkLoops) {
  // Loops are legal in an archive, and path resolution reports ELOOP later.
  ArchiveBuilder archive;
  archive.add({.name = "a", .type = '2', .link = "b"})
      .add({.name = "b", .type = '2', .link = "a"})
      .end();
  Built built{.archive = archive.bytes()};
  build(built);

  Inode& root = *built.file_system->root();
  EXPECT_EQ(walk(root, "a").value()->read_link().value(), "b");
  EXPECT_EQ(walk(root, "b").value()->read_link().value(), "a");
  EXPECT_EQ(walk(root, "a").value()->stat()->size, 1);
}

TEST(TarFileSystem, SymlinkLoopFailsLikeHost) {
  TemporaryDirectory native;
  ASSERT_EQ(symlink("b", (native.path() / "a").c_str()), 0);
  ASSERT_EQ(symlink("a", (native.path() / "b").c_str()), 0);
  struct stat status {};
  ASSERT_EQ(stat((native.path() / "a").c_str(), &status), -1);
  int native_errno = errno;
  ArchiveBuilder archive;
  archive.add({.name = "a", .type = '2', .link = "b"})
      .add({.name = "b", .type = '2', .link = "a"})
      .end();
  Built built{.archive = archive.bytes()};
  build(built);
  Vfs vfs(built.file_system);
  PathContext context{.root = vfs.root(), .working_directory = vfs.root()};

  auto result = vfs.stat(context, vfs.root(), "/a", 0);

  ASSERT_FALSE(result);
  EXPECT_EQ(errno_value(result.error()), native_errno);
}

TEST(TarFileSystem, OpenForWritingIsReadOnly) {
  ArchiveBuilder archive;
  archive.add({.name = "file", .data = "x"}).end();
  Built built{.archive = archive.bytes()};
  build(built);
  Vfs vfs(built.file_system);
  PathContext context{.root = vfs.root(), .working_directory = vfs.root()};

  auto opened = vfs.open(context, vfs.root(), "/file", fd::open_read_write, 0);
  auto created = vfs.open(context, vfs.root(), "/new", fd::open_create | fd::open_write_only, 0644);
  auto read_only = vfs.open(context, vfs.root(), "/file", fd::open_read_only, 0);

  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error(), Errno::erofs);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error(), Errno::erofs);
  ASSERT_TRUE(read_only);
  std::array<std::byte, 4> buffer{};
  EXPECT_EQ((*read_only)->read(buffer).value(), 1u);
}

TEST(TarFileSystem, DeviceNodesOpenDrivers) {
  ArchiveBuilder archive;
  archive.add({.name = "null", .type = '3', .mode = 0666, .device_major = 1, .device_minor = 3})
      .add({.name = "disk", .type = '4', .device_major = 8, .device_minor = 0})
      .end();
  Built built{.archive = archive.bytes()};
  build(built);
  Inode& root = *built.file_system->root();

  auto null = walk(root, "null").value()->open(fd::open_read_write);
  auto disk = walk(root, "disk").value()->open(fd::open_read_only);

  ASSERT_TRUE(null) << errno_name(null.error());
  std::array<std::byte, 8> buffer{};
  EXPECT_EQ((*null)->read(buffer).value(), 0u);
  EXPECT_EQ((*null)->write(buffer).value(), buffer.size());
  ASSERT_FALSE(disk);
  EXPECT_EQ(disk.error(), Errno::enxio);
}

TEST(TarFileSystem, EveryChangeIsReadOnly) {
  ArchiveBuilder archive;
  archive.add({.name = "dir/file", .data = "x"}).end();
  Built built{.archive = archive.bytes()};
  build(built);

  Inode& root = *built.file_system->root();
  auto file = walk(root, "dir/file").value();
  auto directory = walk(root, "dir").value();
  std::byte byte{};

  EXPECT_EQ(file->write(0, std::span(&byte, 1)).error(), Errno::erofs);
  EXPECT_EQ(file->change_attributes({.permissions = 0600}).error(), Errno::erofs);
  EXPECT_EQ(directory->create("n", FileType::regular, 0644, 0, 0, 0).error(), Errno::erofs);
  EXPECT_EQ(directory->make_directory("n", 0755, 0, 0).error(), Errno::erofs);
  EXPECT_EQ(directory->make_symlink("n", "t", 0, 0).error(), Errno::erofs);
  EXPECT_EQ(directory->link("n", file).error(), Errno::erofs);
  EXPECT_EQ(directory->unlink("file").error(), Errno::erofs);
  EXPECT_EQ(root.remove_directory("dir").error(), Errno::erofs);
  EXPECT_EQ(directory->rename("file", root, "moved", 0).error(), Errno::erofs);
  EXPECT_TRUE(built.file_system->read_only());
  EXPECT_EQ(built.file_system->type_name(), "tar");
  EXPECT_EQ(built.file_system->stat_file_system().flags & 1, 1u);
}

TEST(TarFileSystem, DirectoryPositionsResume) {
  ArchiveBuilder archive;
  archive.add({.name = "c"}).add({.name = "a"}).add({.name = "b"}).end();
  Built built{.archive = archive.bytes()};
  build(built);

  Inode& root = *built.file_system->root();
  std::vector<std::pair<std::string, uint64_t>> seen;
  auto listed = root.read_directory(0, [&](const DirectoryEntry& entry, uint64_t next) {
    seen.emplace_back(entry.name, next);
    return seen.size() < 3;
  });
  ASSERT_TRUE(listed);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].first, ".");
  EXPECT_EQ(seen[1].first, "..");
  EXPECT_EQ(seen[2].first, "a");

  std::vector<DirectoryEntry> rest = list(root, seen[2].second);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].name, "b");
  EXPECT_EQ(rest[1].name, "c");
  EXPECT_EQ(rest[1].type, FileType::regular);
}

TEST(TarFileSystem, ParentOfRootIsRoot) {
  ArchiveBuilder archive;
  archive.add({.name = "d/f"}).end();
  Built built{.archive = archive.bytes()};
  build(built);

  auto root = built.file_system->root();
  auto d = walk(*root, "d").value();
  EXPECT_EQ(root->lookup("..").value(), root);
  EXPECT_EQ(d->lookup("..").value(), root);
  EXPECT_EQ(root->stat()->device, built.file_system->device());
}

TEST(TarFileSystem, LookupsShareOneInode) {
  ArchiveBuilder archive;
  archive.add({.name = "dir/a", .data = "shared"})
      .add({.name = "dir/b", .type = '1', .link = "dir/a"})
      .end();
  Built built{.archive = archive.bytes()};
  build(built);

  Inode& root = *built.file_system->root();
  std::shared_ptr<Inode> first = walk(root, "dir/a").value();
  std::shared_ptr<Inode> again = walk(root, "dir/a").value();
  std::shared_ptr<Inode> hard_link = walk(root, "dir/b").value();
  std::shared_ptr<Inode> parent = walk(root, "dir/..").value();

  EXPECT_EQ(first.get(), again.get());
  EXPECT_EQ(first.get(), hard_link.get());
  EXPECT_EQ(parent.get(), &root);
}

TEST(TarFileSystem, ListsUnsortedMembersByName) {
  ArchiveBuilder archive;
  // "alpha" comes after "zeta", and then both come again.
  archive.add({.name = "d/zeta", .data = "z"})
      .add({.name = "d/alpha", .data = "a"})
      .add({.name = "d/mid/", .type = '5'})
      .add({.name = "d/zeta", .data = "z2"})
      .add({.name = "d/alpha", .data = "a2"})
      .end();
  Built built{.archive = archive.bytes()};
  build(built);

  std::shared_ptr<Inode> directory = walk(*built.file_system->root(), "d").value();
  std::vector<DirectoryEntry> entries = list(*directory);

  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[2].name, "alpha");
  EXPECT_EQ(entries[3].name, "mid");
  EXPECT_EQ(entries[4].name, "zeta");
  EXPECT_EQ(read_all(*walk(*directory, "zeta").value()), "z2");
  EXPECT_EQ(read_all(*walk(*directory, "alpha").value()), "a2");
  EXPECT_EQ(directory->stat()->link_count, 3u);
  EXPECT_TRUE(built.warnings.empty());
}

TEST(TarFileSystem, ReplacedDirectoryTakesNoMoreMembers) {
  // "d/early" is skipped after its parent "d" is made, and "d", still empty,
  // is then replaced by a file, so "d/late" has a file on its path.
  ArchiveBuilder archive;
  archive.add({.name = "d/", .type = '5'})
      .add({.name = "d/early", .type = '1', .link = "absent"})
      .add({.name = "d", .data = "file"})
      .add({.name = "d/late"})
      .end();
  Built built{.archive = archive.bytes()};
  build(built);

  Inode& root = *built.file_system->root();
  EXPECT_EQ(read_all(*walk(root, "d").value()), "file");
  EXPECT_EQ(walk(root, "d/late").error(), Errno::enotdir);
  ASSERT_EQ(built.warnings.size(), 2u);
  EXPECT_NE(built.warnings[1].find("\"d/late\""), std::string::npos);
  EXPECT_NE(built.warnings[1].find("not a directory"), std::string::npos);
}

TEST(TarFileSystem, ReportsParseError) {
  ArchiveBuilder archive;
  archive.add({.name = "bad", .corrupt_checksum = true});

  auto created = TarFileSystem::create(archive.bytes(), [](std::string_view) {});

  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().problem, tar::TarProblem::bad_checksum);
}

}  // namespace
}  // namespace litebox::fs
