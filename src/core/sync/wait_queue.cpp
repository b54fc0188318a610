#include "litebox/sync/wait_queue.hpp"

#include <limits>

namespace litebox::sync {

Result<void> WaitQueue::sleep(uint32_t seen, Deadline deadline) {
  return futex_wait_until(sequence_, seen, deadline);
}

void WaitQueue::wake_all() {
  sequence_.fetch_add(1, std::memory_order_seq_cst);
  if (waiters_.load(std::memory_order_seq_cst) != 0) {
    futex_wake(sequence_, std::numeric_limits<uint32_t>::max());
  }
}

void WaitQueue::wake_one() {
  sequence_.fetch_add(1, std::memory_order_seq_cst);
  if (waiters_.load(std::memory_order_seq_cst) != 0) {
    futex_wake(sequence_, 1);
  }
}

}  // namespace litebox::sync
