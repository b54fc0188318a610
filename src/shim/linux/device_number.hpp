// The major and minor numbers of a dev_t, split as glibc's gnu_dev_major and
// gnu_dev_minor split them: 12 bits of major and 20 of minor in the 64-bit
// encoding that stat(2) reports.
#pragma once

#include <cstdint>

namespace litebox::shim::linux_abi {

inline uint32_t device_major(uint64_t device) {
  return static_cast<uint32_t>(((device >> 8) & 0xfff) | ((device >> 32) & ~uint64_t{0xfff}));
}

inline uint32_t device_minor(uint64_t device) {
  return static_cast<uint32_t>((device & 0xff) | ((device >> 12) & ~uint64_t{0xff}));
}

}  // namespace litebox::shim::linux_abi
