// Terminal ioctl(2) requests of the sandbox's pseudo-terminals (tty_ioctl(4)
// and the pty(7) requests of /dev/ptmx), decoded for core's PseudoTerminal.
#pragma once

#include <cstdint>
#include <optional>

#include "litebox/fd/file.hpp"
#include "litebox/result.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

// Serves `request` when `file` is a side of a pseudo-terminal; empty for
// other files.
std::optional<Result<uint64_t>> pseudo_terminal_ioctl(Task& task, fd::File& file, uint32_t request,
                                                      uint64_t argument);

}  // namespace litebox::shim::linux_abi
