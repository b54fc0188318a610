#include "litebox/fd/anonymous_inode.hpp"

#include "litebox/fs/file_system.hpp"

namespace litebox::fd {

fs::Stat anonymous_inode_stat() {
  static const uint64_t device = fs::allocate_device_number();

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
