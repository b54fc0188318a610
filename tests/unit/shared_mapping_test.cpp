// Shared mappings: page runs of shared memory, MAP_SHARED areas of a
// MemoryMap that alias them, and memfs files whose pages those areas map,
// on the mock platform.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "litebox/fs/memfs.hpp"
#include "litebox/mm/memory_map.hpp"
#include "litebox/mm/shared_memory.hpp"
#include "memory_inode.hpp"

namespace litebox::mm {
namespace {

constexpr uint32_t read_write = platform::prot_read | platform::prot_write;

// A layout far from the test binary's own mappings and from the one of
// memory_map_test.
Layout test_layout() {
  Layout layout;
  layout.lowest = 0x1300'0000'0000;
  layout.mmap_base = 0x1400'0000'0000;
  layout.highest = 0x1500'0000'0000;
  return layout;
}

MapRequest shared_request(uint64_t length, uint32_t protection = read_write) {
  MapRequest request;
  request.length = length;
  request.protection = protection;
  request.shared = true;
  return request;
}

char* chars_at(uint64_t address) {
  // Safety: tests only touch ranges the map committed with that access.
  return reinterpret_cast<char*>(address);
}

std::string read_inode(fs::Inode& inode, uint64_t offset, size_t count) {
  std::string content(count, '\0');
  auto got = inode.read(offset, std::as_writable_bytes(std::span(content)));
  content.resize(got.value_or(0));
  return content;
}

std::shared_ptr<fs::Inode> memfs_file(const std::string& name) {
  static std::shared_ptr<fs::FileSystem> file_system = fs::memfs::create();
  return file_system->root()->create(name, fs::FileType::regular, 0644, 0, 0, 0).value();
}

TEST(PageRuns, SliceCrossesRuns) {
  auto first = SharedMemory::create(2 * page_size).value();
  auto second = SharedMemory::create(3 * page_size).value();
  PageRuns runs = {{first, 0, 2 * page_size}, {second, page_size, 2 * page_size}};

  PageRuns slice = slice_runs(runs, page_size, 2 * page_size);

  ASSERT_EQ(slice.size(), 2u);
  EXPECT_EQ(slice[0].memory, first);
  EXPECT_EQ(slice[0].offset, page_size);
  EXPECT_EQ(slice[0].length, page_size);
  EXPECT_EQ(slice[1].memory, second);
  EXPECT_EQ(slice[1].offset, page_size);
  EXPECT_EQ(slice[1].length, page_size);
}

TEST(PageRuns, AppendJoinsContiguousPages) {
  auto memory = SharedMemory::create(3 * page_size).value();
  PageRuns runs;

  append_run(runs, {memory, 0, page_size});
  append_run(runs, {memory, page_size, 2 * page_size});
  append_run(runs, {memory, 0, page_size});

  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].length, 3 * page_size);
  EXPECT_EQ(runs_length(runs), 4 * page_size);
}

TEST(SharedMemory, StartsZeroed) {
  auto memory = SharedMemory::create(2 * page_size).value();

  EXPECT_EQ(memory->data()[0], std::byte{0});
  EXPECT_EQ(memory->data()[2 * page_size - 1], std::byte{0});
}

TEST(SharedMemory, AllocateRunsSplitsLargeLength) {
  PageRuns runs = allocate_runs(max_block_length + 2 * page_size).value();

  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].length, max_block_length);
  EXPECT_EQ(runs[1].length, 2 * page_size);
  EXPECT_NE(runs[0].memory, runs[1].memory);
}

TEST(SharedMemory, AllocateRunsRejectsUnaligned) {
  auto runs = allocate_runs(page_size + 1);

  ASSERT_FALSE(runs);
  EXPECT_EQ(runs.error(), Errno::einval);
}

TEST(SharedMapping, DuplicateSeesStores) {
  MemoryMap memory(test_layout());
  uint64_t original = memory.map(shared_request(2 * page_size)).value();

  uint64_t duplicate = memory.remap(original, 0, 2 * page_size, remap_may_move, 0).value();
  chars_at(original)[page_size] = 'o';
  chars_at(duplicate)[1] = 'd';

  EXPECT_NE(duplicate, original);
  EXPECT_EQ(chars_at(duplicate)[page_size], 'o');
  EXPECT_EQ(chars_at(original)[1], 'd');
}

TEST(SharedMapping, DuplicateOfPrivateFails) {
  MemoryMap memory(test_layout());
  MapRequest request = shared_request(page_size);
  request.shared = false;
  uint64_t address = memory.map(request).value();

  auto duplicate = memory.remap(address, 0, page_size, remap_may_move, 0);

  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error(), Errno::einval);
}

TEST(SharedMapping, DuplicateWithoutMoveFails) {
  MemoryMap memory(test_layout());
  uint64_t address = memory.map(shared_request(page_size)).value();

  auto duplicate = memory.remap(address, 0, page_size, 0, 0);

  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error(), Errno::enomem);
}

TEST(SharedMapping, MoveKeepsPages) {
  MemoryMap memory(test_layout());
  uint64_t original = memory.map(shared_request(2 * page_size)).value();
  uint64_t other = memory.remap(original, 0, 2 * page_size, remap_may_move, 0).value();
  chars_at(original)[0] = 'a';

  uint64_t moved = memory
                       .remap(original, 2 * page_size, 3 * page_size, remap_may_move | remap_fixed,
                              original - 16 * page_size)
                       .value();
  chars_at(moved)[page_size] = 'm';

  EXPECT_EQ(moved, original - 16 * page_size);
  EXPECT_FALSE(memory.find(original));
  EXPECT_EQ(chars_at(moved)[0], 'a');
  EXPECT_EQ(chars_at(other)[page_size], 'm');
  EXPECT_EQ(chars_at(moved)[2 * page_size], 0);
}

TEST(SharedMapping, DiscardKeepsData) {
  MemoryMap memory(test_layout());
  uint64_t address = memory.map(shared_request(page_size)).value();
  chars_at(address)[7] = 's';

  ASSERT_TRUE(memory.discard(address, page_size));

  EXPECT_EQ(chars_at(address)[7], 's');
}

TEST(SharedMapping, ProtectMergesAreasAgain) {
  MemoryMap memory(test_layout());
  uint64_t address = memory.map(shared_request(3 * page_size)).value();

  ASSERT_TRUE(memory.protect(address + page_size, page_size, platform::prot_read));
  ASSERT_EQ(memory.areas().size(), 3u);
  ASSERT_TRUE(memory.protect(address + page_size, page_size, read_write));

  ASSERT_EQ(memory.areas().size(), 1u);
  EXPECT_EQ(runs_length(memory.areas()[0].shared_pages), 3 * page_size);
}

TEST(SharedMapping, ProtectWithoutWriteAccessFails) {
  MemoryMap memory(test_layout());
  MapRequest request = shared_request(page_size, platform::prot_read);
  request.write_allowed = false;
  uint64_t address = memory.map(request).value();

  auto protected_range = memory.protect(address, page_size, read_write);

  ASSERT_FALSE(protected_range);
  EXPECT_EQ(protected_range.error(), Errno::eacces);
  EXPECT_TRUE(memory.protect(address, page_size, platform::prot_none));
}

TEST(SharedMapping, FileWithoutPagesIsCopied) {
  auto inode = std::make_shared<testing::TestInode>();
  ASSERT_TRUE(inode->write(0, testing::bytes_of("copied")));
  MemoryMap memory(test_layout());
  MapRequest request = shared_request(page_size);
  request.inode = inode;

  uint64_t address = memory.map(request).value();
  chars_at(address)[0] = 'C';

  EXPECT_EQ(std::string(chars_at(address), 6), "Copied");
  EXPECT_EQ(read_inode(*inode, 0, 6), "copied");
  EXPECT_EQ(memory.find(address)->shared_pages.size(), 1u);
}

TEST(SharedMapping, StoresReachMemfsFile) {
  auto inode = memfs_file("stores");
  ASSERT_TRUE(inode->write(0, testing::bytes_of("0123456789")));
  MemoryMap memory(test_layout());
  MapRequest request = shared_request(page_size);
  request.inode = inode;
  uint64_t address = memory.map(request).value();

  std::memcpy(chars_at(address), "AB", 2);
  ASSERT_TRUE(inode->write(5, testing::bytes_of("w")));

  EXPECT_EQ(read_inode(*inode, 0, 10), "AB234w6789");
  EXPECT_EQ(std::string(chars_at(address), 10), "AB234w6789");
}

TEST(SharedMapping, MappingsOfOneFileAgree) {
  auto inode = memfs_file("two");
  ASSERT_TRUE(inode->write(0, testing::bytes_of("two mappings")));
  MemoryMap memory(test_layout());
  MapRequest request = shared_request(page_size);
  request.inode = inode;
  uint64_t first = memory.map(request).value();
  uint64_t second = memory.map(request).value();

  chars_at(first)[0] = 'T';

  EXPECT_EQ(chars_at(second)[0], 'T');
}

TEST(MemfsSharedPages, HolesBecomeOneRun) {
  auto inode = memfs_file("holes");
  ASSERT_TRUE(inode->write(page_size, testing::bytes_of("data")));

  PageRuns runs = inode->share_pages(2 * page_size, 3 * page_size).value();

  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].length, 3 * page_size);
  EXPECT_EQ(runs[0].data()[0], std::byte{0});
  EXPECT_EQ(inode->stat().value().size, static_cast<int64_t>(page_size + 4));
}

TEST(MemfsSharedPages, WriteChangesSharedPage) {
  auto inode = memfs_file("written");
  ASSERT_TRUE(inode->write(0, testing::bytes_of("before")));
  PageRuns runs = inode->share_pages(0, page_size).value();

  ASSERT_TRUE(inode->write(0, testing::bytes_of("after!")));

  EXPECT_EQ(std::memcmp(runs[0].data(), "after!", 6), 0);
}

TEST(MemfsSharedPages, PagePastEndServesExtension) {
  auto inode = memfs_file("extended");
  PageRuns runs = inode->share_pages(0, 2 * page_size).value();
  fs::AttributeChange grow;
  grow.size = 2 * page_size;
  ASSERT_TRUE(inode->change_attributes(grow));

  std::memcpy(runs[0].data() + page_size, "grown", 5);

  EXPECT_EQ(read_inode(*inode, page_size, 5), "grown");
}

TEST(MemfsSharedPages, TruncationZeroesPageTail) {
  auto inode = memfs_file("truncated");
  ASSERT_TRUE(inode->write(0, testing::bytes_of("keep cut")));
  PageRuns runs = inode->share_pages(0, page_size).value();
  fs::AttributeChange shrink;
  shrink.size = 4;

  ASSERT_TRUE(inode->change_attributes(shrink));

  EXPECT_EQ(std::memcmp(runs[0].data(), "keep\0\0\0\0", 8), 0);
}

TEST(MemfsSharedPages, UnalignedRangeFails) {
  auto inode = memfs_file("unaligned");

  auto runs = inode->share_pages(1, page_size);

  ASSERT_FALSE(runs);
  EXPECT_EQ(runs.error(), Errno::einval);
}

}  // namespace
}  // namespace litebox::mm
