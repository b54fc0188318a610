#include "litebox/fd/anonymous_inode.hpp"

#include "litebox/fs/file_system.hpp"

namespace litebox::fd {

namespace {

// Set during static initialization, before any guest fork, so every guest
// process of the sandbox reports the same st_dev.
const uint64_t anonymous_inode_device = fs::allocate_device_number();

}  // namespace

fs::Stat anonymous_inode_stat() {
  const uint64_t device = anonymous_inode_device;

  // NOTE: Linux reports the anonymous inode's owner, root, whatever the
  // caller's credentials are.
  fs::Stat status;
  status.device = device;
  status.inode = 1;
  status.mode = 0600;
  status.link_count = 1;
  return status;
}

}  // namespace litebox::fd
