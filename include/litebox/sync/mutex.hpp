// Mutex: a sleeping lock built only on the platform futex, usable inside
// kernel objects that several processes share.
#pragma once

#include <atomic>
#include <cstdint>

namespace litebox::sync {

// Futex words live in memory that several processes map, which only works
// for atomics that need no hidden lock.
static_assert(std::atomic<uint32_t>::is_always_lock_free);

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock();
  bool try_lock();
  void unlock();

 private:
  // 0: unlocked, 1: locked, 2: locked with possible waiters.
  std::atomic<uint32_t> state_{0};
};

// Holds a Mutex for the lifetime of a scope.
class LockGuard {
 public:
  explicit LockGuard(Mutex& mutex) : mutex_(mutex) { mutex_.lock(); }
  ~LockGuard() { mutex_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Mutex& mutex_;
};

}  // namespace litebox::sync
