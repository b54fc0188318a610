// Advisory file locks: fcntl(2) record locks (POSIX and OFD) and flock(2).
#pragma once

#include <cstdint>

#include "litebox/result.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

// fcntl(2) commands that take a struct flock.
enum RecordLockCommand : uint32_t {
  f_getlk = 5,
  f_setlk = 6,
  f_setlkw = 7,
  f_ofd_getlk = 36,
  f_ofd_setlk = 37,
  f_ofd_setlkw = 38,
};

// fcntl(descriptor, command, address) for the RecordLockCommand values.
Result<uint64_t> fcntl_record_lock(Task& task, int32_t descriptor, uint32_t command,
                                   uint64_t address);

}  // namespace litebox::shim::linux_abi
