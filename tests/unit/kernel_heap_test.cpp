// The kernel heap's arena (src/cli/kernel_heap.cpp), driven through an
// arena of each test's own rather than through the global operator new.
#include "kernel_heap.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

namespace litebox::cli {
namespace {

constexpr size_t page_size = 4096;

uint64_t address_of(const void* block) {
  // Safety: converts a block address to an integer to test its alignment.
  return reinterpret_cast<uint64_t>(block);
}

class KernelHeapTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(heap_.map()); }
  void TearDown() override { heap_.unmap(); }

  KernelHeap heap_;
};

TEST_F(KernelHeapTest, AlignsEveryClass) {
  for (unsigned size_class = 4; size_class <= 20; ++size_class) {
    const size_t size = size_t{1} << size_class;
    SCOPED_TRACE(size);

    void* exact = heap_.allocate(size, 0);
    void* smaller = heap_.allocate(size / 2 + 1, 0);
    void* aligned = heap_.allocate(1, size);

    ASSERT_NE(exact, nullptr);
    ASSERT_NE(smaller, nullptr);
    ASSERT_NE(aligned, nullptr);
    EXPECT_EQ(address_of(exact) % size, 0U);
    EXPECT_EQ(address_of(smaller) % size, 0U);
    EXPECT_EQ(address_of(aligned) % size, 0U);
    EXPECT_EQ(heap_.block_size(exact), size);
    EXPECT_EQ(heap_.block_size(smaller), size);
    EXPECT_EQ(heap_.block_size(aligned), size);
  }
}

TEST_F(KernelHeapTest, SmallestClassIsSixteenBytes) {
  void* block = heap_.allocate(1, 0);

  ASSERT_NE(block, nullptr);
  EXPECT_EQ(heap_.block_size(block), 16U);
  EXPECT_EQ(address_of(block) % 16, 0U);
}

TEST_F(KernelHeapTest, RejectsBlockLargerThanLargestClass) {
  EXPECT_EQ(heap_.allocate((size_t{1} << 31) + 1, 0), nullptr);
}

TEST_F(KernelHeapTest, BlocksDoNotOverlap) {
  // About 5 MiB of blocks, past the first 2 MiB of the arena, each filled
  // with its own byte.
  struct Block {
    unsigned char* start;
    size_t size;
    unsigned char fill;
  };
  std::vector<Block> blocks;
  for (size_t i = 0; i < 2000; ++i) {
    const size_t size = (i * 37 % 5000) + 1;
    auto* start = static_cast<unsigned char*>(heap_.allocate(size, 0));
    ASSERT_NE(start, nullptr);
    const auto fill = static_cast<unsigned char>(i);
    std::memset(start, fill, size);
    blocks.push_back({start, size, fill});
  }

  std::ranges::sort(blocks, {}, &Block::start);
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Block& block = blocks[i];
    EXPECT_EQ(heap_.block_size(block.start), std::bit_ceil(std::max(block.size, size_t{16})))
        << "block " << i;
    if (i > 0) {
      EXPECT_LE(blocks[i - 1].start + heap_.block_size(blocks[i - 1].start), block.start)
          << "block " << i;
    }
    EXPECT_TRUE(std::all_of(block.start, block.start + block.size,
                            [&](unsigned char byte) { return byte == block.fill; }))
        << "block " << i;
  }
}

TEST_F(KernelHeapTest, ReusesFreedBlockOfSameClass) {
  void* first = heap_.allocate(100, 0);
  ASSERT_NE(first, nullptr);

  heap_.release(first);
  void* other_class = heap_.allocate(300, 0);
  void* same_class = heap_.allocate(120, 0);

  EXPECT_NE(other_class, first);
  EXPECT_EQ(same_class, first);
}

TEST_F(KernelHeapTest, ReleaseOfNullDoesNothing) {
  heap_.release(nullptr);
  void* block = heap_.allocate(16, 0);

  EXPECT_NE(block, nullptr);
}

TEST_F(KernelHeapTest, LargeBlockReleaseReturnsPagesToHost) {
  constexpr size_t size = size_t{1} << 20;
  auto* block = static_cast<unsigned char*>(heap_.allocate(size, 0));
  ASSERT_NE(block, nullptr);
  std::memset(block, 0xab, size);

  heap_.release(block);

  std::vector<unsigned char> residency(size / page_size);
  ASSERT_EQ(mincore(block, size, residency.data()), 0);
  EXPECT_EQ(residency[0] & 1, 1) << "the first page keeps the free-list link";
  for (size_t page = 1; page < residency.size(); ++page) {
    EXPECT_EQ(residency[page] & 1, 0) << "page " << page;
  }
  EXPECT_EQ(block[page_size], 0);
  EXPECT_EQ(block[size - 1], 0);
}

TEST_F(KernelHeapTest, SmallBlockReleaseKeepsContents) {
  constexpr size_t size = 32 * 1024;
  auto* block = static_cast<unsigned char*>(heap_.allocate(size, 0));
  ASSERT_NE(block, nullptr);
  std::memset(block, 0xab, size);

  heap_.release(block);

  EXPECT_EQ(block[page_size], 0xab);
  EXPECT_EQ(block[size - 1], 0xab);
}

TEST_F(KernelHeapTest, SmallClassesShareFewPages) {
  // One block of each class from 16 bytes to 2 KiB: 8 classes.
  std::set<uint64_t> pages;
  for (unsigned size_class = 4; size_class <= 11; ++size_class) {
    void* block = heap_.allocate(size_t{1} << size_class, 0);
    ASSERT_NE(block, nullptr);
    pages.insert(address_of(block) / page_size);
  }

  EXPECT_LE(pages.size(), 3U);
}

// Waits for `child` to exit with a bound, kills it past the bound, and
// returns its wait status (or -1 when it had to be killed).
int wait_for_child(pid_t child) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(child, &status, WNOHANG) == child) {
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return -1;
}

// A block that one process allocated and filled with its tag.
struct TaggedBlock {
  unsigned char* start;
  size_t size;
  unsigned char tag;
};

// Allocates `count` blocks of mixed sizes, fills each with `tag` and records
// it in `records`. Returns false when the arena runs out.
bool allocate_tagged(KernelHeap& heap, TaggedBlock* records, size_t count, unsigned char tag) {
  for (size_t i = 0; i < count; ++i) {
    const size_t size = (i * 53 % 3000) + 1;
    auto* block = static_cast<unsigned char*>(heap.allocate(size, 0));
    if (block == nullptr) {
      return false;
    }
    std::memset(block, tag, size);
    records[i] = {block, size, tag};
  }
  return true;
}

TEST_F(KernelHeapTest, ForkedProcessesAllocateConcurrently) {
  constexpr size_t count = 3000;
  // The child reports its blocks through the shared arena itself.
  auto* child_blocks =
      static_cast<TaggedBlock*>(heap_.allocate(count * sizeof(TaggedBlock), alignof(TaggedBlock)));
  ASSERT_NE(child_blocks, nullptr);
  std::vector<TaggedBlock> parent_blocks(count);

  const pid_t child = fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    _exit(allocate_tagged(heap_, child_blocks, count, 0xc1) ? 0 : 1);
  }
  const bool parent_allocated = allocate_tagged(heap_, parent_blocks.data(), count, 0x9a);
  const int status = wait_for_child(child);

  ASSERT_TRUE(parent_allocated);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  ASSERT_EQ(WEXITSTATUS(status), 0);
  std::vector<TaggedBlock> all(parent_blocks);
  all.insert(all.end(), child_blocks, child_blocks + count);
  std::ranges::sort(all, {}, &TaggedBlock::start);
  for (size_t i = 0; i < all.size(); ++i) {
    const TaggedBlock& block = all[i];
    if (i > 0) {
      EXPECT_LE(all[i - 1].start + all[i - 1].size, block.start) << "block " << i;
    }
    EXPECT_TRUE(std::all_of(block.start, block.start + block.size,
                            [&](unsigned char byte) { return byte == block.tag; }))
        << "block " << i << " of tag " << int{block.tag};
  }
}

TEST_F(KernelHeapTest, ChildFreesParentBlocks) {
  constexpr size_t count = 500;
  std::vector<void*> parent_blocks;
  for (size_t i = 0; i < count; ++i) {
    parent_blocks.push_back(heap_.allocate(200, 0));
    ASSERT_NE(parent_blocks.back(), nullptr);
  }

  const pid_t child = fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    for (void* block : parent_blocks) {
      heap_.release(block);
    }
    _exit(0);
  }
  // The parent allocates blocks of another class while the child frees.
  for (size_t i = 0; i < count; ++i) {
    ASSERT_NE(heap_.allocate(1000, 0), nullptr);
  }
  const int status = wait_for_child(child);

  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const std::set<void*> freed(parent_blocks.begin(), parent_blocks.end());
  for (size_t i = 0; i < count; ++i) {
    EXPECT_TRUE(freed.contains(heap_.allocate(200, 0))) << "allocation " << i;
  }
}

}  // namespace
}  // namespace litebox::cli
