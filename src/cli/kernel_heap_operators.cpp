// The global operator new and operator delete of the litebox executable:
// every allocation comes from the kernel heap (kernel_heap.hpp).
#include <pthread.h>
#include <sys/single_threaded.h>

#include <cstddef>
#include <cstdlib>
#include <new>

#include "kernel_heap.hpp"

namespace {

// Mapped on the first allocation, before any second thread or process
// exists.
constinit litebox::cli::KernelHeap kernel_heap;

// Makes libstdc++ update reference counts (std::shared_ptr, std::locale)
// with atomic instructions even in a single-threaded process. It skips them
// while glibc's __libc_single_threaded is set, but objects in the arena are
// counted from every process of the sandbox at once. A forked child gets
// the flag again, because glibc may set it in the child.
void share_reference_counts() {
  __libc_single_threaded = 0;
  pthread_atfork(nullptr, nullptr, [] { __libc_single_threaded = 0; });
}

litebox::cli::KernelHeap& heap() {
  if (!kernel_heap.is_mapped()) [[unlikely]] {
    if (!kernel_heap.map()) {
      std::abort();
    }
    share_reference_counts();
  }
  return kernel_heap;
}

void* allocate(size_t size, size_t alignment) { return heap().allocate(size, alignment); }

void release(void* pointer) {
  if (pointer != nullptr) {
    heap().release(pointer);
  }
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
