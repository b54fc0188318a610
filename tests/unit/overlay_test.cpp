// OverlayFileSystem over a tar image (lower) and a writable in-memory file
// system (upper): copy-up, whiteouts, merged listings, rename and unlink.
#include "litebox/fs/overlay_file_system.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "litebox/fs/memfs.hpp"
#include "litebox/fs/tar_file_system.hpp"
#include "tar_test_support.hpp"
#include "test_memory_file_system.hpp"

namespace litebox::fs {
namespace {

using testing::ArchiveBuilder;

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

std::string read_all(Inode& inode) {
  std::string contents;
  std::vector<std::byte> buffer(4096);
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

void write_text(Inode& inode, uint64_t offset, std::string_view text) {
  // Safety: std::byte and char have the same size and char may alias anything.
  std::span bytes(reinterpret_cast<const std::byte*>(text.data()), text.size());
  auto written = inode.write(offset, bytes);
  ASSERT_TRUE(written) << errno_name(written.error());
  EXPECT_EQ(*written, text.size());
}

// Names in a directory listing, "." and ".." left out, in listing order.
std::vector<std::string> names(Inode& directory) {
  std::vector<std::string> listed;
  auto result = directory.read_directory(0, [&](const DirectoryEntry& entry, uint64_t) {
    if (entry.name != "." && entry.name != "..") {
      listed.push_back(entry.name);
    }
    return true;
  });
  EXPECT_TRUE(result);
  return listed;
}

std::set<std::string> name_set(Inode& directory) {
  std::vector<std::string> listed = names(directory);
  return {listed.begin(), listed.end()};
}

// The upper layer is either the tests' own small file system or memfs.
class OverlayTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ArchiveBuilder archive;
    archive.add({.name = "etc/", .type = '5', .mode = 0750, .uid = 7, .gid = 8, .modify_time = 500})
        .add({.name = "etc/conf",
              .data = "lower contents\n",
              .mode = 0640,
              .uid = 5,
              .gid = 6,
              .modify_time = 1234})
        .add({.name = "etc/other", .data = "other\n"})
        .add({.name = "etc/link", .type = '2', .link = "conf", .uid = 9, .modify_time = 77})
        .add({.name = "etc/hard", .type = '1', .link = "etc/conf"})
        .add({.name = "dir/sub/deep", .data = "deep\n"})
        .add({.name = "empty/", .type = '5'})
        .add({.name = "null", .type = '3', .device_major = 1, .device_minor = 3})
        .end();
    archive_ = archive.bytes();
    auto lower =
        TarFileSystem::create(archive_, [](std::string_view line) { ADD_FAILURE() << line; });
    ASSERT_TRUE(lower) << lower.error().message;
    lower_ = *lower;
    if (GetParam() == "memfs") {
      upper_ = memfs::create();
    } else {
      upper_ = std::make_shared<testing::TestMemoryFileSystem>();
    }
    auto overlay = OverlayFileSystem::create(upper_, lower_);
    ASSERT_TRUE(overlay);
    overlay_ = *overlay;
    root_ = overlay_->root();
  }

  std::shared_ptr<Inode> at(std::string_view path) {
    auto inode = walk(*root_, path);
    EXPECT_TRUE(inode) << path << ": " << errno_name(inode.error());
    return inode ? *inode : nullptr;
  }

  std::vector<std::byte> archive_;
  std::shared_ptr<TarFileSystem> lower_;
  std::shared_ptr<FileSystem> upper_;
  std::shared_ptr<OverlayFileSystem> overlay_;
  std::shared_ptr<Inode> root_;
};

TEST_P(OverlayTest, ReadsLowerObjects) {
  EXPECT_EQ(read_all(*at("etc/conf")), "lower contents\n");
  EXPECT_EQ(at("etc/link")->read_link().value(), "conf");
  EXPECT_EQ(at("null")->stat()->rdev, lower_->root()->lookup("null").value()->stat()->rdev);
  EXPECT_EQ(at("etc/conf")->stat()->device, overlay_->device());
  EXPECT_EQ(overlay_->type_name(), "overlay");
  EXPECT_FALSE(overlay_->read_only());
}

TEST_P(OverlayTest, WriteCopiesUp) {
  std::shared_ptr<Inode> conf = at("etc/conf");
  Stat before = conf->stat().value();

  write_text(*conf, 0, "UPPER");

  EXPECT_EQ(read_all(*conf), "UPPER contents\n");
  EXPECT_EQ(read_all(*at("etc/conf")), "UPPER contents\n");
  // The lower layer is untouched.
  EXPECT_EQ(read_all(*walk(*lower_->root(), "etc/conf").value()), "lower contents\n");
  // The copy and its new parent carry the lower mode, owner and times.
  Stat upper_file = walk(*upper_->root(), "etc/conf").value()->stat().value();
  EXPECT_EQ(upper_file.mode, before.mode);
  EXPECT_EQ(upper_file.uid, 5u);
  EXPECT_EQ(upper_file.gid, 6u);
  Stat upper_directory = walk(*upper_->root(), "etc").value()->stat().value();
  EXPECT_EQ(upper_directory.mode, mode_of(FileType::directory, 0750));
  EXPECT_EQ(upper_directory.uid, 7u);
  EXPECT_EQ(upper_directory.gid, 8u);
  EXPECT_EQ(upper_directory.modify_time.seconds, 500);
  // The inode number survives copy-up.
  EXPECT_EQ(conf->stat()->inode, before.inode);
}

TEST_P(OverlayTest, ChmodCopiesUpKeepingTimes) {
  std::shared_ptr<Inode> conf = at("etc/conf");

  ASSERT_TRUE(conf->change_attributes({.permissions = 0600}));

  Stat status = conf->stat().value();
  EXPECT_EQ(status.mode, mode_of(FileType::regular, 0600));
  EXPECT_EQ(status.modify_time.seconds, 1234);
  EXPECT_EQ(status.uid, 5u);
  EXPECT_EQ(read_all(*conf), "lower contents\n");
  EXPECT_TRUE(walk(*upper_->root(), "etc/conf"));
}

TEST_P(OverlayTest, ChownOfSymlinkCopiesUp) {
  ASSERT_TRUE(at("etc/link")->change_attributes({.uid = 42}));

  EXPECT_EQ(at("etc/link")->stat()->uid, 42u);
  EXPECT_EQ(at("etc/link")->read_link().value(), "conf");
  EXPECT_EQ(walk(*upper_->root(), "etc/link").value()->read_link().value(), "conf");
}

TEST_P(OverlayTest, TruncateCopiesUp) {
  std::shared_ptr<Inode> conf = at("etc/conf");

  ASSERT_TRUE(conf->change_attributes({.size = 5}));

  EXPECT_EQ(read_all(*conf), "lower");
  EXPECT_EQ(conf->stat()->size, 5);
  EXPECT_EQ(read_all(*walk(*lower_->root(), "etc/conf").value()), "lower contents\n");
}

TEST_P(OverlayTest, MergedListingHasNoDuplicates) {
  std::shared_ptr<Inode> etc = at("etc");
  write_text(*at("etc/other"), 0, "changed");
  ASSERT_TRUE(etc->create("new", FileType::regular, 0644, 0, 0, 0));

  std::vector<std::string> listed = names(*etc);

  std::set<std::string> unique(listed.begin(), listed.end());
  EXPECT_EQ(unique.size(), listed.size());
  EXPECT_EQ(unique, (std::set<std::string>{"conf", "other", "link", "hard", "new"}));
}

TEST_P(OverlayTest, ListingReportsStatInodeNumbers) {
  std::shared_ptr<Inode> etc = at("etc");
  write_text(*at("etc/other"), 0, "changed");
  ASSERT_TRUE(etc->create("new", FileType::regular, 0644, 0, 0, 0));

  auto result = etc->read_directory(0, [&](const DirectoryEntry& entry, uint64_t) {
    if (entry.name == "..") {
      return true;
    }
    auto inode = etc->lookup(entry.name == "." ? ".." : entry.name);
    if (entry.name == ".") {
      EXPECT_EQ(entry.inode, etc->stat()->inode);
      return true;
    }
    EXPECT_EQ(entry.inode, inode.value()->stat()->inode) << entry.name;
    return true;
  });
  EXPECT_TRUE(result);
}

TEST_P(OverlayTest, UnlinkLowerFileLeavesWhiteout) {
  std::shared_ptr<Inode> etc = at("etc");

  ASSERT_TRUE(etc->unlink("other"));

  EXPECT_EQ(etc->lookup("other").error(), Errno::enoent);
  EXPECT_EQ(name_set(*etc).count("other"), 0u);
  EXPECT_EQ(etc->unlink("other").error(), Errno::enoent);
  EXPECT_TRUE(walk(*lower_->root(), "etc/other"));

  auto created = etc->create("other", FileType::regular, 0600, 0, 0, 0);
  ASSERT_TRUE(created);
  EXPECT_EQ(read_all(**created), "");
  EXPECT_EQ(name_set(*etc).count("other"), 1u);
}

TEST_P(OverlayTest, UnlinkCopiedUpFileKeepsItHidden) {
  std::shared_ptr<Inode> etc = at("etc");
  write_text(*at("etc/other"), 0, "changed");

  ASSERT_TRUE(etc->unlink("other"));

  EXPECT_EQ(etc->lookup("other").error(), Errno::enoent);
  EXPECT_EQ(walk(*upper_->root(), "etc/other").error(), Errno::enoent);
}

TEST_P(OverlayTest, OpenFileSurvivesUnlinkAndWrite) {
  std::shared_ptr<Inode> other = at("etc/other");
  ASSERT_TRUE(at("etc")->unlink("other"));

  write_text(*other, 0, "still writable\n");

  EXPECT_EQ(read_all(*other), "still writable\n");
  EXPECT_EQ(at("etc")->lookup("other").error(), Errno::enoent);
  for (const std::string& name : names(*upper_->root())) {
    EXPECT_EQ(name.find("copy-up"), std::string::npos) << name;
  }
}

TEST_P(OverlayTest, RemovedDirectoryComesBackOpaque) {
  ASSERT_EQ(root_->remove_directory("dir").error(), Errno::enotempty);
  std::shared_ptr<Inode> sub = at("dir/sub");
  ASSERT_TRUE(sub->unlink("deep"));
  ASSERT_TRUE(at("dir")->remove_directory("sub"));
  ASSERT_TRUE(root_->remove_directory("dir"));
  EXPECT_EQ(root_->lookup("dir").error(), Errno::enoent);

  auto made = root_->make_directory("dir", 0700, 0, 0);
  ASSERT_TRUE(made);
  EXPECT_TRUE(names(**made).empty());
  EXPECT_EQ((*made)->lookup("sub").error(), Errno::enoent);
  EXPECT_EQ((*made)->stat()->mode, mode_of(FileType::directory, 0700));
}

TEST_P(OverlayTest, RemoveEmptyLowerDirectory) {
  ASSERT_TRUE(root_->remove_directory("empty"));

  EXPECT_EQ(root_->lookup("empty").error(), Errno::enoent);
  EXPECT_EQ(name_set(*root_).count("empty"), 0u);
  EXPECT_EQ(root_->unlink("etc").error(), Errno::eisdir);
  EXPECT_EQ(at("etc")->remove_directory("conf").error(), Errno::enotdir);
}

TEST_P(OverlayTest, RenameLowerFile) {
  std::shared_ptr<Inode> etc = at("etc");
  uint64_t number = at("etc/conf")->stat()->inode;

  ASSERT_TRUE(etc->rename("conf", *root_, "moved", 0));

  EXPECT_EQ(etc->lookup("conf").error(), Errno::enoent);
  EXPECT_EQ(read_all(*at("moved")), "lower contents\n");
  EXPECT_EQ(at("moved")->stat()->inode, number);
  EXPECT_EQ(name_set(*etc).count("conf"), 0u);
  EXPECT_EQ(name_set(*root_).count("moved"), 1u);
}

TEST_P(OverlayTest, RenameOverLowerFile) {
  std::shared_ptr<Inode> etc = at("etc");

  ASSERT_TRUE(etc->rename("other", *etc, "conf", 0));

  EXPECT_EQ(read_all(*at("etc/conf")), "other\n");
  EXPECT_EQ(etc->lookup("other").error(), Errno::enoent);
  std::vector<std::string> listed = names(*etc);
  EXPECT_EQ(std::count(listed.begin(), listed.end(), "conf"), 1);
}

TEST_P(OverlayTest, RenameNoReplaceAndTypeChecks) {
  std::shared_ptr<Inode> etc = at("etc");

  EXPECT_EQ(etc->rename("other", *etc, "conf", rename_noreplace).error(), Errno::eexist);
  EXPECT_EQ(root_->rename("empty", *etc, "conf", 0).error(), Errno::exdev);
  ASSERT_TRUE(root_->make_directory("fresh", 0755, 0, 0));
  EXPECT_EQ(root_->rename("fresh", *etc, "conf", 0).error(), Errno::enotdir);
  EXPECT_EQ(etc->rename("conf", *root_, "fresh", 0).error(), Errno::eisdir);
  EXPECT_EQ(etc->rename("missing", *root_, "x", 0).error(), Errno::enoent);
}

TEST_P(OverlayTest, RenameLowerDirectoryIsCrossDevice) {
  EXPECT_EQ(root_->rename("dir", *root_, "renamed", 0).error(), Errno::exdev);
  EXPECT_TRUE(root_->lookup("dir"));
}

TEST_P(OverlayTest, RenameUpperDirectoryOverLowerDirectory) {
  auto fresh = root_->make_directory("fresh", 0755, 0, 0);
  ASSERT_TRUE(fresh);
  ASSERT_TRUE((*fresh)->create("inside", FileType::regular, 0644, 0, 0, 0));

  ASSERT_TRUE(root_->rename("fresh", *root_, "empty", 0));

  EXPECT_EQ(names(*at("empty")), std::vector<std::string>{"inside"});
  EXPECT_EQ(root_->lookup("fresh").error(), Errno::enoent);
}

TEST_P(OverlayTest, RenameExchangeSwapsLowerFiles) {
  std::shared_ptr<Inode> etc = at("etc");

  ASSERT_TRUE(etc->rename("conf", *etc, "other", rename_exchange));

  EXPECT_EQ(read_all(*at("etc/conf")), "other\n");
  EXPECT_EQ(read_all(*at("etc/other")), "lower contents\n");
}

TEST_P(OverlayTest, HardLinkToLowerFile) {
  std::shared_ptr<Inode> conf = at("etc/conf");

  ASSERT_TRUE(root_->link("linked", conf));

  EXPECT_EQ(at("linked")->stat()->inode, conf->stat()->inode);
  EXPECT_EQ(conf->stat()->link_count, 2u);
  write_text(*at("linked"), 0, "shared");
  EXPECT_EQ(read_all(*conf).substr(0, 6), "shared");
  EXPECT_EQ(root_->link("x", at("etc")).error(), Errno::eperm);
  EXPECT_EQ(root_->link("linked", conf).error(), Errno::eexist);
}

TEST_P(OverlayTest, CreateExistingLowerNameFails) {
  std::shared_ptr<Inode> etc = at("etc");

  EXPECT_EQ(etc->create("conf", FileType::regular, 0644, 0, 0, 0).error(), Errno::eexist);
  EXPECT_EQ(etc->make_directory("other", 0755, 0, 0).error(), Errno::eexist);
  EXPECT_EQ(etc->make_symlink("link", "x", 0, 0).error(), Errno::eexist);
  EXPECT_EQ(at("etc/conf")->lookup("x").error(), Errno::enotdir);
}

TEST_P(OverlayTest, DotDotFollowsRename) {
  auto fresh = root_->make_directory("fresh", 0755, 0, 0);
  ASSERT_TRUE(fresh);
  ASSERT_TRUE(root_->rename("fresh", *at("empty"), "moved", 0));

  EXPECT_EQ(at("empty/moved")->lookup("..").value(), at("empty"));
  EXPECT_EQ(root_->lookup("..").value(), root_);
}

TEST_P(OverlayTest, ListingResumesAcrossRemovals) {
  std::shared_ptr<Inode> etc = at("etc");
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(etc->create("file" + std::to_string(i), FileType::regular, 0644, 0, 0, 0));
  }

  // Read a few entries at a time and remove each one read, as rm -r does.
  std::multiset<std::string> seen;
  uint64_t position = 0;
  bool more = true;
  while (more) {
    std::vector<std::string> batch;
    more = false;
    auto result = etc->read_directory(position, [&](const DirectoryEntry& entry, uint64_t next) {
      batch.push_back(entry.name);
      position = next;
      more = true;
      return batch.size() < 3;
    });
    ASSERT_TRUE(result);
    for (const std::string& name : batch) {
      seen.insert(name);
      if (name != "." && name != "..") {
        ASSERT_TRUE(etc->unlink(name)) << name;
      }
    }
  }

  EXPECT_EQ(seen.size(), 2u + 10u + 4u);
  for (const std::string& name : seen) {
    EXPECT_EQ(seen.count(name), 1u) << name;
  }
  EXPECT_TRUE(names(*etc).empty());
}

TEST_P(OverlayTest, LongListingIsComplete) {
  std::shared_ptr<Inode> etc = at("etc");
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(etc->create("file" + std::to_string(i), FileType::regular, 0644, 0, 0, 0));
  }

  std::vector<std::string> listed = names(*etc);

  std::set<std::string> unique(listed.begin(), listed.end());
  EXPECT_EQ(listed.size(), 150u + 4u);
  EXPECT_EQ(unique.size(), listed.size());
  EXPECT_EQ(unique.count("file149"), 1u);
  EXPECT_EQ(unique.count("conf"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Upper, OverlayTest, ::testing::Values("testfs", "memfs"));

}  // namespace
}  // namespace litebox::fs
