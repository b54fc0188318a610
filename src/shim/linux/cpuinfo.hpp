// /proc/cpuinfo for x86-64, read from the host processor's CPUID.
#pragma once

#include <cstdint>
#include <string>

namespace litebox::shim::linux_abi {

// Generates /proc/cpuinfo with one entry per processor, all alike: vendor,
// family, model, stepping, model name and the flags line come from CPUID.
// NOTE: microcode, cpu MHz, cache size, bogomips and bugs need the host
// kernel and are left out or empty.
std::string cpuinfo_text(uint32_t processor_count);

}  // namespace litebox::shim::linux_abi
