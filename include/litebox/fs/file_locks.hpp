// FileLocks: the advisory locks on one inode, shared by every process of the
// sandbox because the inode lives in the shared kernel heap.
//
// Two independent kinds, as on Linux:
// - record locks (fcntl F_SETLK and friends) on byte ranges, owned by a
//   process (POSIX locks) or by an open file description (OFD locks). Locks
//   of the two owner kinds conflict with each other.
// - whole-file flock(2) locks, owned by an open file description.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/sync/wait_queue.hpp"

namespace litebox::fs {

enum class LockType : uint8_t { read, write };

// The holder of a record lock. POSIX locks belong to a process, identified
// by its pid; OFD locks belong to an open file description, identified by
// its address.
struct LockOwner {
  enum class Kind : uint8_t { process, description };
  Kind kind;
  uint64_t id;

  bool operator==(const LockOwner&) const = default;
};

// The largest file offset, the end of a lock that reaches to end of file
// and beyond (Linux's OFFSET_MAX for 64-bit offsets).
inline constexpr int64_t lock_offset_max = INT64_MAX;

// A locked byte range [start, end], both inclusive.
struct RecordLock {
  LockOwner owner;
  LockType type;
  int64_t start;
  int64_t end;
  // The l_pid that F_GETLK reports: the owner's pid, or -1 for OFD locks.
  int32_t pid;
};

class FileLocks {
 public:
  FileLocks() = default;
  FileLocks(const FileLocks&) = delete;
  FileLocks& operator=(const FileLocks&) = delete;

  // F_GETLK: the first lock of another owner that conflicts with `request`
  // (its owner, type and range are read), or nullopt.
  std::optional<RecordLock> find_conflict(const RecordLock& request);

  // F_SETLK and F_SETLKW: locks [start, end] for the owner, replacing what
  // the owner held there, and merges it with the owner's adjacent locks of
  // the same type. With `wait`, blocks until no other owner's lock
  // conflicts: `eintr` when interrupted, `edeadlk` when a process would
  // wait for a process that waits for it on this file. Without it,
  // `eagain` on a conflict.
  Result<void> lock(const RecordLock& request, bool wait);

  // F_UNLCK: releases the owner's locks in [start, end], splitting a lock
  // that reaches past either end.
  void unlock(LockOwner owner, int64_t start, int64_t end);

  // Releases every record lock of `owner` on this file.
  void release(LockOwner owner);

  // release() for an owner whose process ended without running its exit
  // path, so it may have died holding this object's lock: returns false,
  // releasing nothing, when the lock is taken.
  bool try_release(LockOwner owner);

  // flock(2) LOCK_SH / LOCK_EX by the open file description `description`.
  // A description that holds the other kind loses it first, as on Linux, so
  // a failed conversion leaves it unlocked. `eagain` (EWOULDBLOCK) on a
  // conflict without `wait`, `eintr` when interrupted.
  Result<void> flock(uint64_t description, LockType type, bool wait);

  // flock(2) LOCK_UN, and the release when the description is freed.
  void release_flock(uint64_t description);

 private:
  struct FlockHolder {
    uint64_t description;
    LockType type;
  };
  // A POSIX owner blocked in F_SETLKW, and the owner it waits for.
  struct Waiter {
    LockOwner owner;
    LockOwner blocker;
  };

  const RecordLock* find_conflict_locked(const RecordLock& request) const;
  bool would_deadlock_locked(LockOwner owner, LockOwner blocker) const;
  void unlock_locked(LockOwner owner, int64_t start, int64_t end);
  void insert_locked(const RecordLock& request);
  bool flock_conflicts_locked(uint64_t description, LockType type) const;

  // Lock order: `mutex_` is a leaf lock, so nothing else is taken under it.
  sync::Mutex mutex_;
  // Woken whenever a lock is released or narrowed.
  sync::WaitQueue released_;
  // Guarded by `mutex_`.
  std::vector<RecordLock> records_;
  std::vector<Waiter> waiters_;
  std::vector<FlockHolder> flocks_;
};

}  // namespace litebox::fs
