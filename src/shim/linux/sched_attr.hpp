// struct sched_attr of sched_setattr(2) and sched_getattr(2), which the
// scheduling calls and their trace decoder share.
#pragma once

#include <cstdint>

namespace litebox::shim::linux_abi {

// struct sched_attr of SCHED_ATTR_SIZE_VER1, the size Linux 6.18 defines.
struct LinuxSchedAttr {
  uint32_t size;
  uint32_t policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime;
  uint64_t deadline;
  uint64_t period;
  uint32_t util_min;
  uint32_t util_max;
};
static_assert(sizeof(LinuxSchedAttr) == 56);

// SCHED_ATTR_SIZE_VER0, the smallest struct sched_attr, and the largest
// size Linux accepts (a page).
inline constexpr uint32_t sched_attr_size_ver0 = 48;
inline constexpr uint32_t sched_attr_size_max = 4096;

// The struct sched_attr flags (SCHED_FLAG_*) that make sched_setattr keep
// the current policy or the current policy's parameters.
inline constexpr uint64_t sched_flag_keep_policy = 0x08;
inline constexpr uint64_t sched_flag_keep_params = 0x10;

}  // namespace litebox::shim::linux_abi
