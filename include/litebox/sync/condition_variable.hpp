// ConditionVariable: waits for a change announced by another thread while a
// Mutex is released, built only on the platform futex (shared scope), so it
// may live inside kernel objects that several processes share.
#pragma once

#include <atomic>
#include <cstdint>

#include "litebox/result.hpp"
#include "litebox/sync/deadline.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::sync {

class ConditionVariable {
 public:
  ConditionVariable() = default;
  ConditionVariable(const ConditionVariable&) = delete;
  ConditionVariable& operator=(const ConditionVariable&) = delete;

  // Releases `mutex`, which the caller holds, sleeps until a notify, the
  // deadline or an interrupt, and takes `mutex` again before returning.
  // Returns success after a notify or a spurious wake-up (so callers re-check
  // their condition in a loop), `etimedout` once `deadline` has passed and
  // `eintr` when the thread was interrupted.
  Result<void> wait(Mutex& mutex, Deadline deadline = Deadline::never());

  // Wakes one waiter, or every waiter. Callers usually hold the mutex that
  // guards the condition, but need not.
  void notify_one();
  void notify_all();

 private:
  // Bumped by every notify. A waiter samples it before releasing the mutex
  // and sleeps only while it is unchanged, so a notify that lands between
  // the release and the sleep is never lost.
  std::atomic<uint32_t> sequence_{0};
  std::atomic<uint32_t> waiters_{0};
};

}  // namespace litebox::sync
