// The kernel heap: every operator new of the litebox executable allocates
// from one MAP_SHARED arena, so kernel objects (inodes, open file
// descriptions, pipes, the process table) stay shared when a guest fork
// becomes a host fork. kernel_heap_operators.cpp maps the arena on the first
// allocation, during static initialization and so before the process is
// sealed, and every forked process inherits it at the same address.
//
// Blocks come in power-of-two size classes, and a block of 2^k bytes lies
// at a multiple of 2^k, so it is naturally aligned. The arena is cut into
// 1 KiB granules:
//
//   0               the header: the lock, the free lists, the carving state
//                   and the class table of the first 1.5 MiB
//   2 KiB           blocks
//   2 MiB - 64 KiB  the class table from 1.5 MiB to 64 MiB
//   2 MiB           blocks, up to 1 TiB from the arena start
//   1 TiB           the class table of the rest (1 GiB of address space)
//
// A class smaller than a granule carves its blocks from one granule at a
// time, so the classes in use share pages instead of taking one each. A
// larger block takes a run of granules at a multiple of its size. Granules
// are handed out from low addresses up. A request first takes room that
// aligning an earlier run skipped, then the granules above everything
// handed out so far. The class table records the class of each carved
// granule and of the first granule of each run, so a block's class follows
// from its address without the lock.
//
// Freed blocks go on a per-class free list, and granules never change
// class. Freeing a block of 64 KiB or more gives all its pages but the
// first back to the host. The lock is a futex word in the arena, which
// works across processes because the futex is not private.
//
// The layout keeps the memory that start-up touches dense, because each
// first touch of an arena page is a shmem fault plus, for a new 2 MiB
// region, a page-table page. `litebox run -- /bin/busybox sleep 4` touches
// 13 arena pages, all in the first 2 MiB. The layout before, with a 64 KiB
// region per class starting 2 MiB after a one-page header, touched 17 pages
// under two page-table pages (read from /proc/PID/pagemap on a 2-CPU KVM
// guest).
#pragma once

#include <cstddef>
#include <cstdint>

namespace litebox::cli {

class KernelHeap {
 public:
  // Maps a fresh arena. Returns false when the host rejects the mapping.
  bool map();

  // Unmaps the arena. Only for a heap whose blocks are no longer in use.
  void unmap();

  bool is_mapped() const { return arena_ != nullptr; }

  // Allocates a block of at least `size` bytes at a multiple of `alignment`
  // (0 or a power of two). Returns nullptr when the arena is full.
  void* allocate(std::size_t size, std::size_t alignment);

  // Puts `block` (from allocate, or nullptr) back on its class's free list.
  // Any process sharing the arena may free any block.
  void release(void* block);

  // Returns the size of the class that `block` (from allocate) belongs to.
  std::size_t block_size(const void* block) const;

 private:
  // Start of the mapping, and of the arena aligned inside it.
  void* mapping_ = nullptr;
  std::byte* arena_ = nullptr;
};

}  // namespace litebox::cli
