#include "litebox/sync/condition_variable.hpp"

#include <limits>

namespace litebox::sync {

Result<void> ConditionVariable::wait(Mutex& mutex, Deadline deadline) {
  waiters_.fetch_add(1, std::memory_order_seq_cst);
  uint32_t seen = sequence_.load(std::memory_order_seq_cst);
  mutex.unlock();

  Result<void> woken = futex_wait_until(sequence_, seen, deadline);

  waiters_.fetch_sub(1, std::memory_order_relaxed);
  mutex.lock();
  return woken;
}

void ConditionVariable::notify_one() {
  sequence_.fetch_add(1, std::memory_order_seq_cst);
  if (waiters_.load(std::memory_order_seq_cst) != 0) {
    futex_wake(sequence_, 1);
  }
}

void ConditionVariable::notify_all() {
  sequence_.fetch_add(1, std::memory_order_seq_cst);
  if (waiters_.load(std::memory_order_seq_cst) != 0) {
    futex_wake(sequence_, std::numeric_limits<uint32_t>::max());
  }
}

}  // namespace litebox::sync
