#include "litebox/sync/mutex.hpp"

#include "litebox/platform/platform.hpp"
#include "litebox/sync/deadline.hpp"

namespace litebox::sync {

namespace {
constexpr uint32_t unlocked = 0;
constexpr uint32_t locked = 1;
constexpr uint32_t contended = 2;
}  // namespace

bool Mutex::try_lock() {
  uint32_t expected = unlocked;
  return state_.compare_exchange_strong(expected, locked, std::memory_order_acquire,
                                        std::memory_order_relaxed);
}

void Mutex::lock() {
  if (try_lock()) {
    return;
  }

  // Mark the lock contended before sleeping so the holder's unlock wakes us;
  // whoever swaps in `contended` over `unlocked` owns the lock.
  bool interrupted = false;
  while (state_.exchange(contended, std::memory_order_acquire) != unlocked) {
    Result<void> woken = platform::current().futex.wait(state_, contended, std::nullopt,
                                                        platform::FutexScope::shared);
    if (!woken && woken.error() == Errno::eintr) {
      interrupted = true;
    }
  }

  // Taking a lock is not interruptible, but the interrupt this wait consumed
  // belongs to the next interruptible wait of this thread.
  if (interrupted) {
    repost_interrupt();
  }
}

void Mutex::unlock() {
  if (state_.exchange(unlocked, std::memory_order_release) == contended) {
    platform::current().futex.wake(state_, 1, platform::FutexScope::shared);
  }
}

}  // namespace litebox::sync
