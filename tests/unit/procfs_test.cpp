// procfs on a fake provider: the tree, /proc/self and snapshot reads.
#include "litebox/fs/procfs.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "litebox/fd/file.hpp"
#include "litebox/fd/open_flags.hpp"

namespace litebox::fs::procfs {
namespace {

class FakeProvider final : public Provider {
 public:
  std::optional<int32_t> current_pid() override { return 7; }
  std::vector<int32_t> pids() override { return {7}; }
  Result<std::string> process_file(int32_t pid, std::string_view name) override {
    if (pid != 7) {
      return fail(Errno::enoent);
    }
    ++generations;
    return std::string(name) + " of 7, generation " + std::to_string(generations);
  }
  Result<std::string> process_link(int32_t pid, std::string_view name) override {
    if (pid != 7) {
      return fail(Errno::enoent);
    }
    return "/target/" + std::string(name);
  }
  Result<std::string> system_file(std::string_view path) override {
    return "system " + std::string(path);
  }

  int generations = 0;
};

std::shared_ptr<Inode> walk(FileSystem& file_system, std::vector<std::string_view> names) {
  std::shared_ptr<Inode> inode = file_system.root();
  for (std::string_view name : names) {
    Result<std::shared_ptr<Inode>> next = inode->lookup(name);
    EXPECT_TRUE(next) << name;
    if (!next) {
      return nullptr;
    }
    inode = *next;
  }
  return inode;
}

std::string read_all(fd::File& file) {
  std::string text(256, '\0');
  Result<size_t> count = file.read(std::as_writable_bytes(std::span(text)));
  EXPECT_TRUE(count);
  text.resize(count ? *count : 0);
  return text;
}

TEST(Procfs, SelfLinksToCurrentPid) {
  auto provider = std::make_shared<FakeProvider>();
  auto file_system = create(provider);

  auto self = walk(*file_system, {"self"});

  ASSERT_TRUE(self);
  EXPECT_EQ(self->read_link(), "7");
}

TEST(Procfs, ProcessLinkComesFromProvider) {
  auto file_system = create(std::make_shared<FakeProvider>());

  auto exe = walk(*file_system, {"7", "exe"});

  ASSERT_TRUE(exe);
  EXPECT_EQ(exe->read_link(), "/target/exe");
}

TEST(Procfs, UnknownPidNotFound) {
  auto file_system = create(std::make_shared<FakeProvider>());

  Result<std::shared_ptr<Inode>> missing = file_system->root()->lookup("8");

  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), Errno::enoent);
}

TEST(Procfs, OpenTakesSnapshot) {
  auto provider = std::make_shared<FakeProvider>();
  auto file_system = create(provider);
  auto status = walk(*file_system, {"7", "status"});
  ASSERT_TRUE(status);

  auto file = status->open(0);
  ASSERT_TRUE(file);
  std::string first = read_all(**file);
  ASSERT_EQ((*file)->seek(0, fd::SeekOrigin::set), 0u);
  std::string second = read_all(**file);

  EXPECT_EQ(first, "status of 7, generation 1");
  EXPECT_EQ(second, first);
  EXPECT_EQ(provider->generations, 1);
}

TEST(Procfs, NestedSystemFile) {
  auto file_system = create(std::make_shared<FakeProvider>());
  auto hostname = walk(*file_system, {"sys", "kernel", "hostname"});
  ASSERT_TRUE(hostname);

  auto file = hostname->open(0);

  ASSERT_TRUE(file);
  EXPECT_EQ(read_all(**file), "system sys/kernel/hostname");
}

TEST(Procfs, WriteOpenRejected) {
  auto file_system = create(std::make_shared<FakeProvider>());
  auto meminfo = walk(*file_system, {"meminfo"});
  ASSERT_TRUE(meminfo);

  auto file = meminfo->open(fd::open_write_only);

  ASSERT_FALSE(file);
  EXPECT_EQ(file.error(), Errno::eacces);
}

TEST(Procfs, RootListsSelfAndPids) {
  auto file_system = create(std::make_shared<FakeProvider>());
  std::vector<std::string> names;

  auto listed = file_system->root()->read_directory(0, [&](const DirectoryEntry& entry, uint64_t) {
    names.push_back(entry.name);
    return true;
  });

  ASSERT_TRUE(listed);
  EXPECT_NE(std::find(names.begin(), names.end(), "self"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "7"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "sys"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "cpuinfo"), names.end());
}

}  // namespace
}  // namespace litebox::fs::procfs
