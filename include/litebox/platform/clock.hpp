// South interface: clocks.
#pragma once

#include <chrono>
#include <cstdint>

namespace litebox::platform {

// A point in time as seconds and nanoseconds, like struct timespec.
struct Timespec {
  int64_t seconds = 0;
  int64_t nanoseconds = 0;  // 0 .. 999'999'999

  friend constexpr auto operator<=>(const Timespec&, const Timespec&) = default;
};

class Clock {
 public:
  virtual ~Clock() = default;

  // Nanoseconds since an arbitrary fixed point; never goes backwards.
  // Thread-safe.
  virtual std::chrono::nanoseconds monotonic_now() = 0;

  // Wall-clock time since the Unix epoch (CLOCK_REALTIME). Thread-safe.
  virtual Timespec realtime_now() = 0;

  // Resolution of both clocks in nanoseconds.
  virtual std::chrono::nanoseconds resolution() = 0;
};

}  // namespace litebox::platform
