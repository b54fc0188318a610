// glibc's copies of CPUID leaves, which it reads once at start-up. Reading
// a copy costs no CPUID instruction, and each of those traps to the
// hypervisor in a virtual machine.
#pragma once

#include <cstdint>
#include <optional>

// glibc's copy of a CPUID leaf (glibc 2.33 and later): the registers EAX,
// EBX, ECX and EDX, then which of their feature bits glibc uses.
// <sys/platform/x86.h> declares it for C only.
struct GlibcCpuidLeaf {
  unsigned int registers[4];
  unsigned int active[4];
};
extern "C" const GlibcCpuidLeaf* __x86_get_cpuid_feature_leaf(unsigned int index);

namespace litebox::shim::linux_abi::glibc_cpuid {

// Indexes of the leaves in glibc's copy (its enum cpuid_index). glibc
// leaves a leaf beyond the processor's highest one zeroed.
inline constexpr unsigned int leaf_1 = 0;         // CPUID_INDEX_1
inline constexpr unsigned int leaf_7 = 1;         // CPUID_INDEX_7, subleaf 0
inline constexpr unsigned int leaf_80000001 = 2;  // CPUID_INDEX_80000001
inline constexpr unsigned int leaf_80000007 = 4;  // CPUID_INDEX_80000007

// Indexes into GlibcCpuidLeaf::registers.
inline constexpr unsigned int eax = 0;
inline constexpr unsigned int ebx = 1;
inline constexpr unsigned int ecx = 2;
inline constexpr unsigned int edx = 3;

// Returns register `index` of glibc's copy of leaf `leaf`.
inline unsigned int read(unsigned int leaf, unsigned int index) {
  return __x86_get_cpuid_feature_leaf(leaf)->registers[index];
}

// glibc's enum cpu_features_kind value for Intel processors.
inline constexpr int vendor_intel = 1;

// The vendor and highest basic leaf that glibc read from CPUID leaf 0.
struct BasicLeaf {
  int vendor = 0;  // glibc's enum cpu_features_kind
  uint32_t highest_leaf = 0;
};

// Reads glibc's struct cpu_features_basic (vendor kind, highest basic leaf,
// family, model, stepping), which glibc's struct cpu_features keeps just
// before the leaf copies. Returns nothing unless the family, model and
// stepping there decode glibc's copy of leaf 1, so that a glibc with
// another layout makes the caller fall back to CPUID.
inline std::optional<BasicLeaf> read_basic_leaf() {
  struct Basic {
    int kind;
    int max_cpuid;
    unsigned int family;
    unsigned int model;
    unsigned int stepping;
  };
  const GlibcCpuidLeaf* first = __x86_get_cpuid_feature_leaf(leaf_1);
  // Safety: the copies are an array inside glibc's struct cpu_features,
  // after its basic part; the fields read are checked against leaf 1.
  const Basic& basic = reinterpret_cast<const Basic*>(first)[-1];

  // glibc's decoding of the leaf 1 signature.
  const unsigned int signature = first->registers[eax];
  unsigned int family = (signature >> 8) & 0x0f;
  unsigned int model = (signature >> 4) & 0x0f;
  const unsigned int extended_model = (signature >> 12) & 0xf0;
  if (family == 0x0f) {
    family += (signature >> 20) & 0xff;
    model += extended_model;
  }
  // Intel's family 6 adds the extended model as well.
  const bool model_matches = basic.model == model || basic.model == model + extended_model;
  if (signature == 0 || basic.family != family || !model_matches ||
      basic.stepping != (signature & 0x0f) || basic.max_cpuid < 1) {
    return std::nullopt;
  }
  return BasicLeaf{basic.kind, static_cast<uint32_t>(basic.max_cpuid)};
}

}  // namespace litebox::shim::linux_abi::glibc_cpuid
