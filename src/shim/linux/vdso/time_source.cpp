#include "shim/linux/vdso/time_source.hpp"

#include <cpuid.h>

#include <atomic>

#include "shim/linux/glibc_cpuid.hpp"

namespace litebox::shim::linux_abi::vdso {

namespace {

// The 128-bit products that the vDSO computes too. __extension__ keeps
// -Wpedantic quiet about the GNU type.
__extension__ using Uint128 = unsigned __int128;

constexpr uint64_t nanoseconds_per_second = 1'000'000'000;
constexpr uint32_t conversion_shift = 32;

// How long calibration counts TSC cycles against the host clock: a cost
// that every sandbox start pays once. On a KVM guest (AMD EPYC, 2.6 GHz
// TSC), six 5 ms calibrations spread over 2.4 ppm and six 20 ms ones over
// 0.5 ppm, so 5 ms keeps the drift to about 10 ms an hour (an estimate).
constexpr int64_t calibration_ns = 5'000'000;

// 2^32 cycles last longer than 5 ms on any TSC slower than 800 GHz.
constexpr uint64_t max_calibration_cycles = uint64_t{1} << 32;

struct Cpuid {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

Cpuid cpuid(uint32_t leaf) {
  Cpuid result;
  __cpuid_count(leaf, 0, result.eax, result.ebx, result.ecx, result.edx);
  return result;
}

uint64_t read_tsc_ordered() {
  uint32_t auxiliary = 0;
  // Safety: only called after tsc_usable() confirmed RDTSCP.
  return __builtin_ia32_rdtscp(&auxiliary);
}

// Reads the invariant-TSC and RDTSCP bits from glibc's copies of CPUID
// leaves 0x80000007 and 0x80000001, because each CPUID instruction traps to
// the hypervisor in a virtual machine. glibc leaves a leaf beyond the
// processor's highest extended leaf zeroed.
bool read_tsc_usable() {
  constexpr uint32_t invariant_tsc_bit = 1u << 8;
  constexpr uint32_t rdtscp_bit = 1u << 27;
  const uint32_t power_management = glibc_cpuid::read(glibc_cpuid::leaf_80000007, glibc_cpuid::edx);
  const uint32_t extended_features =
      glibc_cpuid::read(glibc_cpuid::leaf_80000001, glibc_cpuid::edx);
  return (power_management & invariant_tsc_bit) != 0 && (extended_features & rdtscp_bit) != 0;
}

// Returns the highest basic CPUID leaf on an Intel processor and 0 on
// others, because Linux reads the TSC frequency from CPUID only on Intel.
// Reads glibc's copy of leaf 0 when it can, because CPUID traps.
uint32_t highest_intel_leaf() {
  if (const std::optional<glibc_cpuid::BasicLeaf> basic = glibc_cpuid::read_basic_leaf()) {
    return basic->vendor == glibc_cpuid::vendor_intel ? basic->highest_leaf : 0;
  }
  const Cpuid vendor = cpuid(0);
  // "GenuineIntel" in EBX, EDX, ECX.
  const bool intel =
      vendor.ebx == 0x756e6547 && vendor.edx == 0x49656e69 && vendor.ecx == 0x6c65746e;
  return intel ? vendor.eax : 0;
}

std::optional<uint64_t> read_cpuid_tsc_frequency() {
  const uint32_t max_leaf = highest_intel_leaf();
  if (max_leaf < 0x15) {
    return std::nullopt;
  }
  // Leaf 0x15: TSC = crystal (ECX, Hz) * EBX / EAX.
  const Cpuid ratio = cpuid(0x15);
  if (ratio.eax == 0 || ratio.ebx == 0) {
    return std::nullopt;
  }
  if (ratio.ecx != 0) {
    return static_cast<uint64_t>(ratio.ecx) * ratio.ebx / ratio.eax;
  }
  // Without the crystal frequency, leaf 0x16 EAX is the base frequency in
  // MHz, which is the TSC frequency on CPUs that report the ratio.
  if (max_leaf < 0x16 || (cpuid(0x16).eax & 0xffff) == 0) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(cpuid(0x16).eax & 0xffff) * 1'000'000;
}

// One (TSC, host monotonic) pair from the tightest of a few bracketed host
// clock reads: `tsc` is read halfway through the bracket and `tsc_before`
// at its start, so the host clock read `monotonic_ns` at or after
// `tsc_before`.
struct ClockSample {
  uint64_t tsc = 0;
  uint64_t tsc_before = 0;
  int64_t monotonic_ns = 0;
};

ClockSample sample_host_clock(platform::Clock& clock) {
  ClockSample best;
  uint64_t best_width = UINT64_MAX;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const uint64_t before = read_tsc_ordered();
    const int64_t now = clock.monotonic_now().count();
    const uint64_t after = read_tsc_ordered();
    if (after - before < best_width) {
      best_width = after - before;
      best = {before + (after - before) / 2, before, now};
    }
  }
  return best;
}

// The sample begin_calibration() took, if it ran.
std::optional<ClockSample> calibration_start;

// Returns 0 when the clock does not advance by calibration_ns within
// max_calibration_cycles TSC cycles (a stopped or simulated clock).
uint64_t measure_frequency(platform::Clock& clock) {
  const ClockSample start = calibration_start ? *calibration_start : sample_host_clock(clock);
  while (clock.monotonic_now().count() - start.monotonic_ns < calibration_ns) {
    if (read_tsc_ordered() - start.tsc > max_calibration_cycles) {
      return 0;
    }
  }
  const ClockSample end = sample_host_clock(clock);
  return frequency_from_interval(end.tsc - start.tsc, end.monotonic_ns - start.monotonic_ns);
}

litebox_vdso_data build_time_data(platform::Clock& clock) {
  litebox_vdso_data data{};
  data.resolution_ns = clock.resolution().count();
  data.coarse_resolution_ns = coarse_resolution_ns;
  if (!tsc_usable()) {
    return data;
  }

  std::optional<uint64_t> frequency = cpuid_tsc_frequency();
  if (!frequency) {
    frequency = measure_frequency(clock);
  }
  if (*frequency < 1'000'000) {
    return data;
  }
  const TscConversion conversion = conversion_for_frequency(*frequency);
  const ClockSample base = sample_host_clock(clock);
  const platform::Timespec realtime = clock.realtime_now();
  const int64_t monotonic_after = clock.monotonic_now().count();

  // Based at the start of the bracket, the formula reads at or above the
  // host clock at the switch, so a guest that read the host clock through
  // a system call while the calibration ran does not see time go back.
  data.tsc_base = base.tsc_before;
  data.multiplier = conversion.multiplier;
  data.shift = conversion.shift;
  data.monotonic_base_ns = base.monotonic_ns;
  data.realtime_offset_ns = realtime.seconds * static_cast<int64_t>(nanoseconds_per_second) +
                            realtime.nanoseconds - monotonic_after;
  data.tsc_usable = 1;
  return data;
}

// The slot for the block that every process of the sandbox reads. The slot
// and the block live in the kernel heap, which forked processes share. So
// the process that builds the block first publishes it for all of them, and
// their clocks switch from the host clock to the TSC at one moment. The
// first call must come before the guest's first fork.
std::atomic<const litebox_vdso_data*>& shared_block() {
  static auto* const slot = new std::atomic<const litebox_vdso_data*>{nullptr};
  return *slot;
}

}  // namespace

void begin_calibration(platform::Clock& clock) {
  (void)shared_block();

  // The sample is taken even when CPUID may state the frequency, because
  // asking CPUID traps to the hypervisor on a virtual machine, and a
  // program that never reads the clock should not pay for it.
  if (tsc_usable()) {
    calibration_start = sample_host_clock(clock);
  }
}

const litebox_vdso_data* time_data_if_ready(platform::Clock& clock) {
  if (const litebox_vdso_data* data = shared_block().load(std::memory_order_acquire)) {
    return data;
  }
  // Without begin_calibration, or when CPUID states the frequency, nothing
  // runs in the background and time_data() builds the block at once.
  if (calibration_start &&
      clock.monotonic_now().count() - calibration_start->monotonic_ns < calibration_ns &&
      !cpuid_tsc_frequency()) {
    return nullptr;
  }
  return &time_data(clock);
}

litebox_vdso_data calibrating_time_data(platform::Clock& clock) {
  litebox_vdso_data data{};
  data.resolution_ns = clock.resolution().count();
  data.coarse_resolution_ns = coarse_resolution_ns;
  return data;
}

TscConversion conversion_for_frequency(uint64_t frequency_hz) {
  const Uint128 scaled = static_cast<Uint128>(nanoseconds_per_second) << conversion_shift;
  // Rounded to nearest, so the rate error is below one part in 2^31.
  const uint64_t multiplier = static_cast<uint64_t>((scaled + frequency_hz / 2) / frequency_hz);
  return {multiplier, conversion_shift};
}

uint64_t frequency_from_interval(uint64_t cycles, int64_t elapsed_ns) {
  if (elapsed_ns <= 0) {
    return 0;
  }
  const Uint128 scaled = static_cast<Uint128>(cycles) * nanoseconds_per_second;
  return static_cast<uint64_t>(scaled / static_cast<uint64_t>(elapsed_ns));
}

int64_t monotonic_ns_at(const litebox_vdso_data& data, uint64_t tsc) {
  const uint64_t cycles = tsc > data.tsc_base ? tsc - data.tsc_base : 0;
  const Uint128 product = static_cast<Uint128>(cycles) * data.multiplier;
  return data.monotonic_base_ns +
         static_cast<int64_t>(static_cast<uint64_t>(product >> data.shift));
}

std::optional<uint64_t> cpuid_tsc_frequency() {
  // CPUID traps in a virtual machine (about 5 us each on a KVM guest), and
  // the result never changes.
  static const std::optional<uint64_t> frequency = read_cpuid_tsc_frequency();
  return frequency;
}

bool tsc_usable() {
  // Cached for the same reason as cpuid_tsc_frequency().
  static const bool usable = read_tsc_usable();
  return usable;
}

const litebox_vdso_data& time_data(platform::Clock& clock) {
  // The block never changes once published, so every process of the
  // sandbox reads one CLOCK_MONOTONIC. Two processes or threads may build
  // a block at once, and the one that loses the race adopts the other's.
  // TODO: steer the rate toward the host clock. Each process's data page
  // holds a copy of the block, so that needs a rewrite of every copy under
  // one sequence. Until then the guest clocks drift from the host's by the
  // calibration error and ignore host NTP adjustments.
  std::atomic<const litebox_vdso_data*>& slot = shared_block();
  const litebox_vdso_data* published = slot.load(std::memory_order_acquire);
  if (published != nullptr) {
    return *published;
  }

  auto* built = new litebox_vdso_data(build_time_data(clock));
  if (slot.compare_exchange_strong(published, built, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
    return *built;
  }
  delete built;
  return *published;
}

const litebox_vdso_data* active_time_data() {
  const litebox_vdso_data* data = shared_block().load(std::memory_order_acquire);
  return data != nullptr && data->tsc_usable != 0 ? data : nullptr;
}

std::chrono::nanoseconds monotonic_now(const litebox_vdso_data& data) {
  return std::chrono::nanoseconds(monotonic_ns_at(data, read_tsc_ordered()));
}

}  // namespace litebox::shim::linux_abi::vdso
