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
  std::optional<int32_t> current_tid() override { return 9; }
  std::vector<int32_t> descriptors(int32_t pid) override {
    if (pid != 7) {
      return {};
    }
    return {0, 4};
  }
  Result<DescriptorView> descriptor(int32_t pid, int32_t number) override {
    if (pid != 7 || (number != 0 && number != 4)) {
      return fail(Errno::enoent);
    }
    DescriptorView view;
    view.link = number == 0 ? "/dev/null" : "pipe:[12]";
    view.info = "flags:\t0" + std::to_string(number) + "\n";
    view.readable = number == 0;
    view.writable = true;
    return view;
  }
  std::vector<int32_t> threads(int32_t pid) override {
    if (pid != 7) {
      return {};
    }
    return {7, 9};
  }
  Result<std::string> thread_file(int32_t pid, int32_t tid, std::string_view name) override {
    if (pid != 7 || (tid != 7 && tid != 9)) {
      return fail(Errno::enoent);
    }
    return std::string(name) + " of thread " + std::to_string(tid);
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

std::vector<std::string> list(Inode& directory) {
  std::vector<std::string> names;
  auto listed = directory.read_directory(0, [&](const DirectoryEntry& entry, uint64_t) {
    names.push_back(entry.name);
    return true;
  });
  EXPECT_TRUE(listed);
  return names;
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

TEST(Procfs, ThreadSelfLinksToTask) {
  auto file_system = create(std::make_shared<FakeProvider>());

  auto thread_self = walk(*file_system, {"thread-self"});

  ASSERT_TRUE(thread_self);
  EXPECT_EQ(thread_self->read_link(), "7/task/9");
}

TEST(Procfs, ProcessListsDescriptorDirectories) {
  auto file_system = create(std::make_shared<FakeProvider>());
  auto process = walk(*file_system, {"7"});
  ASSERT_TRUE(process);

  std::vector<std::string> names = list(*process);

  EXPECT_NE(std::find(names.begin(), names.end(), "fd"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "fdinfo"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "task"), names.end());
}

TEST(Procfs, DescriptorDirectoryListsOpenDescriptors) {
  auto file_system = create(std::make_shared<FakeProvider>());
  auto descriptors = walk(*file_system, {"7", "fd"});
  ASSERT_TRUE(descriptors);

  std::vector<std::string> names = list(*descriptors);

  EXPECT_EQ(names, (std::vector<std::string>{".", "..", "0", "4"}));
}

TEST(Procfs, DescriptorLinkReadsTarget) {
  auto file_system = create(std::make_shared<FakeProvider>());

  auto null = walk(*file_system, {"7", "fd", "0"});
  auto pipe = walk(*file_system, {"7", "fd", "4"});

  ASSERT_TRUE(null);
  ASSERT_TRUE(pipe);
  EXPECT_EQ(null->read_link(), "/dev/null");
  EXPECT_EQ(pipe->read_link(), "pipe:[12]");
}

TEST(Procfs, DescriptorLinkModeFollowsAccess) {
  auto file_system = create(std::make_shared<FakeProvider>());
  auto read_write = walk(*file_system, {"7", "fd", "0"});
  auto write_only = walk(*file_system, {"7", "fd", "4"});
  ASSERT_TRUE(read_write);
  ASSERT_TRUE(write_only);

  auto read_write_status = read_write->stat();
  auto write_only_status = write_only->stat();

  ASSERT_TRUE(read_write_status);
  ASSERT_TRUE(write_only_status);
  EXPECT_EQ(read_write_status->mode, mode_of(FileType::symlink, 0700));
  EXPECT_EQ(write_only_status->mode, mode_of(FileType::symlink, 0300));
}

TEST(Procfs, ClosedDescriptorNotFound) {
  auto file_system = create(std::make_shared<FakeProvider>());
  auto descriptors = walk(*file_system, {"7", "fd"});
  ASSERT_TRUE(descriptors);

  auto missing = descriptors->lookup("3");

  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), Errno::enoent);
}

TEST(Procfs, DescriptorInfoComesFromProvider) {
  auto file_system = create(std::make_shared<FakeProvider>());
  auto info = walk(*file_system, {"7", "fdinfo", "4"});
  ASSERT_TRUE(info);

  auto file = info->open(0);

  ASSERT_TRUE(file);
  EXPECT_EQ(read_all(**file), "flags:\t04\n");
}

TEST(Procfs, TaskListsThreads) {
  auto file_system = create(std::make_shared<FakeProvider>());
  auto tasks = walk(*file_system, {"7", "task"});
  ASSERT_TRUE(tasks);

  std::vector<std::string> names = list(*tasks);

  EXPECT_EQ(names, (std::vector<std::string>{".", "..", "7", "9"}));
}

TEST(Procfs, ThreadFileNamesThread) {
  auto file_system = create(std::make_shared<FakeProvider>());
  auto stat = walk(*file_system, {"7", "task", "9", "stat"});
  ASSERT_TRUE(stat);

  auto file = stat->open(0);

  ASSERT_TRUE(file);
  EXPECT_EQ(read_all(**file), "stat of thread 9");
}

TEST(Procfs, ThreadHasNoTaskDirectory) {
  auto file_system = create(std::make_shared<FakeProvider>());
  auto thread = walk(*file_system, {"7", "task", "9"});
  ASSERT_TRUE(thread);

  auto task = thread->lookup("task");

  ASSERT_FALSE(task);
  EXPECT_EQ(task.error(), Errno::enoent);
}

TEST(Procfs, DotDotReturnsParent) {
  auto file_system = create(std::make_shared<FakeProvider>());
  auto descriptors = walk(*file_system, {"7", "fd"});
  auto process = walk(*file_system, {"7"});
  ASSERT_TRUE(descriptors);
  ASSERT_TRUE(process);

  auto parent = descriptors->lookup("..");
  auto root_parent = file_system->root()->lookup("..");

  ASSERT_TRUE(parent);
  ASSERT_TRUE(root_parent);
  EXPECT_EQ((*parent)->stat()->inode, process->stat()->inode);
  EXPECT_EQ((*root_parent)->stat()->inode, file_system->root()->stat()->inode);
}

}  // namespace
}  // namespace litebox::fs::procfs
