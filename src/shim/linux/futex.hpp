// Futex waits and wakes on guest memory. Guest memory is host memory in
// this process, so a guest futex word is waited on in place through the
// platform's futex.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "litebox/platform/futex.hpp"
#include "litebox/result.hpp"

namespace litebox::shim::linux_abi {

class Task;

// `scope` is process_private for FUTEX_PRIVATE_FLAG and shared otherwise.
// A shared futex on a MAP_SHARED mapping reaches waiters in other processes,
// because the host keys it by the shared page, as Linux keys the guest's.

// Blocks while the 32-bit word at `address` holds `expected`: `eagain` if
// it does not, `etimedout` after `timeout`, `eintr` when interrupted,
// `einval` for a misaligned address, `efault` for one the guest cannot read.
Result<void> wait_guest_futex(Task& task, uint64_t address, uint32_t expected,
                              std::optional<std::chrono::nanoseconds> timeout,
                              platform::FutexScope scope);

// Wakes at most `count` waiters on the word at `address`; returns how many.
Result<uint32_t> wake_guest_futex(Task& task, uint64_t address, uint32_t count,
                                  platform::FutexScope scope);

}  // namespace litebox::shim::linux_abi
