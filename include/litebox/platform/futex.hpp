// South interface: futex wait and wake on a 32-bit word.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "litebox/result.hpp"

namespace litebox::platform {

// Private futexes match waiters by address inside one process; shared ones
// match by the underlying memory, so processes that map the same kernel heap
// page wake each other.
enum class FutexScope { process_private, shared };

class Futex {
 public:
  virtual ~Futex() = default;

  // Blocks while `*word == expected`. Returns success after a wake (spurious
  // wake-ups are allowed, so callers re-check their condition), `eagain` if
  // the word did not hold `expected` on entry, `etimedout` once `timeout`
  // (measured on the monotonic clock, relative to the call) has passed, and
  // `eintr` when Threads::interrupt targeted this thread. A missing timeout
  // waits forever. Thread-safe.
  virtual Result<void> wait(std::atomic<uint32_t>& word, uint32_t expected,
                            std::optional<std::chrono::nanoseconds> timeout, FutexScope scope) = 0;

  // Wakes at most `count` threads waiting on `word` and returns how many woke.
  // Thread-safe.
  virtual uint32_t wake(std::atomic<uint32_t>& word, uint32_t count, FutexScope scope) = 0;
};

}  // namespace litebox::platform
