#include "litebox/fs/file_locks.hpp"

#include <algorithm>

namespace litebox::fs {

namespace {

bool overlaps(const RecordLock& lock, int64_t start, int64_t end) {
  return lock.start <= end && start <= lock.end;
}

bool types_conflict(LockType held, LockType requested) {
  return held == LockType::write || requested == LockType::write;
}

}  // namespace

// Returns the conflicting lock that starts first, the one Linux reports
// when a single other owner holds several.
const RecordLock* FileLocks::find_conflict_locked(const RecordLock& request) const {
  const RecordLock* first = nullptr;
  for (const RecordLock& held : records_) {
    if (held.owner != request.owner && overlaps(held, request.start, request.end) &&
        types_conflict(held.type, request.type) &&
        (first == nullptr || held.start < first->start)) {
      first = &held;
    }
  }
  return first;
}

std::optional<RecordLock> FileLocks::find_conflict(const RecordLock& request) {
  sync::LockGuard guard(mutex_);
  const RecordLock* conflict = find_conflict_locked(request);
  if (conflict == nullptr) {
    return std::nullopt;
  }
  return *conflict;
}

// Follows the chain of POSIX owners blocked on this file, starting at
// `blocker`. A chain that leads back to `owner` is a deadlock. Each owner
// waits for one other at a time, so the chain is at most as long as the
// waiter list.
// TODO: a cycle through waiters on other files goes undetected, and its
// processes wait until a signal interrupts them.
bool FileLocks::would_deadlock_locked(LockOwner owner, LockOwner blocker) const {
  if (owner.kind != LockOwner::Kind::process) {
    return false;
  }
  LockOwner current = blocker;
  for (size_t step = 0; step <= waiters_.size(); ++step) {
    if (current == owner) {
      return true;
    }
    auto next = std::ranges::find(waiters_, current, &Waiter::owner);
    if (next == waiters_.end()) {
      return false;
    }
    current = next->blocker;
  }
  return false;
}

void FileLocks::unlock_locked(LockOwner owner, int64_t start, int64_t end) {
  std::vector<RecordLock> kept;
  kept.reserve(records_.size() + 1);
  for (const RecordLock& held : records_) {
    if (held.owner != owner || !overlaps(held, start, end)) {
      kept.push_back(held);
      continue;
    }
    // Keep the parts of `held` outside [start, end].
    if (held.start < start) {
      RecordLock before = held;
      before.end = start - 1;
      kept.push_back(before);
    }
    if (held.end > end) {
      RecordLock after = held;
      after.start = end + 1;
      kept.push_back(after);
    }
  }
  records_ = std::move(kept);
}

// Adds `request` after unlock_locked() cleared its range, absorbing the
// owner's locks of the same type that touch it.
void FileLocks::insert_locked(const RecordLock& request) {
  RecordLock merged = request;
  std::erase_if(records_, [&](const RecordLock& held) {
    if (held.owner != request.owner || held.type != request.type) {
      return false;
    }
    bool touches_before = held.end != lock_offset_max && held.end + 1 == merged.start;
    bool touches_after = merged.end != lock_offset_max && merged.end + 1 == held.start;
    if (!touches_before && !touches_after) {
      return false;
    }
    merged.start = std::min(merged.start, held.start);
    merged.end = std::max(merged.end, held.end);
    return true;
  });
  records_.push_back(merged);
}

Result<void> FileLocks::lock(const RecordLock& request, bool wait) {
  sync::LockGuard guard(mutex_);
  const RecordLock* conflict = find_conflict_locked(request);
  if (conflict != nullptr && !wait) {
    return fail(Errno::eagain);
  }

  if (conflict != nullptr) {
    bool deadlock = false;
    auto blocked = [&] {
      const RecordLock* current = find_conflict_locked(request);
      std::erase_if(waiters_, [&](const Waiter& waiter) { return waiter.owner == request.owner; });
      if (current == nullptr) {
        return true;
      }
      if (would_deadlock_locked(request.owner, current->owner)) {
        deadlock = true;
        return true;
      }
      if (request.owner.kind == LockOwner::Kind::process) {
        waiters_.push_back(Waiter{request.owner, current->owner});
      }
      return false;
    };
    Result<void> waited = released_.wait(mutex_, blocked);
    std::erase_if(waiters_, [&](const Waiter& waiter) { return waiter.owner == request.owner; });
    TRY_VOID(waited);
    if (deadlock) {
      return fail(Errno::edeadlk);
    }
  }

  unlock_locked(request.owner, request.start, request.end);
  insert_locked(request);
  // A read lock that replaced a write lock (a downgrade) may admit waiters.
  released_.wake_all();
  return {};
}

void FileLocks::unlock(LockOwner owner, int64_t start, int64_t end) {
  sync::LockGuard guard(mutex_);
  unlock_locked(owner, start, end);
  released_.wake_all();
}

void FileLocks::release(LockOwner owner) {
  sync::LockGuard guard(mutex_);
  size_t removed =
      std::erase_if(records_, [&](const RecordLock& held) { return held.owner == owner; });
  if (removed != 0) {
    released_.wake_all();
  }
}

bool FileLocks::try_release(LockOwner owner) {
  if (!mutex_.try_lock()) {
    return false;
  }
  size_t removed =
      std::erase_if(records_, [&](const RecordLock& held) { return held.owner == owner; });
  mutex_.unlock();
  if (removed != 0) {
    released_.wake_all();
  }
  return true;
}

bool FileLocks::flock_conflicts_locked(uint64_t description, LockType type) const {
  return std::ranges::any_of(flocks_, [&](const FlockHolder& holder) {
    return holder.description != description && types_conflict(holder.type, type);
  });
}

Result<void> FileLocks::flock(uint64_t description, LockType type, bool wait) {
  sync::LockGuard guard(mutex_);
  auto held = std::ranges::find(flocks_, description, &FlockHolder::description);
  if (held != flocks_.end()) {
    if (held->type == type) {
      return {};
    }
    // Linux converts by unlocking first, so waiters may take the lock in
    // between.
    flocks_.erase(held);
    released_.wake_all();
  }

  if (flock_conflicts_locked(description, type)) {
    if (!wait) {
      return fail(Errno::eagain);
    }
    TRY_VOID(released_.wait(mutex_, [&] { return !flock_conflicts_locked(description, type); }));
  }
  flocks_.push_back(FlockHolder{description, type});
  return {};
}

void FileLocks::release_flock(uint64_t description) {
  sync::LockGuard guard(mutex_);
  size_t removed = std::erase_if(
      flocks_, [&](const FlockHolder& holder) { return holder.description == description; });
  if (removed != 0) {
    released_.wake_all();
  }
}

}  // namespace litebox::fs
