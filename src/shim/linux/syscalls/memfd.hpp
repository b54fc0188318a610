// File seals of fcntl(2), which memfd_create(2) files and tmpfs files carry.
#pragma once

#include <cstdint>

#include "litebox/result.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

// fcntl(2) commands for file seals.
enum SealCommand : uint32_t {
  f_add_seals = 1033,
  f_get_seals = 1034,
};

// fcntl(descriptor, F_ADD_SEALS, seals) or fcntl(descriptor, F_GET_SEALS).
// `eperm` for F_ADD_SEALS on a description without write access, `einval`
// for a file that keeps no seals.
Result<uint64_t> fcntl_seals(Task& task, int32_t descriptor, uint32_t command, uint32_t seals);

}  // namespace litebox::shim::linux_abi
