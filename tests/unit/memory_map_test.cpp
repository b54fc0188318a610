// MemoryMap: VMA bookkeeping and the page operations behind mmap and
// friends, on the mock platform's host-backed pages.
#include "litebox/mm/memory_map.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>

#include "memory_inode.hpp"

namespace litebox::mm {
namespace {

constexpr uint32_t read_write = platform::prot_read | platform::prot_write;

// A layout far from the test binary's own mappings.
Layout test_layout() {
  Layout layout;
  layout.lowest = 0x1000'0000'0000;
  layout.mmap_base = 0x1100'0000'0000;
  layout.highest = 0x1200'0000'0000;
  return layout;
}

MapRequest anonymous(uint64_t length, uint32_t protection = read_write) {
  MapRequest request;
  request.length = length;
  request.protection = protection;
  return request;
}

uint8_t* bytes_at(uint64_t address) {
  // Safety: tests only touch ranges the map committed readable and writable.
  return reinterpret_cast<uint8_t*>(address);
}

TEST(MemoryMap, PlacesTopDownBelowBase) {
  MemoryMap memory(test_layout());

  uint64_t first = memory.map(anonymous(3 * page_size)).value();
  uint64_t second = memory.map(anonymous(page_size)).value();

  EXPECT_EQ(first, test_layout().mmap_base - 3 * page_size);
  EXPECT_EQ(second, first - page_size);
}

TEST(MemoryMap, NewMemoryReadsAsZeros) {
  MemoryMap memory(test_layout());
  uint64_t address = memory.map(anonymous(2 * page_size)).value();

  for (uint64_t offset = 0; offset < 2 * page_size; offset += 512) {
    EXPECT_EQ(bytes_at(address)[offset], 0) << offset;
  }
}

TEST(MemoryMap, HonorsFreeHint) {
  MemoryMap memory(test_layout());
  MapRequest request = anonymous(page_size);
  request.address = 0x1000'4000'0000;

  EXPECT_EQ(memory.map(request).value(), 0x1000'4000'0000u);
}

TEST(MemoryMap, HintRoundsUpToPage) {
  MemoryMap memory(test_layout());
  MapRequest request = anonymous(page_size);
  request.address = 0x1000'4000'0001;

  EXPECT_EQ(memory.map(request).value(), 0x1000'4000'1000u);
}

TEST(MemoryMap, ZeroLengthIsInvalid) {
  MemoryMap memory(test_layout());
  EXPECT_EQ(memory.map(anonymous(0)).error(), Errno::einval);
}

TEST(MemoryMap, FixedUnalignedIsInvalid) {
  MemoryMap memory(test_layout());
  MapRequest request = anonymous(page_size);
  request.address = 0x1000'4000'0010;
  request.placement = Placement::fixed;

  EXPECT_EQ(memory.map(request).error(), Errno::einval);
}

TEST(MemoryMap, FixedBeyondAddressSpaceFails) {
  MemoryMap memory(test_layout());
  MapRequest request = anonymous(2 * page_size);
  request.address = test_layout().highest - page_size;
  request.placement = Placement::fixed;

  EXPECT_EQ(memory.map(request).error(), Errno::enomem);
}

TEST(MemoryMap, FixedReplacesExistingPages) {
  MemoryMap memory(test_layout());
  uint64_t address = memory.map(anonymous(3 * page_size)).value();
  bytes_at(address + page_size)[0] = 0x5a;

  MapRequest request = anonymous(page_size, platform::prot_read);
  request.address = address + page_size;
  request.placement = Placement::fixed;
  ASSERT_EQ(memory.map(request).value(), address + page_size);

  EXPECT_EQ(bytes_at(address + page_size)[0], 0);
  auto areas = memory.areas();
  ASSERT_EQ(areas.size(), 3u);
  EXPECT_EQ(areas[1].protection, platform::prot_read);
}

TEST(MemoryMap, FixedNoReplaceOverMappingFails) {
  MemoryMap memory(test_layout());
  uint64_t address = memory.map(anonymous(2 * page_size)).value();

  MapRequest request = anonymous(page_size);
  request.address = address + page_size;
  request.placement = Placement::fixed_noreplace;

  EXPECT_EQ(memory.map(request).error(), Errno::eexist);
}

// Maps one page of host memory that the map does not track, as the libOS's
// own memory, at `address` and writes `value` into it.
bool map_host_page(uint64_t address, uint8_t value) {
  // Safety: the address lies in the test layout, where nothing else maps.
  void* page = mmap(reinterpret_cast<void*>(address), page_size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (page == MAP_FAILED) {
    return false;
  }
  bytes_at(address)[0] = value;
  return true;
}

TEST(MemoryMap, FixedOverHostMemoryFails) {
  MemoryMap memory(test_layout());
  const uint64_t host_page = 0x1000'5000'1000;
  ASSERT_TRUE(map_host_page(host_page, 0x5a));

  MapRequest request = anonymous(3 * page_size);
  request.address = host_page - page_size;
  request.placement = Placement::fixed;

  EXPECT_EQ(memory.map(request).error(), Errno::enomem);
  EXPECT_EQ(bytes_at(host_page)[0], 0x5a);
  EXPECT_TRUE(memory.areas().empty());
  EXPECT_EQ(munmap(bytes_at(host_page), page_size), 0);
}

TEST(MemoryMap, FixedNoReplaceOverHostMemoryFails) {
  MemoryMap memory(test_layout());
  const uint64_t host_page = 0x1000'5000'1000;
  ASSERT_TRUE(map_host_page(host_page, 0x5a));

  MapRequest request = anonymous(page_size);
  request.address = host_page;
  request.placement = Placement::fixed_noreplace;

  EXPECT_EQ(memory.map(request).error(), Errno::eexist);
  EXPECT_EQ(bytes_at(host_page)[0], 0x5a);
  EXPECT_EQ(munmap(bytes_at(host_page), page_size), 0);
}

TEST(MemoryMap, HintOverHostMemoryMovesElsewhere) {
  MemoryMap memory(test_layout());
  const uint64_t host_page = 0x1000'5000'1000;
  ASSERT_TRUE(map_host_page(host_page, 0x5a));

  MapRequest request = anonymous(2 * page_size);
  request.address = host_page;
  uint64_t address = memory.map(request).value();

  EXPECT_TRUE(address + 2 * page_size <= host_page || address > host_page);
  EXPECT_EQ(bytes_at(host_page)[0], 0x5a);
  bytes_at(address)[0] = 1;
  EXPECT_EQ(bytes_at(address)[0], 1);
  EXPECT_EQ(munmap(bytes_at(host_page), page_size), 0);
}

TEST(MemoryMap, TopDownSkipsHostMemory) {
  MemoryMap memory(test_layout());
  const uint64_t host_page = test_layout().mmap_base - page_size;
  ASSERT_TRUE(map_host_page(host_page, 0x5a));

  uint64_t address = memory.map(anonymous(page_size)).value();

  EXPECT_LT(address, host_page);
  EXPECT_EQ(bytes_at(host_page)[0], 0x5a);
  EXPECT_EQ(munmap(bytes_at(host_page), page_size), 0);
}

TEST(MemoryMap, UnmapSplitsArea) {
  MemoryMap memory(test_layout());
  uint64_t address = memory.map(anonymous(3 * page_size)).value();

  ASSERT_TRUE(memory.unmap(address + page_size, page_size));

  auto areas = memory.areas();
  ASSERT_EQ(areas.size(), 2u);
  EXPECT_EQ(areas[0].end, address + page_size);
  EXPECT_EQ(areas[1].start, address + 2 * page_size);
  EXPECT_FALSE(memory.is_mapped(address, 3 * page_size));
}

TEST(MemoryMap, UnmapOfUnmappedRangeSucceeds) {
  MemoryMap memory(test_layout());
  EXPECT_TRUE(memory.unmap(0x1000'5000'0000, page_size));
}

TEST(MemoryMap, UnmapUnalignedIsInvalid) {
  MemoryMap memory(test_layout());
  EXPECT_EQ(memory.unmap(0x1000'5000'0001, page_size).error(), Errno::einval);
}

TEST(MemoryMap, AdjacentAnonymousAreasMerge) {
  MemoryMap memory(test_layout());
  uint64_t first = memory.map(anonymous(page_size)).value();
  MapRequest request = anonymous(page_size);
  request.address = first + page_size;
  request.placement = Placement::fixed_noreplace;
  ASSERT_TRUE(memory.map(request));

  auto areas = memory.areas();
  ASSERT_EQ(areas.size(), 1u);
  EXPECT_EQ(areas[0].length(), 2 * page_size);
}

TEST(MemoryMap, ProtectOfHoleIsOutOfMemory) {
  MemoryMap memory(test_layout());
  uint64_t address = memory.map(anonymous(page_size)).value();

  EXPECT_EQ(memory.protect(address, 2 * page_size, platform::prot_read).error(), Errno::enomem);
}

TEST(MemoryMap, ProtectSplitsArea) {
  MemoryMap memory(test_layout());
  uint64_t address = memory.map(anonymous(3 * page_size)).value();

  ASSERT_TRUE(memory.protect(address + page_size, page_size, platform::prot_read));

  auto areas = memory.areas();
  ASSERT_EQ(areas.size(), 3u);
  EXPECT_EQ(areas[1].protection, platform::prot_read);
  EXPECT_EQ(areas[2].protection, read_write);
}

TEST(MemoryMap, RemapShrinksInPlace) {
  MemoryMap memory(test_layout());
  uint64_t address = memory.map(anonymous(4 * page_size)).value();

  EXPECT_EQ(memory.remap(address, 4 * page_size, page_size, 0, 0).value(), address);
  EXPECT_FALSE(memory.is_mapped(address + page_size, page_size));
}

TEST(MemoryMap, RemapGrowsInPlaceWhenFree) {
  MemoryMap memory(test_layout());
  MapRequest request = anonymous(page_size);
  request.address = 0x1000'6000'0000;
  uint64_t address = memory.map(request).value();

  EXPECT_EQ(memory.remap(address, page_size, 3 * page_size, 0, 0).value(), address);
  EXPECT_TRUE(memory.is_mapped(address, 3 * page_size));
}

TEST(MemoryMap, RemapGrowthKeepsContents) {
  MemoryMap memory(test_layout());
  MapRequest request = anonymous(page_size);
  request.address = 0x1000'6000'0000;
  uint64_t address = memory.map(request).value();
  bytes_at(address)[0] = 0x5a;

  ASSERT_EQ(memory.remap(address, page_size, 2 * page_size, 0, 0).value(), address);

  EXPECT_EQ(bytes_at(address)[0], 0x5a);
  EXPECT_EQ(bytes_at(address + page_size)[0], 0);
  bytes_at(address + page_size)[0] = 1;
  EXPECT_EQ(bytes_at(address + page_size)[0], 1);
  EXPECT_EQ(memory.areas().size(), 1u);
}

TEST(MemoryMap, RemapGrowthBlockedByHostMemory) {
  MemoryMap memory(test_layout());
  MapRequest request = anonymous(page_size);
  request.address = 0x1000'6000'0000;
  uint64_t address = memory.map(request).value();
  ASSERT_TRUE(map_host_page(address + page_size, 0x5a));

  EXPECT_EQ(memory.remap(address, page_size, 2 * page_size, 0, 0).error(), Errno::enomem);
  uint64_t moved = memory.remap(address, page_size, 2 * page_size, remap_may_move, 0).value();

  EXPECT_NE(moved, address);
  EXPECT_EQ(bytes_at(address + page_size)[0], 0x5a);
  EXPECT_TRUE(memory.is_mapped(moved, 2 * page_size));
  EXPECT_EQ(munmap(bytes_at(address + page_size), page_size), 0);
}

TEST(MemoryMap, RemapWithoutMoveFailsWhenBlocked) {
  MemoryMap memory(test_layout());
  uint64_t upper = memory.map(anonymous(page_size)).value();
  uint64_t lower = memory.map(anonymous(page_size, platform::prot_read)).value();
  ASSERT_EQ(lower + page_size, upper);

  EXPECT_EQ(memory.remap(lower, page_size, 2 * page_size, 0, 0).error(), Errno::enomem);
}

TEST(MemoryMap, RemapMovesAndKeepsContents) {
  MemoryMap memory(test_layout());
  uint64_t upper = memory.map(anonymous(page_size)).value();
  uint64_t lower = memory.map(anonymous(page_size, platform::prot_read)).value();
  ASSERT_TRUE(memory.protect(lower, page_size, read_write));
  std::memcpy(bytes_at(lower), "moved", 6);
  ASSERT_TRUE(memory.protect(lower, page_size, platform::prot_read));
  ASSERT_EQ(lower + page_size, upper);

  uint64_t moved = memory.remap(lower, page_size, 2 * page_size, remap_may_move, 0).value();

  EXPECT_NE(moved, lower);
  EXPECT_STREQ(reinterpret_cast<const char*>(bytes_at(moved)), "moved");
  EXPECT_FALSE(memory.is_mapped(lower, page_size));
  EXPECT_EQ(memory.find(moved)->protection, platform::prot_read);
}

TEST(MemoryMap, RemapOfUnmappedIsFault) {
  MemoryMap memory(test_layout());
  EXPECT_EQ(memory.remap(0x1000'7000'0000, page_size, 2 * page_size, remap_may_move, 0).error(),
            Errno::efault);
}

TEST(MemoryMap, RemapFixedNeedsMayMove) {
  MemoryMap memory(test_layout());
  uint64_t address = memory.map(anonymous(page_size)).value();
  EXPECT_EQ(memory.remap(address, page_size, page_size, remap_fixed, 0x1000'7000'0000).error(),
            Errno::einval);
}

TEST(MemoryMap, DiscardZeroesAnonymousPages) {
  MemoryMap memory(test_layout());
  uint64_t address = memory.map(anonymous(2 * page_size)).value();
  bytes_at(address)[10] = 7;
  bytes_at(address + page_size)[10] = 9;

  ASSERT_TRUE(memory.discard(address, page_size));

  EXPECT_EQ(bytes_at(address)[10], 0);
  EXPECT_EQ(bytes_at(address + page_size)[10], 9);
}

TEST(MemoryMap, DiscardOfHoleIsOutOfMemory) {
  MemoryMap memory(test_layout());
  EXPECT_EQ(memory.discard(0x1000'7000'0000, page_size).error(), Errno::enomem);
}

TEST(MemoryMap, FileMappingCopiesDataAndZeroFillsTail) {
  auto inode = std::make_shared<testing::TestInode>();
  std::string contents(page_size + 100, 'x');
  contents[page_size] = 'y';
  ASSERT_TRUE(inode->write(0, testing::bytes_of(contents)));
  MemoryMap memory(test_layout());

  MapRequest request = anonymous(2 * page_size, platform::prot_read);
  request.inode = inode;
  request.file_offset = page_size;
  uint64_t address = memory.map(request).value();

  EXPECT_EQ(bytes_at(address)[0], 'y');
  EXPECT_EQ(bytes_at(address)[99], 'x');
  EXPECT_EQ(bytes_at(address)[100], 0);
  EXPECT_EQ(bytes_at(address + page_size)[0], 0);
  EXPECT_EQ(memory.find(address)->file_offset, page_size);
}

TEST(MemoryMap, DiscardRestoresPrivateFilePages) {
  auto inode = std::make_shared<testing::TestInode>();
  ASSERT_TRUE(inode->write(0, testing::bytes_of("file data")));
  MemoryMap memory(test_layout());
  MapRequest request = anonymous(page_size);
  request.inode = inode;
  uint64_t address = memory.map(request).value();
  bytes_at(address)[0] = 'F';

  ASSERT_TRUE(memory.discard(address, page_size));

  EXPECT_EQ(bytes_at(address)[0], 'f');
}

TEST(MemoryMap, SplitFileAreaKeepsOffsets) {
  auto inode = std::make_shared<testing::TestInode>();
  ASSERT_TRUE(inode->write(0, testing::bytes_of(std::string(3 * page_size, 'a'))));
  MemoryMap memory(test_layout());
  MapRequest request = anonymous(3 * page_size, platform::prot_read);
  request.inode = inode;
  uint64_t address = memory.map(request).value();

  ASSERT_TRUE(memory.unmap(address, page_size));

  EXPECT_EQ(memory.find(address + page_size)->file_offset, page_size);
}

}  // namespace
}  // namespace litebox::mm
