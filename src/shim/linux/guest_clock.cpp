#include "shim/linux/guest_clock.hpp"

#include "litebox/platform/platform.hpp"
#include "shim/linux/vdso/time_source.hpp"

namespace litebox::shim::linux_abi {

namespace {

constexpr int64_t nanoseconds_per_second = 1'000'000'000;

}  // namespace

LinuxTimespec to_timespec(std::chrono::nanoseconds value) {
  return {value.count() / nanoseconds_per_second, value.count() % nanoseconds_per_second};
}

std::chrono::nanoseconds guest_monotonic_now() {
  if (const litebox_vdso_data* data = vdso::active_time_data()) {
    return vdso::monotonic_now(*data);
  }
  return platform::current().clock.monotonic_now();
}

platform::Timespec guest_realtime_now() {
  if (const litebox_vdso_data* data = vdso::active_time_data()) {
    const int64_t now = vdso::monotonic_now(*data).count() + data->realtime_offset_ns;
    return {now / nanoseconds_per_second, now % nanoseconds_per_second};
  }
  return platform::current().clock.realtime_now();
}

}  // namespace litebox::shim::linux_abi
