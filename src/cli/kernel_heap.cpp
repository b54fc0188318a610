// The kernel heap's arena; kernel_heap.hpp describes its layout.
#include "kernel_heap.hpp"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>

namespace litebox::cli {
namespace {

constexpr unsigned smallest_class = 4;  // 16 bytes
constexpr unsigned largest_class = 31;  // 2 GiB
constexpr unsigned class_count = largest_class + 1;
constexpr uint64_t page_size = 4096;
// The unit of hand-out: a class smaller than a granule carves its blocks
// from one granule at a time, a larger one takes a run of granules.
constexpr unsigned granule_shift = 10;  // 1 KiB
constexpr uint64_t granule_size = uint64_t{1} << granule_shift;
// The header takes the arena's first two granules.
constexpr uint64_t header_size = 2 * granule_size;
// Room for blocks: 512 times the largest block, the header included. The
// memory of shared file mappings comes from here, so the arena reserves
// address space for large sparse ones (a 64 GiB memfd mapped whole). Only
// touched pages cost host memory.
constexpr uint64_t block_area_size = uint64_t{1} << 40;
constexpr uint64_t granule_count = block_area_size / granule_size;
// The class table comes in three parts. The header contains the class of
// the granules of the first 1.5 MiB. The near table, in the last 64 KiB of
// the first 2 MiB, contains the class of the granules up to 64 MiB, so an
// arena of that size still touches a single page-table page for blocks and
// table. The tail table after the block area contains the class of the
// others.
constexpr uint64_t header_table_granules = 1536;
constexpr uint64_t near_table_offset = (uint64_t{2} << 20) - (uint64_t{64} << 10);
constexpr uint64_t near_table_end = uint64_t{2} << 20;
constexpr uint64_t near_table_granules = uint64_t{64} << 10;
static_assert(near_table_granules - header_table_granules <= near_table_end - near_table_offset);
constexpr uint64_t tail_table_size = granule_count - near_table_granules;
constexpr uint64_t arena_size = block_area_size + tail_table_size;
// The arena start is aligned to the largest block, so aligning an offset
// into the arena aligns the address.
constexpr uint64_t arena_alignment = uint64_t{1} << largest_class;
// Freed blocks at least this large give their pages back to the host.
constexpr unsigned first_released_class = 16;

struct FreeBlock {
  FreeBlock* next;
};

// Offsets count bytes from the arena start. Offset 0 is the header, so it
// never stands for a block.
struct ArenaHeader {
  // 0: unlocked, 1: locked, 2: locked with possible waiters.
  std::atomic<uint32_t> lock;
  FreeBlock* free_lists[class_count];
  // The unused part of the granule that a class smaller than a granule
  // carves. They are equal when the class needs a new granule.
  uint64_t carve_next[granule_shift];
  uint64_t carve_end[granule_shift];
  // The first granule above everything handed out; 0 before the first.
  uint64_t next_granule;
  // Granules below next_granule that aligning a run skipped and that no
  // request has taken yet.
  uint64_t gap_next;
  uint64_t gap_end;
  // The size class of each carved granule and of each run's first granule;
  // 0 for the other granules of a run and for granules not handed out. The
  // near and the tail table continue it.
  uint8_t granule_classes[header_table_granules];
};
static_assert(sizeof(ArenaHeader) <= header_size);

long futex(std::atomic<uint32_t>* word, int operation, uint32_t value) {
  // Safety: std::atomic<uint32_t> is lock-free with the layout of uint32_t.
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), operation, value, nullptr, nullptr,
                 0);
}

void lock_arena(ArenaHeader& header) {
  uint32_t expected = 0;
  if (header.lock.compare_exchange_strong(expected, 1, std::memory_order_acquire)) {
    return;
  }
  while (header.lock.exchange(2, std::memory_order_acquire) != 0) {
    // Shared (not FUTEX_PRIVATE) so waiters in other processes wake too.
    futex(&header.lock, FUTEX_WAIT, 2);
  }
}

void unlock_arena(ArenaHeader& header) {
  if (header.lock.exchange(0, std::memory_order_release) == 2) {
    futex(&header.lock, FUTEX_WAKE, 1);
  }
}

ArenaHeader& header_of(std::byte* arena) {
  // Safety: the arena starts with the header; fresh shared memory is zero,
  // which is an unlocked header with empty lists and no granule handed out.
  return *reinterpret_cast<ArenaHeader*>(arena);
}

// Returns the class table entry of the granule at arena offset `offset`.
uint8_t& granule_class_entry(std::byte* arena, uint64_t offset) {
  const uint64_t granule = offset >> granule_shift;
  if (granule < header_table_granules) {
    return header_of(arena).granule_classes[granule];
  }
  if (granule < near_table_granules) {
    // Safety: the near table lies inside the arena, and no block overlaps it.
    auto* near_table = reinterpret_cast<uint8_t*>(arena + near_table_offset);
    return near_table[granule - header_table_granules];
  }
  // Safety: the tail table lies inside the arena right after the block area.
  auto* tail_table = reinterpret_cast<uint8_t*>(arena + block_area_size);
  return tail_table[granule - near_table_granules];
}

unsigned class_of(size_t size, size_t alignment) {
  const size_t needed = std::max({size, alignment, size_t{1} << smallest_class});
  return static_cast<unsigned>(std::bit_width(needed - 1));
}

uint64_t align_up(uint64_t offset, uint64_t alignment) {
  return (offset + alignment - 1) & ~(alignment - 1);
}

// Remembers the unused granules from `start` to `end` as the gap unless
// the gap has more room already.
void keep_larger_gap(ArenaHeader& header, uint64_t start, uint64_t end) {
  if (end - start > header.gap_end - header.gap_next) {
    header.gap_next = start;
    header.gap_end = end;
  }
}

// Hands out a run of `length` bytes (a power of two, at least a granule) at
// a multiple of `length` for a block of `size_class`. Returns its arena
// offset, or 0 when the arena is full. Called with the lock held.
uint64_t take_granules(std::byte* arena, uint64_t length, unsigned size_class) {
  ArenaHeader& header = header_of(arena);
  uint64_t start = align_up(header.gap_next, length);
  if (header.gap_next != header.gap_end && start + length <= header.gap_end) {
    // The granules of the gap below `start` stay unused, because the gap
    // keeps only its upper part.
    header.gap_next = start + length;
  } else {
    uint64_t next = std::max(header.next_granule, header_size);
    if (next < near_table_end && align_up(next, length) + length > near_table_offset) {
      // The run or the gap below it would overlap the near table, so both
      // go above it.
      if (next < near_table_offset) {
        keep_larger_gap(header, next, near_table_offset);
      }
      next = near_table_end;
    }
    start = align_up(next, length);
    if (start + length > block_area_size) {
      return 0;
    }
    keep_larger_gap(header, next, start);
    header.next_granule = start + length;
  }
  granule_class_entry(arena, start) = static_cast<uint8_t>(size_class);
  return start;
}

}  // namespace

bool KernelHeap::map() {
  // The extra room lets the arena start on an aligned address.
  const uint64_t mapping_size = arena_size + arena_alignment;
  void* mapping = mmap(nullptr, mapping_size, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping == MAP_FAILED) {
    return false;
  }
  // Safety: converts the mapping address to an integer for alignment.
  const auto start = reinterpret_cast<uint64_t>(mapping);
  mapping_ = mapping;
  // Safety: the aligned start and the arena after it lie inside the mapping.
  arena_ = reinterpret_cast<std::byte*>(align_up(start, arena_alignment));
  return true;
}

void KernelHeap::unmap() {
  if (mapping_ != nullptr) {
    munmap(mapping_, arena_size + arena_alignment);
  }
  mapping_ = nullptr;
  arena_ = nullptr;
}

void* KernelHeap::allocate(size_t size, size_t alignment) {
  const unsigned size_class = class_of(size, alignment);
  if (size_class > largest_class) {
    return nullptr;
  }
  ArenaHeader& header = header_of(arena_);
  const uint64_t size_of_block = uint64_t{1} << size_class;

  lock_arena(header);
  void* block = nullptr;
  if (FreeBlock* free_block = header.free_lists[size_class]; free_block != nullptr) {
    header.free_lists[size_class] = free_block->next;
    block = free_block;
  } else if (size_class >= granule_shift) {
    if (const uint64_t start = take_granules(arena_, size_of_block, size_class); start != 0) {
      block = arena_ + start;
    }
  } else {
    if (header.carve_next[size_class] == header.carve_end[size_class]) {
      const uint64_t start = take_granules(arena_, granule_size, size_class);
      header.carve_next[size_class] = start;
      header.carve_end[size_class] = start == 0 ? 0 : start + granule_size;
    }
    if (header.carve_next[size_class] != 0) {
      block = arena_ + header.carve_next[size_class];
      header.carve_next[size_class] += size_of_block;
    }
  }
  unlock_arena(header);
  return block;
}

void KernelHeap::release(void* block) {
  if (block == nullptr) {
    return;
  }
  ArenaHeader& header = header_of(arena_);
  auto* start = static_cast<std::byte*>(block);
  // The entry was written before the block was first handed out, and
  // granules never change class, so it needs no lock.
  const unsigned size_class = granule_class_entry(arena_, static_cast<uint64_t>(start - arena_));
  if (size_class >= first_released_class) {
    // The first page keeps the free-list link; the rest goes back to the
    // host (MADV_REMOVE frees shared memory, MADV_DONTNEED would not).
    madvise(start + page_size, (uint64_t{1} << size_class) - page_size, MADV_REMOVE);
  }

  lock_arena(header);
  auto* free_block = static_cast<FreeBlock*>(block);
  free_block->next = header.free_lists[size_class];
  header.free_lists[size_class] = free_block;
  unlock_arena(header);
}

size_t KernelHeap::block_size(const void* block) const {
  const auto offset = static_cast<uint64_t>(static_cast<const std::byte*>(block) - arena_);
  return size_t{1} << granule_class_entry(arena_, offset);
}

}  // namespace litebox::cli
