#include "file_views.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>

namespace litebox::platform::linux_userland {

namespace {

// Members without initializers, so that the table below is zero-filled
// .bss rather than 12 KiB of .data that the loader maps from the file.
struct FileView {
  uintptr_t start;
  size_t length;
  int descriptor;
};

// A fixed table in static storage, because the kernel heap is shared by
// every process of the sandbox and a table there would outlive the
// descriptors of a process that ends. 512 views keep the descriptors far
// below the usual limit of 1024 open files.
constexpr size_t max_views = 512;
std::array<FileView, max_views> views;
size_t view_count = 0;

uintptr_t address_of(const void* pointer) {
  // Safety: only the numeric value of the address is used.
  return reinterpret_cast<uintptr_t>(pointer);
}

// The default fault_around_bytes of Linux: a read fault on a file mapping
// maps the cached pages of the aligned 64 KiB block around the fault.
constexpr uintptr_t fault_around_bytes = 64 * 1024;

// The reads since the last drop: the bytes they may have mapped, and the
// lowest and highest address they touched. Per process, like the page
// tables they describe. Threads update them without a lock, so a drop may
// miss a read that races with it, and the pages of that read stay mapped
// until a later drop covers them.
std::atomic<size_t> read_since_drop{0};
std::atomic<uintptr_t> read_low{UINTPTR_MAX};
std::atomic<uintptr_t> read_high{0};

void lower_to(std::atomic<uintptr_t>& bound, uintptr_t value) {
  uintptr_t current = bound.load(std::memory_order_relaxed);
  while (value < current &&
         !bound.compare_exchange_weak(current, value, std::memory_order_relaxed)) {
  }
}

void raise_to(std::atomic<uintptr_t>& bound, uintptr_t value) {
  uintptr_t current = bound.load(std::memory_order_relaxed);
  while (value > current &&
         !bound.compare_exchange_weak(current, value, std::memory_order_relaxed)) {
  }
}

// Unmaps the pages of every view inside [low, high), widened to the
// aligned 64 KiB blocks that fault-around maps whole.
void drop_view_pages(uintptr_t low, uintptr_t high) {
  low &= ~(fault_around_bytes - 1);
  high = std::min(high, UINTPTR_MAX - fault_around_bytes);
  high = (high + fault_around_bytes - 1) & ~(fault_around_bytes - 1);
  for (size_t i = 0; i < view_count; ++i) {
    const FileView& view = views[i];
    // The start is page-aligned, because a view starts at a mapping and
    // `low` at a multiple of 64 KiB. The kernel rounds the length up.
    const uintptr_t start = std::max(low, view.start);
    const uintptr_t end = std::min(high, view.start + view.length);
    if (start < end) {
      // Safety: the range lies inside a read-only private file mapping that
      // nothing writes, so dropping its pages loses no data.
      (void)madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
    }
  }
}

}  // namespace

void keep_file_view(const void* mapping, size_t length, int descriptor) {
  if (view_count == max_views) {
    ::close(descriptor);
    return;
  }
  views[view_count++] = FileView{address_of(mapping), length, descriptor};
}

int forget_file_view(const void* mapping) {
  for (size_t i = 0; i < view_count; ++i) {
    if (views[i].start != address_of(mapping)) {
      continue;
    }
    const int descriptor = views[i].descriptor;
    views[i] = views[view_count - 1];
    --view_count;
    return descriptor;
  }
  return -1;
}

std::optional<FileRange> find_file_view(const void* source, size_t length) {
  const uintptr_t start = address_of(source);
  for (size_t i = 0; i < view_count; ++i) {
    const FileView& view = views[i];
    if (start >= view.start && length <= view.length &&
        start - view.start <= view.length - length) {
      return FileRange{view.descriptor, start - view.start};
    }
  }
  return std::nullopt;
}

void note_file_view_read(const void* source, size_t length) {
  const uintptr_t start = address_of(source);
  lower_to(read_low, start);
  raise_to(read_high, start + length);

  const size_t charge = std::max<size_t>(length, fault_around_bytes);
  if (read_since_drop.fetch_add(charge, std::memory_order_relaxed) + charge <
      file_view_read_budget) {
    return;
  }
  read_since_drop.store(0, std::memory_order_relaxed);
  const uintptr_t low = read_low.exchange(UINTPTR_MAX, std::memory_order_relaxed);
  const uintptr_t high = read_high.exchange(0, std::memory_order_relaxed);
  if (low < high) {
    drop_view_pages(low, high);
  }
}

}  // namespace litebox::platform::linux_userland
