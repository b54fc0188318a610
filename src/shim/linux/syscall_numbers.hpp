// Linux x86-64 system call numbers (`nr::openat`) and their names.
#pragma once

#include <cstdint>
#include <string_view>

namespace litebox::shim::linux_abi {

namespace nr {
#define X(number, name) inline constexpr uint32_t name = number;
#include "shim/linux/syscall_list.inc"
#undef X
}  // namespace nr

// One more than the highest system call number.
inline constexpr uint32_t syscall_count = 512;

// Returns the kernel's name of a system call ("openat"), or an empty view
// for a number Linux does not define.
std::string_view syscall_name(uint64_t number);

}  // namespace litebox::shim::linux_abi
