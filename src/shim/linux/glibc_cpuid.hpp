// glibc's copies of CPUID leaves, which it reads once at start-up. Reading
// a copy costs no CPUID instruction, and each of those traps to the
// hypervisor in a virtual machine.
#pragma once

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

}  // namespace litebox::shim::linux_abi::glibc_cpuid
