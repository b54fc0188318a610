#include "litebox/event/pollable.hpp"

#include <algorithm>

namespace litebox::event {

void Pollable::add_observer(Observer& observer) {
  sync::LockGuard guard(lock_);
  observers_.push_back(&observer);
  observer_count_.store(static_cast<uint32_t>(observers_.size()), std::memory_order_seq_cst);
}

void Pollable::remove_observer(Observer& observer) {
  sync::LockGuard guard(lock_);
  auto found = std::find(observers_.begin(), observers_.end(), &observer);
  if (found != observers_.end()) {
    observers_.erase(found);
  }
  observer_count_.store(static_cast<uint32_t>(observers_.size()), std::memory_order_seq_cst);
}

void Pollable::notify(uint32_t events) {
  // An observer that registers after this load checks readiness after
  // registering, so it sees the state change this call announces.
  if (observer_count_.load(std::memory_order_seq_cst) == 0) {
    return;
  }

  sync::LockGuard guard(lock_);
  for (Observer* observer : observers_) {
    observer->notify(events);
  }
}

}  // namespace litebox::event
