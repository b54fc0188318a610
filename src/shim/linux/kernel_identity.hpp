// The kernel the sandbox shows to the guest: what uname(2) reports and
// /proc/version and /proc/sys/kernel repeat.
#pragma once

#include <string_view>

namespace litebox::shim::linux_abi {

// The host name, uname's nodename.
inline constexpr std::string_view kernel_host_name = "litebox";
// The Linux release whose system call behaviour the shim follows.
inline constexpr std::string_view kernel_release = "6.1.0-litebox";
// uname's version: the build number and configuration.
inline constexpr std::string_view kernel_version = "#1 SMP PREEMPT_DYNAMIC LiteBox";

}  // namespace litebox::shim::linux_abi
