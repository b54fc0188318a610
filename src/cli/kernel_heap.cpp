// The kernel heap: every operator new of the litebox executable allocates
// from one MAP_SHARED arena, so kernel objects (inodes, open file
// descriptions, pipes, the process table) stay shared when a guest fork
// becomes a host fork. The arena is mapped on the first allocation, during
// static initialization and so before the process is sealed, and every
// forked process inherits it at the same address.
//
// Blocks come in power-of-two size classes, and a block of 2^k bytes lies
// at a multiple of 2^k, so it is naturally aligned. The arena after its
// header is cut into 64 KiB chunks, handed out in address order. A class
// smaller than a chunk carves its blocks from one chunk at a time. A larger
// block takes a run of chunks of its own. The header records the class of
// each carved chunk and of the first chunk of each run, so a block's class
// follows from its address.
// Freed blocks go on a per-class free list, and chunks never change class.
// The lock is a futex word in the arena, which works across processes
// because the futex is not private.
//
// Handing chunks out in order keeps the memory that start-up touches close
// together. With one 2 GiB region per class instead, every class touched
// cost a page-table page at two levels, and exit spent about as long again
// walking them. A test program touching 24 classes measured about 0.2 ms
// more per process that way, on a 2-CPU KVM guest.
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/single_threaded.h>
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
constexpr unsigned chunk_shift = 16;  // 64 KiB
constexpr uint64_t chunk_size = uint64_t{1} << chunk_shift;
// Room for blocks: 32 times the largest block.
constexpr uint64_t block_area_size = uint64_t{1} << 36;
constexpr uint64_t chunk_count = block_area_size / chunk_size;
// The header is about 1 MiB; the block area starts this far into the arena.
constexpr uint64_t header_size = uint64_t{2} << 20;
// The arena start is aligned to the largest block, so aligning an offset
// into the arena aligns the address.
constexpr uint64_t arena_alignment = uint64_t{1} << largest_class;
constexpr uint64_t arena_size = header_size + block_area_size;
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
  // Arena offsets of the unused part of the chunk that a class smaller than
  // a chunk carves. They are equal when the class needs a new chunk.
  uint64_t carve_next[class_count];
  uint64_t carve_end[class_count];
  // Arena offset of the first chunk not handed out yet; 0 before the first.
  uint64_t next_chunk;
  // The size class of each carved chunk and of each run's first chunk;
  // 0 for the other chunks of a run and for chunks not handed out.
  uint8_t chunk_class[chunk_count];
};
static_assert(sizeof(ArenaHeader) <= header_size);

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

// Makes libstdc++ update reference counts (std::shared_ptr, std::locale)
// with atomic instructions even in a single-threaded process. It skips them
// while glibc's __libc_single_threaded is set, but objects in the arena are
// counted from every process of the sandbox at once. A forked child gets
// the flag again, because glibc may set it in the child.
void share_reference_counts() {
  __libc_single_threaded = 0;
  pthread_atfork(nullptr, nullptr, [] { __libc_single_threaded = 0; });
}

ArenaHeader& arena() {
  if (arena_base == nullptr) [[unlikely]] {
    // The extra room lets the arena start on an aligned address.
    void* mapping = mmap(nullptr, arena_size + arena_alignment, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) {
      std::abort();
    }
    // Safety: converts the mapping address to an integer for alignment.
    const auto start = reinterpret_cast<uint64_t>(mapping);
    share_reference_counts();
    // Safety: the aligned start and the arena after it lie inside the mapping.
    arena_base =
        reinterpret_cast<std::byte*>((start + arena_alignment - 1) & ~(arena_alignment - 1));
  }
  // Safety: the arena starts with the header; fresh shared memory is zero,
  // which is an unlocked header with empty lists and no chunk handed out.
  return *reinterpret_cast<ArenaHeader*>(arena_base);
}

unsigned class_of(size_t size, size_t alignment) {
  const size_t needed = std::max({size, alignment, size_t{1} << smallest_class});
  return static_cast<unsigned>(std::bit_width(needed - 1));
}

// Hands out the next `length` bytes of chunks at a multiple of `alignment`
// (both multiples of chunk_size) for a block of `size_class`. Returns the
// arena offset, or 0 when the arena is full. Called with the lock held.
uint64_t take_chunks(ArenaHeader& header, uint64_t length, uint64_t alignment,
                     unsigned size_class) {
  const uint64_t next = std::max(header.next_chunk, header_size);
  const uint64_t start = (next + alignment - 1) & ~(alignment - 1);
  if (start + length > arena_size) {
    return 0;
  }
  header.next_chunk = start + length;
  header.chunk_class[(start - header_size) / chunk_size] = static_cast<uint8_t>(size_class);
  return start;
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
  } else if (block_size >= chunk_size) {
    if (const uint64_t start = take_chunks(header, block_size, block_size, size_class);
        start != 0) {
      block = arena_base + start;
    }
  } else {
    if (header.carve_next[size_class] == header.carve_end[size_class]) {
      const uint64_t start = take_chunks(header, chunk_size, chunk_size, size_class);
      header.carve_next[size_class] = start;
      header.carve_end[size_class] = start == 0 ? 0 : start + chunk_size;
    }
    if (header.carve_next[size_class] != 0) {
      block = arena_base + header.carve_next[size_class];
      header.carve_next[size_class] += block_size;
    }
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
  const auto offset = static_cast<uint64_t>(block - arena_base);
  // The entry was written before the block was first handed out, and chunks
  // never change class, so it needs no lock.
  const unsigned size_class = header.chunk_class[(offset - header_size) / chunk_size];
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
