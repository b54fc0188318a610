// Deadline: the end of a bounded wait, as a point on the platform's monotonic
// clock. Waits take a deadline instead of a duration so that a wait that
// sleeps several times (after spurious or unrelated wake-ups) never extends
// its total timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "litebox/result.hpp"

namespace litebox::sync {

class Deadline {
 public:
  // A deadline that never passes: the wait ends only on success or eintr.
  static Deadline never() { return Deadline(std::nullopt); }

  // The monotonic time `timeout` from now. A zero or negative timeout has
  // passed already, which makes a wait a non-blocking check.
  static Deadline after(std::chrono::nanoseconds timeout);

  // `timeout` from now, or never() when `timeout` is empty, as poll(2)
  // and friends pass it.
  static Deadline from_timeout(std::optional<std::chrono::nanoseconds> timeout);

  // An absolute point on the monotonic clock.
  static Deadline at(std::chrono::nanoseconds monotonic_time) { return Deadline(monotonic_time); }

  bool is_never() const { return !when_.has_value(); }
  bool has_passed() const;

  // Time left until the deadline (zero once it has passed), or empty for
  // never().
  std::optional<std::chrono::nanoseconds> remaining() const;

 private:
  explicit Deadline(std::optional<std::chrono::nanoseconds> when) : when_(when) {}

  std::optional<std::chrono::nanoseconds> when_;
};

// Sleeps on a shared futex word while it still equals `expected`, at most until
// `deadline`. Returns success after a wake-up or when the word had already
// changed (callers re-check their condition either way), `etimedout` once the
// deadline has passed, and `eintr` when the thread was interrupted.
Result<void> futex_wait_until(std::atomic<uint32_t>& word, uint32_t expected, Deadline deadline);

// Wakes at most `count` threads sleeping on a shared futex word.
void futex_wake(std::atomic<uint32_t>& word, uint32_t count);

// Makes the next interruptible wait of the calling thread return `eintr`.
// Waits that must not be interrupted (taking a lock) call this after they
// swallowed an eintr, so the interrupt still reaches the wait it was meant for.
void repost_interrupt();

}  // namespace litebox::sync
