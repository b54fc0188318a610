// The guest's view of time: the x86-64 layouts of struct timespec and
// struct timeval, and the clocks that system calls read so that they agree
// with the vDSO.
#pragma once

#include <chrono>
#include <cstdint>

#include "litebox/platform/clock.hpp"

namespace litebox::shim::linux_abi {

struct LinuxTimespec {
  int64_t seconds;
  int64_t nanoseconds;
};

struct LinuxTimeval {
  int64_t seconds;
  int64_t microseconds;
};

// Splits a non-negative duration into seconds and nanoseconds.
LinuxTimespec to_timespec(std::chrono::nanoseconds value);

// The guest's CLOCK_MONOTONIC. With the vDSO mapped, it is the vDSO's TSC
// clock, so that system calls and vDSO calls agree. Without it, it is the
// host's clock.
std::chrono::nanoseconds guest_monotonic_now();

// The guest's CLOCK_REALTIME, by the same rule.
platform::Timespec guest_realtime_now();

}  // namespace litebox::shim::linux_abi
