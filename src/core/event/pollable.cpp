#include "litebox/event/pollable.hpp"

#include <algorithm>

namespace litebox::event {

void Pollable::add_observer(Observer& observer) {
  sync::LockGuard guard(lock_);
  observers_.push_back(&observer);
  observer_count_.store(static_cast<uint32_t>(observers_.size()), std::memory_order_seq_cst);
}

Pollable::~Pollable() {
  sync::LockGuard guard(lock_);
  for (Observer* observer : observers_) {
    observer->detach();
  }
  observers_.clear();
}

bool Pollable::remove_observer(Observer& observer) {
  sync::LockGuard guard(lock_);
  auto found = std::find(observers_.begin(), observers_.end(), &observer);
  if (found == observers_.end()) {
    return false;
  }
  observers_.erase(found);
  observer_count_.store(static_cast<uint32_t>(observers_.size()), std::memory_order_seq_cst);
  return true;
}

void Pollable::notify(uint32_t events) {
  // An observer that registers after this load checks readiness after
  // registering, so it sees the state change this call announces.
  if (observer_count_.load(std::memory_order_seq_cst) == 0) {
    return;
  }

  sync::LockGuard guard(lock_);
  bool exclusive_woken = false;
  for (Observer* observer : observers_) {
    if (!observer->is_exclusive()) {
      observer->notify(events);
    } else if (!exclusive_woken) {
      exclusive_woken = observer->notify_exclusive(events);
    }
  }

  // Detach orphans in place, keeping the order of the others, because the
  // first exclusive observer in registration order is the one woken.
  size_t kept = 0;
  for (Observer* observer : observers_) {
    if (observer->is_orphaned()) {
      observer->detach();
    } else {
      observers_[kept++] = observer;
    }
  }
  if (kept != observers_.size()) {
    observers_.resize(kept);
    observer_count_.store(static_cast<uint32_t>(kept), std::memory_order_seq_cst);
  }
}

}  // namespace litebox::event
