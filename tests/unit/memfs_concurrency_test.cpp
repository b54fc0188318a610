// memfs and Vfs under concurrent use from several threads: the tree stays a
// tree and file data stays whole.
#include <set>

#include "test_threads.hpp"
#include "vfs_test_support.hpp"

namespace litebox::testing {
namespace {

constexpr int iterations = 2000;

// Follows ".." from `location` to the root; false if that takes more steps
// than the tree can be deep, which means a cycle.
bool reaches_root(fs::Vfs& vfs, const fs::PathContext& context, fs::Location location) {
  for (int depth = 0; depth < 64; ++depth) {
    if (fs::same_location(location, vfs.root())) {
      return true;
    }
    auto parent = vfs.resolve(context, location, "..", 0);
    if (!parent) {
      return false;
    }
    location = *parent;
  }
  return false;
}

TEST(MemfsConcurrency, CrossingDirectoryRenamesKeepTree) {
  Sandbox sandbox("/work");
  fs::Vfs& vfs = sandbox.vfs();
  fs::PathContext& context = sandbox.context;
  ASSERT_TRUE(vfs.make_directory(context, sandbox.cwd(), "a", 0755));
  ASSERT_TRUE(vfs.make_directory(context, sandbox.cwd(), "b", 0755));
  auto a = vfs.resolve(context, sandbox.cwd(), "a", 0);
  auto b = vfs.resolve(context, sandbox.cwd(), "b", 0);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);

  // Each thread moves one directory into the other and back. Checked one
  // at a time, both moves could pass the ancestor check and make a cycle.
  auto mover = [&](const std::string& name, const std::string& into) {
    return [&, name, into] {
      for (int i = 0; i < iterations; ++i) {
        auto moved = vfs.rename(context, sandbox.cwd(), name, sandbox.cwd(), into + "/" + name, 0);
        if (moved) {
          EXPECT_TRUE(
              vfs.rename(context, sandbox.cwd(), into + "/" + name, sandbox.cwd(), name, 0));
        } else {
          EXPECT_TRUE(moved.error() == Errno::einval || moved.error() == Errno::enoent)
              << static_cast<int>(moved.error());
        }
      }
    };
  };
  {
    TestThread first(mover("a", "b"));
    TestThread second(mover("b", "a"));
    EXPECT_TRUE(first.join_within());
    EXPECT_TRUE(second.join_within());
  }

  EXPECT_TRUE(reaches_root(vfs, context, *a));
  EXPECT_TRUE(reaches_root(vfs, context, *b));
  EXPECT_TRUE(vfs.stat(context, sandbox.cwd(), "a", 0));
  EXPECT_TRUE(vfs.stat(context, sandbox.cwd(), "b", 0));
}

TEST(MemfsConcurrency, ListingDuringCreateAndUnlinkSeesStableEntries) {
  Sandbox sandbox("/work");
  fs::Vfs& vfs = sandbox.vfs();
  fs::PathContext& context = sandbox.context;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        vfs.open(context, sandbox.cwd(), "keep" + std::to_string(i), O_CREAT | O_WRONLY, 0644));
  }
  std::shared_ptr<fs::Inode> directory = sandbox.cwd().inode;

  TestThread churn([&] {
    for (int i = 0; i < iterations; ++i) {
      std::string name = "temp" + std::to_string(i % 10);
      auto created = vfs.open(context, sandbox.cwd(), name, O_CREAT | O_WRONLY, 0644);
      EXPECT_TRUE(created);
      EXPECT_TRUE(vfs.unlink(context, sandbox.cwd(), name, 0));
    }
  });

  // Every listing must show each permanent entry exactly once.
  for (int round = 0; round < 200; ++round) {
    std::multiset<std::string> seen;
    ASSERT_TRUE(directory->read_directory(0, [&](const fs::DirectoryEntry& entry, uint64_t) {
      if (entry.name.starts_with("keep")) {
        seen.insert(entry.name);
      }
      return true;
    }));
    ASSERT_EQ(seen.size(), 50u);
    ASSERT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 50u);
  }
  EXPECT_TRUE(churn.join_within());
}

TEST(MemfsConcurrency, ParallelWritersKeepTheirData) {
  Sandbox sandbox("/work");
  fs::Vfs& vfs = sandbox.vfs();
  fs::PathContext& context = sandbox.context;

  auto writer = [&](char letter) {
    return [&, letter] {
      std::string name(1, letter);
      auto file = vfs.open(context, sandbox.cwd(), name, O_CREAT | O_RDWR, 0644);
      ASSERT_TRUE(file);
      std::string block(1000, letter);
      for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE((*file)->write(std::as_bytes(std::span(block))));
      }
    };
  };
  {
    TestThread first(writer('x'));
    TestThread second(writer('y'));
    EXPECT_TRUE(first.join_within());
    EXPECT_TRUE(second.join_within());
  }

  for (char letter : {'x', 'y'}) {
    auto file = vfs.open(context, sandbox.cwd(), std::string(1, letter), O_RDONLY, 0);
    ASSERT_TRUE(file);
    std::string content(200000, '\0');
    auto count = (*file)->read(std::as_writable_bytes(std::span(content)));
    ASSERT_TRUE(count);
    EXPECT_EQ(content.substr(0, *count), std::string(100000, letter));
  }
}

}  // namespace
}  // namespace litebox::testing
