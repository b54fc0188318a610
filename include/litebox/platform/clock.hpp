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

// Usage counters of the calling process or thread as the host keeps them:
// the fields of getrusage(2) that Linux fills.
struct ResourceUsage {
  std::chrono::microseconds user_time{0};
  std::chrono::microseconds system_time{0};
  int64_t max_resident_kib = 0;  // peak resident set size in KiB
  int64_t minor_faults = 0;
  int64_t major_faults = 0;
  int64_t input_blocks = 0;   // 512-byte blocks read from storage
  int64_t output_blocks = 0;  // 512-byte blocks written to storage
  int64_t voluntary_switches = 0;
  int64_t involuntary_switches = 0;
};

enum class UsageScope { process, thread };

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

  // CPU time and other usage of the calling process or thread, libOS work
  // included. The default, for hosts that count nothing, reports zeros.
  virtual ResourceUsage resource_usage(UsageScope /*scope*/) { return {}; }

  // CPU time (user and system) of the calling process or thread, libOS work
  // included, in nanoseconds. The default, for hosts that do not measure
  // it, is 0.
  virtual std::chrono::nanoseconds cpu_time(UsageScope /*scope*/) {
    return std::chrono::nanoseconds(0);
  }
};

}  // namespace litebox::platform
