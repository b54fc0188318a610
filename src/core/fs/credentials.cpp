#include <algorithm>
#include <atomic>

#include "litebox/fs/file_system.hpp"
#include "litebox/fs/types.hpp"

namespace litebox::fs {

bool Credentials::in_group(uint32_t group) const {
  return group == gid || std::ranges::find(groups, group) != groups.end();
}

uint64_t allocate_device_number() {
  // Start above 0 so no file system reports st_dev 0.
  static std::atomic<uint64_t> next_device{1};
  return next_device.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace litebox::fs
