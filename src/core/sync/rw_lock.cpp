#include "litebox/sync/rw_lock.hpp"

namespace litebox::sync {

namespace {

// Waits on `condition` without a deadline and without giving up on an
// interrupt: taking a lock is not interruptible. Returns true if an
// interrupt was swallowed, so the caller can repost it once it holds the lock.
bool wait_uninterruptibly(ConditionVariable& condition, Mutex& mutex) {
  Result<void> woken = condition.wait(mutex);
  return !woken && woken.error() == Errno::eintr;
}

}  // namespace

void RwLock::lock() {
  bool interrupted = false;
  {
    LockGuard guard(state_lock_);
    ++waiting_writers_;
    while (writer_active_ || active_readers_ != 0) {
      interrupted |= wait_uninterruptibly(writer_may_enter_, state_lock_);
    }
    --waiting_writers_;
    writer_active_ = true;
  }

  if (interrupted) {
    repost_interrupt();
  }
}

bool RwLock::try_lock() {
  LockGuard guard(state_lock_);
  if (writer_active_ || active_readers_ != 0) {
    return false;
  }
  writer_active_ = true;
  return true;
}

void RwLock::unlock() {
  LockGuard guard(state_lock_);
  writer_active_ = false;

  // Hand over to the next writer first; readers enter only when no writer
  // waits, which is what keeps writers from starving.
  if (waiting_writers_ != 0) {
    writer_may_enter_.notify_one();
  } else {
    readers_may_enter_.notify_all();
  }
}

void RwLock::lock_shared() {
  bool interrupted = false;
  {
    LockGuard guard(state_lock_);
    while (writer_active_ || waiting_writers_ != 0) {
      interrupted |= wait_uninterruptibly(readers_may_enter_, state_lock_);
    }
    ++active_readers_;
  }

  if (interrupted) {
    repost_interrupt();
  }
}

bool RwLock::try_lock_shared() {
  LockGuard guard(state_lock_);
  if (writer_active_ || waiting_writers_ != 0) {
    return false;
  }
  ++active_readers_;
  return true;
}

void RwLock::unlock_shared() {
  LockGuard guard(state_lock_);
  --active_readers_;
  if (active_readers_ == 0 && waiting_writers_ != 0) {
    writer_may_enter_.notify_one();
  }
}

}  // namespace litebox::sync
