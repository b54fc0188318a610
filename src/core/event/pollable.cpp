#include "litebox/event/pollable.hpp"

#include <algorithm>

namespace litebox::event {

void Pollable::add_observer(Observer& observer) {
  sync::LockGuard guard(lock_);
  observers_.push_back(&observer);
}

void Pollable::remove_observer(Observer& observer) {
  sync::LockGuard guard(lock_);
  auto found = std::find(observers_.begin(), observers_.end(), &observer);
  if (found != observers_.end()) {
    observers_.erase(found);
  }
}

void Pollable::notify(uint32_t events) {
  sync::LockGuard guard(lock_);
  for (Observer* observer : observers_) {
    observer->notify(events);
  }
}

}  // namespace litebox::event
