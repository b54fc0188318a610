#include "litebox/mm/shared_memory.hpp"

#include <algorithm>

#include "litebox/platform/platform.hpp"

namespace litebox::mm {

Result<std::shared_ptr<SharedMemory>> SharedMemory::create(uint64_t length) {
  if (length == 0 || length % platform::page_size != 0) {
    return fail(Errno::einval);
  }
  void* memory = TRY(platform::current().pages.allocate_shared(length));
  return std::make_shared<SharedMemory>(static_cast<std::byte*>(memory), length);
}

SharedMemory::~SharedMemory() { platform::current().pages.free_shared(data_, length_); }

Result<PageRuns> allocate_runs(uint64_t length) {
  if (length == 0 || length % platform::page_size != 0) {
    return fail(Errno::einval);
  }

  PageRuns runs;
  uint64_t block_length = max_block_length;
  uint64_t allocated = 0;
  while (allocated < length) {
    block_length = std::min(block_length, length - allocated);
    auto memory = SharedMemory::create(block_length);
    if (!memory) {
      // Smaller blocks may still fit where a large one does not.
      if (block_length == platform::page_size) {
        return fail(memory.error());
      }
      block_length =
          std::max<uint64_t>(block_length / 2 / platform::page_size, 1) * platform::page_size;
      continue;
    }
    runs.push_back({*memory, 0, block_length});
    allocated += block_length;
  }
  return runs;
}

PageRuns slice_runs(const PageRuns& runs, uint64_t start, uint64_t length) {
  PageRuns result;
  const uint64_t end = start + length;
  uint64_t run_start = 0;
  for (const PageRun& run : runs) {
    const uint64_t run_end = run_start + run.length;
    const uint64_t from = std::max(start, run_start);
    const uint64_t to = std::min(end, run_end);
    if (from < to) {
      result.push_back({run.memory, run.offset + (from - run_start), to - from});
    }
    run_start = run_end;
  }
  return result;
}

void append_run(PageRuns& runs, PageRun run) {
  if (run.length == 0) {
    return;
  }
  if (!runs.empty()) {
    PageRun& last = runs.back();
    if (last.memory == run.memory && last.offset + last.length == run.offset) {
      last.length += run.length;
      return;
    }
  }
  runs.push_back(std::move(run));
}

uint64_t runs_length(const PageRuns& runs) {
  uint64_t total = 0;
  for (const PageRun& run : runs) {
    total += run.length;
  }
  return total;
}

}  // namespace litebox::mm
