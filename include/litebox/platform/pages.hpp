// South interface: page reservation, commit, protection and release.
#pragma once

#include <cstddef>
#include <cstdint>

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

class Pages {
 public:
  virtual ~Pages() = default;

  // Reserves `length` bytes of address space (a multiple of page_size) with no
  // access. With `fixed`, the range starts exactly at `hint` and replaces any
  // earlier reservation there; otherwise `hint` is only a preference (nullptr
  // for none). Returns the start, or `enomem`. Thread-safe.
  virtual Result<void*> reserve(void* hint, size_t length, bool fixed) = 0;

  // Backs a reserved, page-aligned range with zero-filled memory and sets its
  // protection. Returns `einval` for an unaligned range. Thread-safe.
  virtual Result<void> commit(void* address, size_t length, uint32_t protection) = 0;

  // Changes the protection of committed pages. Thread-safe.
  virtual Result<void> protect(void* address, size_t length, uint32_t protection) = 0;

  // Returns a range to the host; its contents are lost. Thread-safe.
  virtual Result<void> release(void* address, size_t length) = 0;
};

}  // namespace litebox::platform
