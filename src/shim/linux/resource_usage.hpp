// struct rusage in the guest's layout, and the rule by which Linux sums the
// usage of waited-for children.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "litebox/platform/clock.hpp"
#include "shim/linux/guest_clock.hpp"

namespace litebox::shim::linux_abi {

// struct rusage on x86-64.
struct LinuxResourceUsage {
  LinuxTimeval user_time;
  LinuxTimeval system_time;
  int64_t max_resident_kib;
  int64_t shared_memory_size;   // ru_ixrss, unused by Linux
  int64_t unshared_data_size;   // ru_idrss, unused by Linux
  int64_t unshared_stack_size;  // ru_isrss, unused by Linux
  int64_t minor_faults;
  int64_t major_faults;
  int64_t swaps;  // ru_nswap, unused by Linux
  int64_t input_blocks;
  int64_t output_blocks;
  int64_t messages_sent;      // ru_msgsnd, unused by Linux
  int64_t messages_received;  // ru_msgrcv, unused by Linux
  int64_t signals_received;   // ru_nsignals, unused by Linux
  int64_t voluntary_switches;
  int64_t involuntary_switches;
};
static_assert(sizeof(LinuxResourceUsage) == 144);

inline LinuxTimeval to_timeval(std::chrono::microseconds value) {
  return {value.count() / 1'000'000, value.count() % 1'000'000};
}

inline LinuxResourceUsage to_linux_resource_usage(const platform::ResourceUsage& usage) {
  LinuxResourceUsage result{};
  result.user_time = to_timeval(usage.user_time);
  result.system_time = to_timeval(usage.system_time);
  result.max_resident_kib = usage.max_resident_kib;
  result.minor_faults = usage.minor_faults;
  result.major_faults = usage.major_faults;
  result.input_blocks = usage.input_blocks;
  result.output_blocks = usage.output_blocks;
  result.voluntary_switches = usage.voluntary_switches;
  result.involuntary_switches = usage.involuntary_switches;
  return result;
}

// Adds the usage of a reaped child to `total` as Linux counts RUSAGE_CHILDREN:
// times, faults, blocks and context switches add up, and the max resident
// set size is the largest of any one child's.
inline void add_child_usage(platform::ResourceUsage& total, const platform::ResourceUsage& child) {
  total.user_time += child.user_time;
  total.system_time += child.system_time;
  total.max_resident_kib = std::max(total.max_resident_kib, child.max_resident_kib);
  total.minor_faults += child.minor_faults;
  total.major_faults += child.major_faults;
  total.input_blocks += child.input_blocks;
  total.output_blocks += child.output_blocks;
  total.voluntary_switches += child.voluntary_switches;
  total.involuntary_switches += child.involuntary_switches;
}

}  // namespace litebox::shim::linux_abi
