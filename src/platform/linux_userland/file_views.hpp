// File views: host files that the libOS maps read-only and keeps open, so
// that a guest's private mapping of their page-aligned bytes can map the
// host file itself, copy-on-write, instead of copying the bytes
// (Pages::map_copy_on_write).
//
// Register views while the process is single-threaded, before the guest
// starts: lookups take no lock. A forked process inherits the table and the
// descriptors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace litebox::platform::linux_userland {

// Records that the `length` bytes at `mapping` are a read-only mapping of
// the whole host file open as `descriptor` (read-only), and takes the
// descriptor. When the table is full, the descriptor is closed and the view
// is not kept: mappings of it are then copies.
void keep_file_view(const void* mapping, size_t length, int descriptor);

// Forgets the view that starts at `mapping`, before the caller unmaps it,
// and returns its descriptor (-1 if there is no such view). The caller may
// close the descriptor, though not once the sandbox is sealed: close(2) is
// not an allowed host request, and the process's end closes it anyway.
int forget_file_view(const void* mapping);

// A position in a host file: its descriptor and a byte offset.
struct FileRange {
  int descriptor;
  uint64_t offset;
};

// Returns the host file and offset behind [source, source + length), if
// one view contains the whole range.
std::optional<FileRange> find_file_view(const void* source, size_t length);

// Records that the libOS read [source, source + length) of a view. Linux
// counts each mapped page of a view in the process's RSS, and reading the
// headers of an image of small files maps nearly all of it. So once the
// reads since the last drop may have mapped file_view_read_budget bytes, the
// range they covered is unmapped with MADV_DONTNEED, which leaves the pages
// in the host's page cache. Each read counts at least 64 KiB, the host's
// default fault_around_bytes, because one fault maps that much around a
// small read.
void note_file_view_read(const void* source, size_t length);

inline constexpr size_t file_view_read_budget = size_t{8} << 20;

}  // namespace litebox::platform::linux_userland
