#include "file_views.hpp"

#include <unistd.h>

#include <array>

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

}  // namespace litebox::platform::linux_userland
