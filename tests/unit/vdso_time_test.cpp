// The vDSO's time conversion and the embedded image. Expected values come
// from exact integer arithmetic on the same inputs.
#include <cpuid.h>
#include <elf.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string_view>

#include "shim/linux/glibc_cpuid.hpp"
#include "shim/linux/vdso/time_source.hpp"
#include "shim/linux/vdso/vdso.hpp"

namespace litebox::shim::linux_abi::vdso {
namespace {

constexpr int64_t nanoseconds_per_second = 1'000'000'000;

litebox_vdso_data data_for(uint64_t frequency_hz, uint64_t tsc_base, int64_t base_ns) {
  const TscConversion conversion = conversion_for_frequency(frequency_hz);
  litebox_vdso_data data{};
  data.tsc_usable = 1;
  data.tsc_base = tsc_base;
  data.multiplier = conversion.multiplier;
  data.shift = conversion.shift;
  data.monotonic_base_ns = base_ns;
  return data;
}

class VdsoConversion : public testing::TestWithParam<uint64_t> {};

TEST_P(VdsoConversion, OneSecondOfCycles) {
  const uint64_t frequency = GetParam();
  const litebox_vdso_data data = data_for(frequency, 1000, 0);

  EXPECT_NEAR(static_cast<double>(monotonic_ns_at(data, 1000 + frequency)),
              static_cast<double>(nanoseconds_per_second), 1.0);
}

TEST_P(VdsoConversion, OneDayOfCyclesStaysPrecise) {
  const uint64_t frequency = GetParam();
  const uint64_t seconds = 86'400;
  const litebox_vdso_data data = data_for(frequency, 0, 0);
  const double expected = static_cast<double>(seconds) * nanoseconds_per_second;

  // Rounding the multiplier costs at most one part in 2^31.
  EXPECT_NEAR(static_cast<double>(monotonic_ns_at(data, frequency * seconds)), expected,
              expected / 2147483648.0 + 1.0);
}

INSTANTIATE_TEST_SUITE_P(Frequencies, VdsoConversion,
                         testing::Values(1'000'000u, 1'000'000'000u, 2'495'000'000u, 3'700'000'000u,
                                         5'000'000'000u));

TEST(VdsoTime, AddsTheMonotonicBase) {
  const litebox_vdso_data data = data_for(1'000'000'000, 500, 7'000'000'000);

  EXPECT_EQ(monotonic_ns_at(data, 500), 7'000'000'000);
  EXPECT_EQ(monotonic_ns_at(data, 1500), 7'000'001'000);
}

TEST(VdsoTime, TscBelowBaseCountsAsBase) {
  const litebox_vdso_data data = data_for(2'000'000'000, 1'000'000, 42);

  EXPECT_EQ(monotonic_ns_at(data, 999'999), 42);
  EXPECT_EQ(monotonic_ns_at(data, 0), 42);
}

TEST(VdsoTime, NeverDecreasesAsTscGrows) {
  const litebox_vdso_data data = data_for(2'995'000'000, 123'456, 1'000);
  int64_t previous = monotonic_ns_at(data, 0);
  for (uint64_t tsc = 0; tsc < 200'000; tsc += 7) {
    const int64_t now = monotonic_ns_at(data, tsc);
    ASSERT_GE(now, previous) << "at tsc " << tsc;
    previous = now;
  }
}

TEST(VdsoTime, HugeTscDeltaDoesNotOverflow) {
  // 2^62 cycles at 1 GHz is about 146 years.
  const litebox_vdso_data data = data_for(1'000'000'000, 0, 0);
  const uint64_t cycles = uint64_t{1} << 62;
  const double expected = static_cast<double>(cycles);

  EXPECT_NEAR(static_cast<double>(monotonic_ns_at(data, cycles)), expected,
              expected / 2147483648.0);
}

TEST(VdsoTime, FrequencyFromInterval) {
  EXPECT_EQ(frequency_from_interval(25'000'000, 10'000'000), 2'500'000'000u);
  EXPECT_EQ(frequency_from_interval(3'000'000'001, 1'000'000'000), 3'000'000'001u);
}

TEST(VdsoTime, FrequencyFromEmptyIntervalIsZero) {
  EXPECT_EQ(frequency_from_interval(1000, 0), 0u);
  EXPECT_EQ(frequency_from_interval(1000, -5), 0u);
}

TEST(GlibcCpuid, BasicLeafMatchesCpuidLeafZero) {
  unsigned int highest = 0;
  unsigned int vendor_ebx = 0;
  unsigned int vendor_ecx = 0;
  unsigned int vendor_edx = 0;
  __cpuid(0, highest, vendor_ebx, vendor_ecx, vendor_edx);
  // "GenuineIntel" in EBX, EDX, ECX.
  const bool intel =
      vendor_ebx == 0x756e6547 && vendor_edx == 0x49656e69 && vendor_ecx == 0x6c65746e;

  const std::optional<glibc_cpuid::BasicLeaf> basic = glibc_cpuid::read_basic_leaf();

  ASSERT_TRUE(basic.has_value());
  EXPECT_EQ(basic->highest_leaf, highest);
  EXPECT_EQ(basic->vendor == glibc_cpuid::vendor_intel, intel);
}

TEST(VdsoImage, IsSharedObjectWithOneExecutableLoad) {
  const std::span<const std::byte> bytes = image();
  ASSERT_GE(bytes.size(), sizeof(Elf64_Ehdr));
  Elf64_Ehdr header;
  std::memcpy(&header, bytes.data(), sizeof(header));

  EXPECT_EQ(std::memcmp(header.e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(header.e_ident[EI_CLASS], ELFCLASS64);
  EXPECT_EQ(header.e_type, ET_DYN);
  EXPECT_EQ(header.e_machine, EM_X86_64);

  int loads = 0;
  for (int index = 0; index < header.e_phnum; ++index) {
    Elf64_Phdr segment;
    const size_t offset = header.e_phoff + static_cast<size_t>(index) * header.e_phentsize;
    ASSERT_LE(offset + sizeof(segment), bytes.size());
    std::memcpy(&segment, bytes.data() + offset, sizeof(segment));
    if (segment.p_type == PT_LOAD) {
      ++loads;
      EXPECT_EQ(segment.p_offset, 0u);
      EXPECT_EQ(segment.p_vaddr, 0u);
      EXPECT_EQ(segment.p_flags, static_cast<uint32_t>(PF_R | PF_X));
      EXPECT_LE(segment.p_filesz, bytes.size());
    }
    if (segment.p_type == PT_DYNAMIC) {
      EXPECT_EQ(segment.p_flags & PF_W, 0u);
    }
  }
  EXPECT_EQ(loads, 1);
}

TEST(VdsoImage, NamesTheSymbolsGlibcLooksUp) {
  const std::span<const std::byte> bytes = image();
  // Safety: searching the image's bytes as characters.
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());

  for (const char* name :
       {"__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time", "__vdso_getcpu",
        "__vdso_clock_getres", "LINUX_2.6", "linux-vdso.so.1"}) {
    EXPECT_NE(text.find(std::string_view(name, std::strlen(name) + 1)), std::string_view::npos)
        << name;
  }
}

}  // namespace
}  // namespace litebox::shim::linux_abi::vdso
