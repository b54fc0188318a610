// South interface: page reservation, commit, protection and release, and
// shared memory that guest mappings alias.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "litebox/platform/stdio.hpp"
#include "litebox/result.hpp"

namespace litebox::platform {

// Page protection bits, the same values as PROT_READ/WRITE/EXEC on Linux.
enum Protection : uint32_t {
  prot_none = 0,
  prot_read = 1,
  prot_write = 2,
  prot_exec = 4,
};

inline constexpr size_t page_size = 4096;

// The host mappings that a call mapping pages at a given range may replace.
enum class Replace : uint8_t {
  // The range is a reservation or a mapping of the caller, which the new
  // pages replace (MAP_FIXED).
  reservation,
  // Nothing: the range must be free. If the host has any mapping in it, the
  // call returns `eexist` and leaves the range as it was
  // (MAP_FIXED_NOREPLACE). This saves the reservation that would otherwise
  // come first.
  nothing,
};

// Whether committed private memory counts against the host's commit limit,
// as Linux's overcommit accounting decides for a private writable mapping.
enum class Accounting : uint8_t {
  // Counted: the host may refuse a range larger than it could ever back.
  charged,
  // Not counted (MAP_NORESERVE): memory runs out, if at all, when a page is
  // first touched.
  no_reserve,
};

class Pages {
 public:
  virtual ~Pages() = default;

  // Reserves `length` bytes of address space (a multiple of page_size) with no
  // access. With `fixed`, the range starts exactly at `hint` and replaces any
  // earlier reservation there; otherwise `hint` is only a preference (nullptr
  // for none). Returns the start, or `enomem`. Thread-safe.
  virtual Result<void*> reserve(void* hint, size_t length, bool fixed) = 0;

  // Backs a page-aligned range with zero-filled memory and sets its
  // protection. `replace` states whether the range is reserved or must be
  // free. Returns `einval` for an unaligned range, and `enomem` when the
  // host refuses to charge the range. Thread-safe.
  virtual Result<void> commit(void* address, size_t length, uint32_t protection, Replace replace,
                              Accounting accounting) = 0;

  // Changes the protection of committed pages. Thread-safe.
  virtual Result<void> protect(void* address, size_t length, uint32_t protection) = 0;

  // Replaces the 16 bytes at `address` (16-byte aligned, committed and
  // writable) with `replacement` if they equal `expected`, in one atomic
  // store, so that a thread running code there executes either the old or
  // the new bytes. Returns whether it replaced them. The default, `enosys`,
  // means the host cannot store 16 bytes at once.
  virtual Result<bool> exchange_code(void* /*address*/,
                                     const std::array<std::byte, 16>& /*expected*/,
                                     const std::array<std::byte, 16>& /*replacement*/) {
    return fail(Errno::enosys);
  }

  // Returns a range to the host; its contents are lost. Thread-safe.
  virtual Result<void> release(void* address, size_t length) = 0;

  // Allocates `length` bytes (a multiple of page_size) of zero-filled,
  // page-aligned shared memory. Every process of the sandbox maps it at the
  // same address, also a process forked before the call, so the libOS can
  // read and write it directly and guest mappings can alias it. Returns
  // `enomem` when none is left. Thread-safe.
  virtual Result<void*> allocate_shared(size_t length) = 0;

  // Returns memory from allocate_shared. No alias of it may remain in any
  // process, because the memory may then hold other data. Thread-safe.
  virtual void free_shared(void* memory, size_t length) = 0;

  // Maps the `length` bytes of shared memory at `source` at the reserved
  // range `address` too, with `protection`, so a store through either range
  // is seen through the other, in this process and in processes forked later.
  // Returns `einval` for an unaligned range or a `source` that is not shared
  // memory. Thread-safe.
  virtual Result<void> alias(void* address, size_t length, void* source, uint32_t protection) = 0;

  // Maps the `length` bytes at `source` privately at the range `address`,
  // which `replace` states is reserved or must be free, with `protection`.
  // The pages read as `source`'s bytes, and
  // the first store to a page gives this process its own copy of it, as in
  // a private file mapping. Nothing is copied until a page is touched.
  // `source` must be page-aligned memory that the platform mapped read-only
  // from a host file. The default, `enodev`, means the platform cannot map
  // `source`, so the caller copies the bytes instead; the range is then as
  // it was. Thread-safe.
  virtual Result<void> map_copy_on_write(void* address, size_t length, const void* source,
                                         uint32_t protection, Replace replace);

  // Maps the `length` bytes of the file that the standard `stream` is,
  // from `offset` on, at the range `address` with `protection`, as mmap(2)
  // of the host file does. `replace` states whether the range is reserved
  // or must be free. With `shared`, stores reach the file and other
  // processes' mappings of it; otherwise they stay in this process. The
  // host checks the file's type, access mode and range as Linux does. The
  // default, `enodev`, is for hosts that cannot map their streams.
  // Thread-safe.
  virtual Result<void> map_stream(void* address, size_t length, StdioStream stream, uint64_t offset,
                                  uint32_t protection, bool shared, Replace replace);

  // Moves the host mapping of the `source_length` bytes at `source` to the
  // reserved range `address`, grown or shrunk to `length` bytes, as
  // mremap(2) with MREMAP_FIXED does: the pages keep their contents and
  // their file, and `source` is left unmapped. `source` must be a mapping
  // made by map_stream. The default, `enodev`, is for hosts that cannot
  // move mappings. Thread-safe.
  virtual Result<void> move_mapping(void* source, size_t source_length, void* address,
                                    size_t length);

  // Reports that the libOS read the `length` bytes at `source` from memory
  // that the platform mapped read-only from a host file, such as the root
  // image. A host may count every mapped page of such a file as memory of
  // the process, although its page cache keeps the file anyway. The platform
  // may therefore unmap pages that were read, and a later read maps them
  // again with the same bytes. The default does nothing. Thread-safe.
  virtual void note_file_read(const void* source, size_t length);
};

}  // namespace litebox::platform
