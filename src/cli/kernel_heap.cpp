// The kernel heap: every operator new of the litebox executable allocates
// from one MAP_SHARED arena, so kernel objects (inodes, open file
// descriptions, pipes, the process table) stay shared when a guest fork
// becomes a host fork. The arena is mapped on the first allocation, during
// static initialization and so before the process is sealed, and every
// forked process inherits it at the same address.
//
// Blocks come in power-of-two size classes. Class k owns its own region of
// 2^31 bytes and hands out blocks of 2^k bytes at multiples of 2^k, so a
// block is naturally aligned and its class follows from its address alone.
// Freed blocks go on a per-class free list; the lock is a futex word in the
// arena, which works across processes because the futex is not private.
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

constexpr unsigned smallest_class = 4;  // 16 bytes
constexpr unsigned largest_class = 31;  // 2 GiB
constexpr unsigned class_count = largest_class + 1;
constexpr uint64_t region_size = uint64_t{1} << 31;
// Region 0 holds the header; regions smallest_class..largest_class the blocks.
constexpr uint64_t arena_size = region_size * class_count;
// Freed blocks at least this large give their pages back to the host.
constexpr unsigned first_released_class = 16;
constexpr uint64_t page_size = 4096;

struct FreeBlock {
  FreeBlock* next;
};

struct ArenaHeader {
  // 0: unlocked, 1: locked, 2: locked with possible waiters.
  std::atomic<uint32_t> lock;
  FreeBlock* free_lists[class_count];
  uint64_t next_unused[class_count];  // bytes handed out so far per region
};

// Set once, before any second thread or process exists.
std::byte* arena_base = nullptr;

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

ArenaHeader& arena() {
  if (arena_base == nullptr) [[unlikely]] {
    // One extra region lets the arena start on a region boundary.
    void* mapping = mmap(nullptr, arena_size + region_size, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) {
      std::abort();
    }
    // Safety: converts the mapping address to an integer for alignment.
    const auto start = reinterpret_cast<uint64_t>(mapping);
    // Safety: the aligned start and the arena after it lie inside the mapping.
    arena_base = reinterpret_cast<std::byte*>((start + region_size - 1) & ~(region_size - 1));
  }
  // Safety: region 0 of the arena holds the header; fresh shared memory is
  // zero, which is an unlocked header with empty lists.
  return *reinterpret_cast<ArenaHeader*>(arena_base);
}

unsigned class_of(size_t size, size_t alignment) {
  const size_t needed = std::max({size, alignment, size_t{1} << smallest_class});
  return static_cast<unsigned>(std::bit_width(needed - 1));
}

void* allocate(size_t size, size_t alignment) {
  const unsigned size_class = class_of(size, alignment);
  if (size_class > largest_class) {
    return nullptr;
  }
  ArenaHeader& header = arena();
  const uint64_t block_size = uint64_t{1} << size_class;

  lock_arena(header);
  void* block = nullptr;
  if (FreeBlock* free_block = header.free_lists[size_class]; free_block != nullptr) {
    header.free_lists[size_class] = free_block->next;
    block = free_block;
  } else if (header.next_unused[size_class] + block_size <= region_size) {
    block = arena_base + size_class * region_size + header.next_unused[size_class];
    header.next_unused[size_class] += block_size;
  }
  unlock_arena(header);
  return block;
}

void release(void* pointer) {
  if (pointer == nullptr) {
    return;
  }
  ArenaHeader& header = arena();
  auto* block = static_cast<std::byte*>(pointer);
  const auto size_class = static_cast<unsigned>((block - arena_base) / region_size);
  if (size_class >= first_released_class) {
    // The first page keeps the free-list link; the rest goes back to the
    // host (MADV_REMOVE frees shared memory, MADV_DONTNEED would not).
    madvise(block + page_size, (uint64_t{1} << size_class) - page_size, MADV_REMOVE);
  }

  lock_arena(header);
  auto* free_block = static_cast<FreeBlock*>(pointer);
  free_block->next = header.free_lists[size_class];
  header.free_lists[size_class] = free_block;
  unlock_arena(header);
}

void* allocate_or_throw(size_t size, size_t alignment) {
  void* block = allocate(size, alignment);
  if (block == nullptr) {
    throw std::bad_alloc();
  }
  return block;
}

}  // namespace

void* operator new(size_t size) { return allocate_or_throw(size, 0); }
void* operator new[](size_t size) { return allocate_or_throw(size, 0); }
void* operator new(size_t size, std::align_val_t alignment) {
  return allocate_or_throw(size, static_cast<size_t>(alignment));
}
void* operator new[](size_t size, std::align_val_t alignment) {
  return allocate_or_throw(size, static_cast<size_t>(alignment));
}
void* operator new(size_t size, const std::nothrow_t&) noexcept { return allocate(size, 0); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return allocate(size, 0); }
void* operator new(size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return allocate(size, static_cast<size_t>(alignment));
}
void* operator new[](size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return allocate(size, static_cast<size_t>(alignment));
}

void operator delete(void* pointer) noexcept { release(pointer); }
void operator delete[](void* pointer) noexcept { release(pointer); }
void operator delete(void* pointer, size_t) noexcept { release(pointer); }
void operator delete[](void* pointer, size_t) noexcept { release(pointer); }
void operator delete(void* pointer, std::align_val_t) noexcept { release(pointer); }
void operator delete[](void* pointer, std::align_val_t) noexcept { release(pointer); }
void operator delete(void* pointer, size_t, std::align_val_t) noexcept { release(pointer); }
void operator delete[](void* pointer, size_t, std::align_val_t) noexcept { release(pointer); }
void operator delete(void* pointer, const std::nothrow_t&) noexcept { release(pointer); }
void operator delete[](void* pointer, const std::nothrow_t&) noexcept { release(pointer); }
void operator delete(void* pointer, std::align_val_t, const std::nothrow_t&) noexcept {
  release(pointer);
}
void operator delete[](void* pointer, std::align_val_t, const std::nothrow_t&) noexcept {
  release(pointer);
}
