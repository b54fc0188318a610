#include <algorithm>
#include <atomic>

#include "litebox/fs/file_system.hpp"
#include "litebox/fs/types.hpp"

namespace litebox::fs {

bool Credentials::in_group(uint32_t group) const {
  return group == gid || std::ranges::find(groups, group) != groups.end();
}

uint64_t allocate_device_number() {
  // The counter is on the heap, which forked guest processes share (see
  // src/cli/kernel_heap.cpp), so a file system created after a fork still
  // gets a number no other process has. The first call comes when the
  // root file system is built, before any fork. Start above 0 so no file
  // system reports st_dev 0.
  static auto& next_device = *new std::atomic<uint64_t>{1};
  return next_device.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace litebox::fs
