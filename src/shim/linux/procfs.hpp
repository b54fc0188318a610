// The Linux contents of /proc: what the shim's processes look like to
// glibc, Python and Node when they read /proc/self/... and /proc/*.
#pragma once

#include <memory>

#include "litebox/fs/procfs.hpp"

namespace litebox::shim::linux_abi {

// Creates a procfs provider that serves the guest process of the calling
// thread.
std::shared_ptr<fs::procfs::Provider> make_procfs_provider();

}  // namespace litebox::shim::linux_abi
