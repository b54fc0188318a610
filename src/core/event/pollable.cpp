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
  for (Observer* observer : observers_) {
    observer->notify(events);
  }

  auto orphans = std::partition(observers_.begin(), observers_.end(),
                                [](Observer* observer) { return !observer->is_orphaned(); });
  if (orphans == observers_.end()) {
    return;
  }
  for (auto orphan = orphans; orphan != observers_.end(); ++orphan) {
    (*orphan)->detach();
  }
  observers_.erase(orphans, observers_.end());
  observer_count_.store(static_cast<uint32_t>(observers_.size()), std::memory_order_seq_cst);
}

}  // namespace litebox::event
