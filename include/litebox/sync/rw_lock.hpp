// RwLock: a reader-writer lock built on Mutex and ConditionVariable, so only
// on the platform futex. It prefers writers: once a writer waits, new readers
// wait behind it, so a stream of readers cannot starve writers.
//
// NOTE: because of that preference, a thread that already holds a read lock
// and asks for a second one deadlocks if a writer is waiting in between.
#pragma once

#include <cstdint>

#include "litebox/sync/condition_variable.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::sync {

class RwLock {
 public:
  RwLock() = default;
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;

  // Exclusive (write) access.
  void lock();
  bool try_lock();
  void unlock();

  // Shared (read) access.
  void lock_shared();
  bool try_lock_shared();
  void unlock_shared();

 private:
  Mutex state_lock_;
  ConditionVariable readers_may_enter_;
  ConditionVariable writer_may_enter_;
  // Guarded by state_lock_.
  uint32_t active_readers_ = 0;
  uint32_t waiting_writers_ = 0;
  bool writer_active_ = false;
};

// Holds an RwLock for reading for the lifetime of a scope.
class ReadLockGuard {
 public:
  explicit ReadLockGuard(RwLock& lock) : lock_(lock) { lock_.lock_shared(); }
  ~ReadLockGuard() { lock_.unlock_shared(); }
  ReadLockGuard(const ReadLockGuard&) = delete;
  ReadLockGuard& operator=(const ReadLockGuard&) = delete;

 private:
  RwLock& lock_;
};

// Holds an RwLock for writing for the lifetime of a scope.
class WriteLockGuard {
 public:
  explicit WriteLockGuard(RwLock& lock) : lock_(lock) { lock_.lock(); }
  ~WriteLockGuard() { lock_.unlock(); }
  WriteLockGuard(const WriteLockGuard&) = delete;
  WriteLockGuard& operator=(const WriteLockGuard&) = delete;

 private:
  RwLock& lock_;
};

}  // namespace litebox::sync
