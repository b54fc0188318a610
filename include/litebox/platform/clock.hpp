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

// CPU time used, split into user and system time as getrusage(2) reports it.
struct CpuTimes {
  std::chrono::nanoseconds user{0};
  std::chrono::nanoseconds system{0};
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

  // CPU time used so far by the calling host process (all its threads) or
  // by the calling thread. Default: zero, for a platform that does not
  // measure it.
  virtual CpuTimes process_cpu_times() { return {}; }
  virtual CpuTimes thread_cpu_times() { return {}; }
};

}  // namespace litebox::platform
