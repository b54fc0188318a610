// The guest vDSO: a small shared object that LiteBox builds at compile time
// (vdso/image/) and maps into every guest process, so that clock_gettime,
// gettimeofday, time, clock_getres and getcpu run without a trap.
#pragma once

#include <cstdint>
#include <span>

#include "shim/linux/loader/elf.hpp"
#include "shim/linux/process.hpp"

namespace litebox::shim::linux_abi::vdso {

// The vDSO's bytes as the build produced them.
std::span<const std::byte> image();

// Maps the "[vvar]" data page (read-only) and the "[vdso]" image right
// above it (read and execute) at a free address of `process` and returns
// the image's address, the value of AT_SYSINFO_EHDR.
// Until the time data is built (see time_source.hpp), the data page marks
// the TSC as unusable, so the vDSO makes system calls, and
// publish_time_data_after() writes the calibrated values in after one of
// them.
std::expected<uint64_t, elf::LoadError> map_into(Process& process);

// Writes the calibrated time data into the data page of `process` after
// system call `number`, once the guest has made a clock call and the
// calibration has ended, if the page still contains the values from before.
// The vDSO makes clock calls while its data page marks the TSC as unusable.
// Building the time data may ask CPUID for the TSC frequency, which traps
// to the hypervisor on a virtual machine, so a program that never reads the
// clock never pays for it. Costs one atomic load once the page is written.
void publish_time_data_after(Process& process, uint64_t number);

}  // namespace litebox::shim::linux_abi::vdso
