// DescriptorTable: one process's file descriptors, each a number that names
// an open file description (fd::File) plus the per-descriptor close-on-exec
// flag. Descriptors made by dup(2) or copied by fork(2) share the open file
// description, and with it the file offset and status flags.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "litebox/fd/file.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/rw_lock.hpp"

namespace litebox::fd {

// The default descriptor limit, the soft RLIMIT_NOFILE that Linux starts
// processes with.
inline constexpr size_t default_descriptor_limit = 1024;

// close_range(2) flags, the Linux values.
enum CloseRangeFlags : uint32_t {
  close_range_unshare = 2,
  close_range_cloexec = 4,
};

class DescriptorTable {
 public:
  explicit DescriptorTable(size_t limit = default_descriptor_limit);
  DescriptorTable(const DescriptorTable&) = delete;
  DescriptorTable& operator=(const DescriptorTable&) = delete;

  // Installs `file` at the lowest free descriptor that is at least
  // `minimum`. `emfile` when every descriptor from `minimum` up to the limit
  // is taken, `einval` for a negative `minimum`.
  Result<int> allocate(std::shared_ptr<File> file, bool close_on_exec, int minimum = 0);

  // Whether allocate() with `minimum` 0 would find a free descriptor now.
  bool has_free_descriptor() const;

  // The open file description behind `fd`, or `ebadf`.
  Result<std::shared_ptr<File>> get(int fd) const;

  // dup(2): a new descriptor for the same description, the lowest free one.
  // The close-on-exec flag of the copy is clear.
  Result<int> dup(int old_fd);

  // dup2(2): makes `new_fd` name the description of `old_fd`, closing what
  // `new_fd` named before without reporting errors. When both are the same
  // valid descriptor, returns it unchanged.
  Result<int> dup2(int old_fd, int new_fd);

  // dup3(2): dup2 that rejects `old_fd == new_fd` with `einval` and accepts
  // only open_close_on_exec in `flags`.
  Result<int> dup3(int old_fd, int new_fd, uint32_t flags);

  // fcntl(F_DUPFD) and fcntl(F_DUPFD_CLOEXEC): a copy at the lowest free
  // descriptor that is at least `minimum`. `einval` if `minimum` is negative
  // or not below the limit.
  Result<int> duplicate_from(int old_fd, int minimum, bool close_on_exec);

  // close(2). Dropping the last reference releases the open file
  // description, which happens after the table lock is released.
  Result<void> close(int fd);

  // close_range(2) over [first, last], with CloseRangeFlags. With
  // close_range_cloexec the descriptors stay open and get the close-on-exec
  // flag instead.
  Result<void> close_range(uint32_t first, uint32_t last, uint32_t flags);

  // Closes every descriptor with the close-on-exec flag, as execve(2) does.
  void close_on_exec_descriptors();

  // The close-on-exec flag of `fd` (FD_CLOEXEC for F_GETFD and F_SETFD).
  Result<bool> close_on_exec(int fd) const;
  Result<void> set_close_on_exec(int fd, bool close_on_exec);

  // A table with the same descriptors, flags and limit that shares every
  // open file description, for fork(2) and for unsharing a table.
  std::unique_ptr<DescriptorTable> copy() const;

  // The RLIMIT_NOFILE-like limit: descriptors are always below it. Lowering
  // it leaves descriptors that are already open above it alone, as Linux does.
  size_t limit() const;
  void set_limit(size_t limit);

  // The open descriptors in increasing order, for /proc/self/fd.
  std::vector<int> open_descriptors() const;

  // The pid of the process whose POSIX record locks on a file are released
  // when any of its descriptors of that file closes; 0 releases none. copy()
  // keeps it, so fork(2) sets the child's.
  void set_lock_owner(int32_t pid) { lock_owner_.store(pid, std::memory_order_relaxed); }

  // Releases the POSIX record locks of the lock owner on the files of this
  // table, for a process that the host killed and that therefore closed
  // nothing. Best effort, because the dead process may have held a lock
  // here: returns false when the table or a file's lock table was taken, and
  // the locks there stay.
  bool try_release_record_locks();

 private:
  struct Slot {
    std::shared_ptr<File> file;  // null when the descriptor is free
    bool close_on_exec = false;
  };

  bool is_open_locked(int fd) const;
  Result<int> install_locked(std::shared_ptr<File> file, bool close_on_exec, int minimum);
  std::shared_ptr<File> replace_locked(int fd, std::shared_ptr<File> file, bool close_on_exec);
  void release_record_locks(File& closed) const;

  mutable sync::RwLock lock_;
  // Guarded by lock_; index = descriptor number.
  std::vector<Slot> slots_;
  size_t limit_;
  std::atomic<int32_t> lock_owner_{0};
};

}  // namespace litebox::fd
