#include "shim/linux/cpuinfo.hpp"

#include <cpuid.h>
#include <fmt/format.h>

#include <array>
#include <cstring>
#include <string_view>

namespace litebox::shim::linux_abi {

namespace {

struct Registers {
  uint32_t eax = 0;
  uint32_t ebx = 0;
  uint32_t ecx = 0;
  uint32_t edx = 0;
};

// CPUID leaf `leaf`, subleaf `subleaf`; zeros for a leaf above the maximum
// that the processor reports for its range.
Registers cpuid(uint32_t leaf, uint32_t subleaf = 0) {
  Registers registers;
  uint32_t maximum = __get_cpuid_max(leaf & 0x80000000u, nullptr);
  if (maximum == 0 || leaf > maximum) {
    return registers;
  }
  __cpuid_count(leaf, subleaf, registers.eax, registers.ebx, registers.ecx, registers.edx);
  return registers;
}

// The extended control register XCR0: which register states the host
// kernel enabled for XSAVE.
uint64_t extended_control_register() {
  uint32_t low = 0;
  uint32_t high = 0;
  // Safety: xgetbv with ECX = 0 reads XCR0 and is valid in user mode
  // whenever CPUID reports OSXSAVE, which the caller checks.
  asm volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (uint64_t{high} << 32) | low;
}

// One CPUID register's feature bits and the names Linux prints for them in
// the flags line. An empty name is a bit that Linux does not print or that
// this table leaves out.
struct FeatureWord {
  uint32_t leaf;
  uint32_t subleaf;
  uint32_t Registers::*register_;
  std::array<std::string_view, 32> names;
};

constexpr FeatureWord feature_words[] = {
    {1, 0, &Registers::edx, {"fpu",  "vme",   "de",   "pse",     "tsc",  "msr", "pae",  "mce",
                             "cx8",  "apic",  "",     "sep",     "mtrr", "pge", "mca",  "cmov",
                             "pat",  "pse36", "pn",   "clflush", "",     "dts", "acpi", "mmx",
                             "fxsr", "sse",   "sse2", "ss",      "ht",   "tm",  "ia64", "pbe"}},
    {0x80000001,
     0,
     &Registers::edx,
     {"",        "", "", "",         "",        "",       "", "",   "",         "",     "",
      "syscall", "", "", "",         "",        "",       "", "",   "mp",       "nx",   "",
      "mmxext",  "", "", "fxsr_opt", "pdpe1gb", "rdtscp", "", "lm", "3dnowext", "3dnow"}},
    {1, 0, &Registers::ecx, {"pni",    "pclmulqdq", "dtes64", "monitor", "ds_cpl",
                             "vmx",    "smx",       "est",    "tm2",     "ssse3",
                             "cid",    "sdbg",      "fma",    "cx16",    "xtpr",
                             "pdcm",   "",          "pcid",   "dca",     "sse4_1",
                             "sse4_2", "x2apic",    "movbe",  "popcnt",  "tsc_deadline_timer",
                             "aes",    "xsave",     "",       "avx",     "f16c",
                             "rdrand", "hypervisor"}},
    {0x80000001,
     0,
     &Registers::ecx,
     {"lahf_lm",
      "cmp_legacy",
      "svm",
      "extapic",
      "cr8_legacy",
      "abm",
      "sse4a",
      "misalignsse",
      "3dnowprefetch",
      "osvw",
      "ibs",
      "xop",
      "skinit",
      "wdt",
      "",
      "lwp",
      "fma4",
      "tce",
      "",
      "nodeid_msr",
      "",
      "tbm",
      "topoext",
      "perfctr_core",
      "perfctr_nb",
      "",
      "bpext",
      "ptsc",
      "perfctr_llc",
      "mwaitx",
      "",
      ""}},
    {7, 0, &Registers::ebx, {"fsgsbase", "tsc_adjust", "sgx",      "bmi1",       "hle",
                             "avx2",     "",           "smep",     "bmi2",       "erms",
                             "invpcid",  "rtm",        "cqm",      "",           "mpx",
                             "rdt_a",    "avx512f",    "avx512dq", "rdseed",     "adx",
                             "smap",     "avx512ifma", "",         "clflushopt", "clwb",
                             "intel_pt", "avx512pf",   "avx512er", "avx512cd",   "sha_ni",
                             "avx512bw", "avx512vl"}},
    {0xd, 1, &Registers::eax, {"xsaveopt", "xsavec", "xgetbv1", "xsaves", "", "", "", "",
                               "",         "",       "",        "",       "", "", "", "",
                               "",         "",       "",        "",       "", "", "", "",
                               "",         "",       "",        "",       "", "", "", ""}},
    {7, 1, &Registers::eax, {"", "", "", "", "avx_vnni", "avx512_bf16",
                             "", "", "", "", "",         "",
                             "", "", "", "", "",         "",
                             "", "", "", "", "",         "",
                             "", "", "", "", "",         "",
                             "", ""}},
    {7,
     0,
     &Registers::ecx,
     {"",
      "avx512vbmi",
      "umip",
      "pku",
      "ospke",
      "waitpkg",
      "avx512_vbmi2",
      "",
      "gfni",
      "vaes",
      "vpclmulqdq",
      "avx512_vnni",
      "avx512_bitalg",
      "tme",
      "avx512_vpopcntdq",
      "",
      "la57",
      "",
      "",
      "",
      "",
      "",
      "rdpid",
      "",
      "bus_lock_detect",
      "cldemote",
      "",
      "movdiri",
      "movdir64b",
      "enqcmd",
      "sgx_lc",
      ""}},
    {7,
     0,
     &Registers::edx,
     {"",
      "",
      "avx512_4vnniw",
      "avx512_4fmaps",
      "fsrm",
      "",
      "",
      "",
      "avx512_vp2intersect",
      "",
      "md_clear",
      "",
      "",
      "",
      "serialize",
      "",
      "tsxldtrk",
      "",
      "pconfig",
      "arch_lbr",
      "ibt",
      "",
      "amx_bf16",
      "avx512_fp16",
      "amx_tile",
      "amx_int8",
      "",
      "",
      "flush_l1d",
      "arch_capabilities",
      "",
      ""}},
};

// XCR0 bits for the SSE, AVX and AVX-512 register states.
constexpr uint64_t xcr0_avx_states = 0x6;
constexpr uint64_t xcr0_avx512_states = 0xe0;

// Whether the host kernel enabled the register state that `name` needs:
// Linux drops the AVX and AVX-512 flags when XSAVE does not manage their
// registers.
bool register_state_enabled(std::string_view name, uint64_t xcr0) {
  bool avx512 = name.starts_with("avx512") || name.starts_with("amx");
  bool avx = avx512 || name.starts_with("avx") || name == "fma" || name == "f16c" ||
             name == "vaes" || name == "vpclmulqdq";
  if (avx512 && (xcr0 & xcr0_avx512_states) != xcr0_avx512_states) {
    return false;
  }
  if (avx && (xcr0 & xcr0_avx_states) != xcr0_avx_states) {
    return false;
  }
  return true;
}

std::string flags_line() {
  constexpr uint32_t osxsave_bit = uint32_t{1} << 27;
  uint64_t xcr0 = (cpuid(1).ecx & osxsave_bit) ? extended_control_register() : 0;

  std::string flags;
  for (const FeatureWord& word : feature_words) {
    uint32_t bits = cpuid(word.leaf, word.subleaf).*word.register_;
    for (uint32_t bit = 0; bit < 32; ++bit) {
      std::string_view name = word.names[bit];
      if (name.empty() || (bits & (uint32_t{1} << bit)) == 0) {
        continue;
      }
      if (!register_state_enabled(name, xcr0)) {
        continue;
      }
      if (!flags.empty()) {
        flags += ' ';
      }
      flags += name;
    }
  }
  return flags;
}

std::string vendor() {
  Registers leaf = cpuid(0);
  char text[13] = {};
  std::memcpy(text, &leaf.ebx, 4);
  std::memcpy(text + 4, &leaf.edx, 4);
  std::memcpy(text + 8, &leaf.ecx, 4);
  return text;
}

// The processor brand string of leaves 0x80000002..4, without the spaces
// around it, as Linux prints it.
std::string model_name() {
  std::array<uint32_t, 12> words{};
  for (size_t index = 0; index < 3; ++index) {
    Registers leaf = cpuid(0x80000002 + static_cast<uint32_t>(index));
    words[index * 4] = leaf.eax;
    words[index * 4 + 1] = leaf.ebx;
    words[index * 4 + 2] = leaf.ecx;
    words[index * 4 + 3] = leaf.edx;
  }
  char text[49] = {};
  std::memcpy(text, words.data(), 48);
  std::string_view name(text);
  size_t first = name.find_first_not_of(' ');
  if (first == std::string_view::npos) {
    return "unknown";
  }
  size_t last = name.find_last_not_of(' ');
  return std::string(name.substr(first, last - first + 1));
}

}  // namespace

std::string cpuinfo_text(uint32_t processor_count) {
  Registers signature = cpuid(1);
  uint32_t family = (signature.eax >> 8) & 0xf;
  uint32_t model = (signature.eax >> 4) & 0xf;
  if (family == 0xf) {
    family += (signature.eax >> 20) & 0xff;
  }
  if (family >= 6) {
    model += ((signature.eax >> 16) & 0xf) << 4;
  }
  uint32_t stepping = signature.eax & 0xf;
  uint32_t clflush_size = ((signature.ebx >> 8) & 0xff) * 8;
  Registers address_sizes = cpuid(0x80000008);

  std::string common_after_ids = fmt::format(
      "fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: {}\nwp\t\t: yes\nflags\t\t: {}\n"
      "bugs\t\t:\nclflush size\t: {}\ncache_alignment\t: {}\n"
      "address sizes\t: {} bits physical, {} bits virtual\npower management:\n\n",
      cpuid(0).eax, flags_line(), clflush_size, clflush_size, address_sizes.eax & 0xff,
      (address_sizes.eax >> 8) & 0xff);

  std::string text;
  for (uint32_t processor = 0; processor < processor_count; ++processor) {
    text += fmt::format(
        "processor\t: {}\nvendor_id\t: {}\ncpu family\t: {}\nmodel\t\t: {}\nmodel name\t: {}\n"
        "stepping\t: {}\nphysical id\t: 0\nsiblings\t: {}\ncore id\t\t: {}\ncpu cores\t: {}\n"
        "apicid\t\t: {}\ninitial apicid\t: {}\n",
        processor, vendor(), family, model, model_name(), stepping, processor_count, processor,
        processor_count, processor, processor);
    text += common_after_ids;
  }
  return text;
}

}  // namespace litebox::shim::linux_abi
