#include "litebox/sync/deadline.hpp"

#include "litebox/platform/platform.hpp"

namespace litebox::sync {

Deadline Deadline::after(std::chrono::nanoseconds timeout) {
  std::chrono::nanoseconds now = platform::current().clock.monotonic_now();

  // A guest may pass a timeout of centuries (ppoll with tv_sec near 2^63);
  // one that would overflow the clock never passes.
  if (timeout > std::chrono::nanoseconds::max() - now) {
    return never();
  }
  return Deadline(now + timeout);
}

Deadline Deadline::from_timeout(std::optional<std::chrono::nanoseconds> timeout) {
  if (!timeout) {
    return never();
  }
  return after(*timeout);
}

bool Deadline::has_passed() const {
  return when_ && platform::current().clock.monotonic_now() >= *when_;
}

std::optional<std::chrono::nanoseconds> Deadline::remaining() const {
  if (!when_) {
    return std::nullopt;
  }
  std::chrono::nanoseconds left = *when_ - platform::current().clock.monotonic_now();
  return left > std::chrono::nanoseconds(0) ? left : std::chrono::nanoseconds(0);
}

Result<void> futex_wait_until(std::atomic<uint32_t>& word, uint32_t expected, Deadline deadline) {
  std::optional<std::chrono::nanoseconds> timeout = deadline.remaining();
  if (timeout && *timeout == std::chrono::nanoseconds(0)) {
    return fail(Errno::etimedout);
  }

  Result<void> woken =
      platform::current().futex.wait(word, expected, timeout, platform::FutexScope::shared);
  if (!woken && woken.error() == Errno::eagain) {
    return {};
  }
  return woken;
}

void futex_wake(std::atomic<uint32_t>& word, uint32_t count) {
  platform::current().futex.wake(word, count, platform::FutexScope::shared);
}

void repost_interrupt() {
  platform::Threads& threads = platform::current().threads;
  threads.interrupt(threads.current());
}

}  // namespace litebox::sync
