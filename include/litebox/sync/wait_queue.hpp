// WaitQueue: the kernel's building block for blocking system calls. A
// thread waits until a condition on some kernel object holds; whoever
// changes that object's state calls wake_all() (or wake_one()) afterwards.
//
// No wake-up is lost: a waiter samples the queue's sequence number before it
// evaluates the condition and sleeps only while the number is unchanged, and
// every wake bumps the number after the state change it announces. Built
// only on the platform futex (shared scope), so a WaitQueue may live inside
// kernel objects that several processes share.
#pragma once

#include <atomic>
#include <cstdint>

#include "litebox/result.hpp"
#include "litebox/sync/deadline.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::sync {

class WaitQueue {
 public:
  WaitQueue() = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  // Blocks until `ready()` returns true. `ready` runs with `lock` held, and
  // the caller holds `lock` on entry and again on return; it is released
  // only while sleeping. Wakers must change the state that `ready` reads
  // under the same `lock`. Returns success once `ready()` is true,
  // `etimedout` once `deadline` has passed and `eintr` when the thread is
  // interrupted (the condition may or may not hold then).
  template <typename Predicate>
  Result<void> wait(Mutex& lock, Predicate ready, Deadline deadline = Deadline::never());

  // The same for a condition that needs no lock, or takes its own: `ready`
  // runs with no lock held.
  template <typename Predicate>
  Result<void> wait(Predicate ready, Deadline deadline = Deadline::never());

  // Wakes every waiter so that each re-checks its condition.
  void wake_all();

  // Wakes one waiter. Use it only when any single waiter can consume the
  // change; a waiter whose condition still fails goes back to sleep and does
  // not pass the wake-up on.
  void wake_one();

 private:
  void announce_waiter() { waiters_.fetch_add(1, std::memory_order_seq_cst); }
  void withdraw_waiter() { waiters_.fetch_sub(1, std::memory_order_relaxed); }
  uint32_t sample() const { return sequence_.load(std::memory_order_seq_cst); }
  Result<void> sleep(uint32_t seen, Deadline deadline);

  std::atomic<uint32_t> sequence_{0};
  // Threads inside wait(); lets wakers skip the futex call when it is zero.
  std::atomic<uint32_t> waiters_{0};
};

template <typename Predicate>
Result<void> WaitQueue::wait(Mutex& lock, Predicate ready, Deadline deadline) {
  if (ready()) {
    return {};
  }

  announce_waiter();
  Result<void> outcome;
  while (true) {
    uint32_t seen = sample();
    if (ready()) {
      break;
    }

    lock.unlock();
    outcome = sleep(seen, deadline);
    lock.lock();
    if (!outcome) {
      break;
    }
  }
  withdraw_waiter();
  return outcome;
}

template <typename Predicate>
Result<void> WaitQueue::wait(Predicate ready, Deadline deadline) {
  announce_waiter();
  Result<void> outcome;
  while (true) {
    uint32_t seen = sample();
    if (ready()) {
      break;
    }

    outcome = sleep(seen, deadline);
    if (!outcome) {
      break;
    }
  }
  withdraw_waiter();
  return outcome;
}

}  // namespace litebox::sync
