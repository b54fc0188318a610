// Guest time from the TSC. The libOS calibrates the TSC against the host's
// CLOCK_MONOTONIC once, stores the conversion in a litebox_vdso_data block,
// and copies that block into every guest's "[vvar]" page. The vDSO and the
// shim's clock system calls then evaluate the same formula on the same
// values, so a guest that mixes both never sees CLOCK_MONOTONIC go back.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "litebox/platform/clock.hpp"
#include "shim/linux/vdso/vdso_data.h"

namespace litebox::shim::linux_abi::vdso {

// The resolution Linux reports for the coarse clocks (one tick at HZ=250).
inline constexpr int64_t coarse_resolution_ns = 4'000'000;

// A TSC-to-nanoseconds conversion: ns = (cycles * multiplier) >> shift.
struct TscConversion {
  uint64_t multiplier = 0;
  uint32_t shift = 0;
};

// The conversion for a TSC that ticks `frequency_hz` times a second
// (at least 1 MHz).
TscConversion conversion_for_frequency(uint64_t frequency_hz);

// The TSC frequency from `cycles` counted over `elapsed_ns` nanoseconds.
uint64_t frequency_from_interval(uint64_t cycles, int64_t elapsed_ns);

// CLOCK_MONOTONIC in nanoseconds at TSC value `tsc`, by the formula in
// vdso_data.h. A TSC value below the base counts as the base.
int64_t monotonic_ns_at(const litebox_vdso_data& data, uint64_t tsc);

// The TSC frequency that CPUID leaf 0x15 (or 0x16 with 0x15's ratio)
// states, if the CPU states one.
std::optional<uint64_t> cpuid_tsc_frequency();

// Returns whether the CPU has an invariant TSC (CPUID 0x80000007 EDX bit 8)
// and RDTSCP (CPUID 0x80000001 EDX bit 27), which the vDSO needs.
bool tsc_usable();

// Takes the first calibration sample now, so that the first time_data()
// call waits only for the rest of the calibration interval, and
// time_data_if_ready() returns null until the interval has passed.
// Optional. Call it before any other thread starts.
void begin_calibration(platform::Clock& clock);

// Returns time_data() if building it needs no wait: the block is built
// already, the calibration interval since begin_calibration() has passed,
// CPUID states the frequency, or no calibration runs in the background.
// Returns null while a calibration that begin_calibration() started is
// still running.
const litebox_vdso_data* time_data_if_ready(platform::Clock& clock);

// The block a data page holds while the calibration runs: tsc_usable is 0,
// so the vDSO makes the system calls and the guest reads the host clock.
litebox_vdso_data calibrating_time_data(platform::Clock& clock);

// Calibrates the TSC against `clock` on the first call (5 ms after
// begin_calibration() or after this call, unless CPUID states the
// frequency) and returns the block every guest's data page gets.
// Thread-safe. tsc_usable is 0 in it when the TSC cannot serve time.
const litebox_vdso_data& time_data(platform::Clock& clock);

// The block that time_data() built, or null before its first call or when
// the TSC cannot serve time: then the clock system calls read the host.
const litebox_vdso_data* active_time_data();

// The guest's CLOCK_MONOTONIC now, from `data`.
std::chrono::nanoseconds monotonic_now(const litebox_vdso_data& data);

}  // namespace litebox::shim::linux_abi::vdso
