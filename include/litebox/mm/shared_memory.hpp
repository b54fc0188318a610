// SharedMemory: pages that guest MAP_SHARED mappings alias, and PageRun, a
// piece of one such block that a mapping maps.
//
// A block comes from platform::Pages::allocate_shared, so every process of
// the sandbox maps it at the same address. The libOS reads and writes it
// directly (file data in memfs lives there), and each shared mapping of it,
// in any process, is a host alias of the same pages. A block is freed when
// its last owner drops it; a mapping owns the blocks it aliases, so no alias
// outlives its pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "litebox/result.hpp"

namespace litebox::mm {

class SharedMemory {
 public:
  // Allocates `length` bytes (a multiple of the page size) of zero-filled
  // shared memory, or `enomem`.
  static Result<std::shared_ptr<SharedMemory>> create(uint64_t length);

  SharedMemory(std::byte* data, uint64_t length) : data_(data), length_(length) {}
  ~SharedMemory();

  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;

  std::byte* data() const { return data_; }
  uint64_t length() const { return length_; }

 private:
  std::byte* data_;
  uint64_t length_;
};

// `length` bytes at `offset` in one SharedMemory block. Both are page-aligned.
struct PageRun {
  std::shared_ptr<SharedMemory> memory;
  uint64_t offset = 0;
  uint64_t length = 0;

  std::byte* data() const { return memory->data() + offset; }
};

// The pages that a shared mapping maps, in address order.
using PageRuns = std::vector<PageRun>;

// Allocates `length` bytes (a multiple of the page size) of zero-filled
// shared memory as one or more blocks of at most max_block_length bytes,
// smaller ones when no block that large is left. `enomem` if none is.
Result<PageRuns> allocate_runs(uint64_t length);

// The largest block that allocate_runs requests, so a large mapping needs no
// single block of its own size from the platform.
inline constexpr uint64_t max_block_length = uint64_t{256} << 20;

// Returns the runs covering bytes [start, start + length) of `runs`, which
// must hold that many bytes. Both bounds are page-aligned.
PageRuns slice_runs(const PageRuns& runs, uint64_t start, uint64_t length);

// Appends `run` to `runs`, extending the last run when `run` continues it in
// the same block.
void append_run(PageRuns& runs, PageRun run);

// Total bytes in `runs`.
uint64_t runs_length(const PageRuns& runs);

}  // namespace litebox::mm
