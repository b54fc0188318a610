// The Linux contents of /sys and /sys/fs/cgroup: the CPU files that glibc,
// lscpu and language runtimes read, and the cgroup limits that runtimes
// size their heaps and thread pools from.
#pragma once

#include <cstdint>

#include "litebox/fs/sysfs.hpp"

namespace litebox::shim::linux_abi {

// The sysfs tree for a sandbox that shows `processor_count` CPUs, numbered
// from 0 as sched_getaffinity(2) reports them.
fs::sysfs::Tree system_tree(uint32_t processor_count);

// The cgroup2 tree of a process at the root of its cgroup namespace whose
// cgroup sets no limit.
fs::sysfs::Tree cgroup_tree(uint32_t processor_count);

}  // namespace litebox::shim::linux_abi
