#include "litebox/fd/descriptor_table.hpp"

#include <algorithm>
#include <utility>

namespace litebox::fd {

DescriptorTable::DescriptorTable(size_t limit) : limit_(limit) {}

bool DescriptorTable::is_open_locked(int fd) const {
  return fd >= 0 && static_cast<size_t>(fd) < slots_.size() && slots_[fd].file != nullptr;
}

Result<int> DescriptorTable::install_locked(std::shared_ptr<File> file, bool close_on_exec,
                                            int minimum) {
  size_t fd = static_cast<size_t>(minimum);
  while (fd < slots_.size() && slots_[fd].file) {
    ++fd;
  }
  if (fd >= limit_) {
    return fail(Errno::emfile);
  }

  if (fd >= slots_.size()) {
    slots_.resize(fd + 1);
  }
  slots_[fd] = Slot{std::move(file), close_on_exec};
  return static_cast<int>(fd);
}

// Returns the description that `fd` named before, so the caller can release
// it after dropping the table lock.
std::shared_ptr<File> DescriptorTable::replace_locked(int fd, std::shared_ptr<File> file,
                                                      bool close_on_exec) {
  size_t index = static_cast<size_t>(fd);
  if (index >= slots_.size()) {
    slots_.resize(index + 1);
  }
  std::shared_ptr<File> previous = std::exchange(slots_[index].file, std::move(file));
  slots_[index].close_on_exec = close_on_exec;
  return previous;
}

// Linux drops every POSIX lock a process holds on a file when the process
// closes any descriptor of that file, even one it did not lock through.
void DescriptorTable::release_record_locks(File& closed) const {
  const int32_t owner = lock_owner_.load(std::memory_order_relaxed);
  std::shared_ptr<fs::Inode> inode = closed.inode();
  fs::FileLocks* locks = inode != nullptr ? inode->existing_file_locks() : nullptr;
  if (owner == 0 || locks == nullptr) {
    return;
  }
  locks->release(fs::LockOwner{fs::LockOwner::Kind::process, static_cast<uint64_t>(owner)});
}

bool DescriptorTable::try_release_record_locks() {
  const int32_t owner = lock_owner_.load(std::memory_order_relaxed);
  if (owner == 0 || !lock_.try_lock_shared()) {
    return false;
  }
  std::vector<std::shared_ptr<File>> files;
  for (const Slot& slot : slots_) {
    if (slot.file) {
      files.push_back(slot.file);
    }
  }
  lock_.unlock_shared();

  bool released = true;
  for (const std::shared_ptr<File>& file : files) {
    std::shared_ptr<fs::Inode> inode = file->inode();
    fs::FileLocks* locks = inode != nullptr ? inode->existing_file_locks() : nullptr;
    if (locks != nullptr) {
      released &= locks->try_release(
          fs::LockOwner{fs::LockOwner::Kind::process, static_cast<uint64_t>(owner)});
    }
  }
  return released;
}

Result<int> DescriptorTable::allocate(std::shared_ptr<File> file, bool close_on_exec, int minimum) {
  if (minimum < 0) {
    return fail(Errno::einval);
  }

  sync::WriteLockGuard guard(lock_);
  return install_locked(std::move(file), close_on_exec, minimum);
}

bool DescriptorTable::has_free_descriptor() const {
  sync::ReadLockGuard guard(lock_);
  size_t fd = 0;
  while (fd < slots_.size() && slots_[fd].file) {
    ++fd;
  }
  return fd < limit_;
}

Result<std::shared_ptr<File>> DescriptorTable::get(int fd) const {
  sync::ReadLockGuard guard(lock_);
  if (!is_open_locked(fd)) {
    return fail(Errno::ebadf);
  }
  return slots_[fd].file;
}

Result<int> DescriptorTable::dup(int old_fd) { return duplicate_from(old_fd, 0, false); }

Result<int> DescriptorTable::dup2(int old_fd, int new_fd) {
  if (old_fd == new_fd) {
    TRY(get(old_fd));
    return new_fd;
  }
  return dup3(old_fd, new_fd, 0);
}

Result<int> DescriptorTable::dup3(int old_fd, int new_fd, uint32_t flags) {
  // Linux checks in this order: flags, equal descriptors, the target's
  // range, then the source.
  if ((flags & ~uint32_t{open_close_on_exec}) != 0) {
    return fail(Errno::einval);
  }
  if (old_fd == new_fd) {
    return fail(Errno::einval);
  }

  std::shared_ptr<File> replaced;
  {
    sync::WriteLockGuard guard(lock_);
    if (new_fd < 0 || static_cast<size_t>(new_fd) >= limit_) {
      return fail(Errno::ebadf);
    }
    if (!is_open_locked(old_fd)) {
      return fail(Errno::ebadf);
    }

    bool close_on_exec = (flags & open_close_on_exec) != 0;
    replaced = replace_locked(new_fd, slots_[old_fd].file, close_on_exec);
  }

  // `replaced`, if any, is released here, outside the table lock.
  if (replaced) {
    release_record_locks(*replaced);
  }
  return new_fd;
}

Result<int> DescriptorTable::duplicate_from(int old_fd, int minimum, bool close_on_exec) {
  sync::WriteLockGuard guard(lock_);
  if (!is_open_locked(old_fd)) {
    return fail(Errno::ebadf);
  }
  if (minimum < 0 || static_cast<size_t>(minimum) >= limit_) {
    return fail(Errno::einval);
  }

  return install_locked(slots_[old_fd].file, close_on_exec, minimum);
}

Result<void> DescriptorTable::close(int fd) {
  std::shared_ptr<File> closed;
  {
    sync::WriteLockGuard guard(lock_);
    if (!is_open_locked(fd)) {
      return fail(Errno::ebadf);
    }
    closed = replace_locked(fd, nullptr, false);
  }
  release_record_locks(*closed);
  return {};
}

Result<void> DescriptorTable::close_range(uint32_t first, uint32_t last, uint32_t flags) {
  if ((flags & ~uint32_t{close_range_unshare | close_range_cloexec}) != 0) {
    return fail(Errno::einval);
  }
  if (first > last) {
    return fail(Errno::einval);
  }

  // NOTE: close_range_unshare needs no work here. The process layer, which
  // shares this table between CLONE_FILES threads, replaces it with copy()
  // before calling.
  std::vector<std::shared_ptr<File>> closed;
  {
    sync::WriteLockGuard guard(lock_);
    size_t end = std::min<size_t>(size_t{last} + 1, slots_.size());
    for (size_t fd = first; fd < end; ++fd) {
      Slot& slot = slots_[fd];
      if (!slot.file) {
        continue;
      }
      if (flags & close_range_cloexec) {
        slot.close_on_exec = true;
      } else {
        closed.push_back(std::move(slot.file));
        slot.close_on_exec = false;
      }
    }
  }
  for (const std::shared_ptr<File>& file : closed) {
    release_record_locks(*file);
  }
  return {};
}

void DescriptorTable::close_on_exec_descriptors() {
  std::vector<std::shared_ptr<File>> closed;
  {
    sync::WriteLockGuard guard(lock_);
    for (Slot& slot : slots_) {
      if (slot.file && slot.close_on_exec) {
        closed.push_back(std::move(slot.file));
        slot.close_on_exec = false;
      }
    }
  }
  for (const std::shared_ptr<File>& file : closed) {
    release_record_locks(*file);
  }
}

Result<bool> DescriptorTable::close_on_exec(int fd) const {
  sync::ReadLockGuard guard(lock_);
  if (!is_open_locked(fd)) {
    return fail(Errno::ebadf);
  }
  return slots_[fd].close_on_exec;
}

Result<void> DescriptorTable::set_close_on_exec(int fd, bool close_on_exec) {
  sync::WriteLockGuard guard(lock_);
  if (!is_open_locked(fd)) {
    return fail(Errno::ebadf);
  }
  slots_[fd].close_on_exec = close_on_exec;
  return {};
}

std::unique_ptr<DescriptorTable> DescriptorTable::copy() const {
  sync::ReadLockGuard guard(lock_);
  auto duplicate = std::make_unique<DescriptorTable>(limit_);
  duplicate->slots_ = slots_;
  duplicate->set_lock_owner(lock_owner_.load(std::memory_order_relaxed));
  return duplicate;
}

size_t DescriptorTable::limit() const {
  sync::ReadLockGuard guard(lock_);
  return limit_;
}

void DescriptorTable::set_limit(size_t limit) {
  sync::WriteLockGuard guard(lock_);
  limit_ = limit;
}

std::vector<int> DescriptorTable::open_descriptors() const {
  sync::ReadLockGuard guard(lock_);
  std::vector<int> descriptors;
  for (size_t fd = 0; fd < slots_.size(); ++fd) {
    if (slots_[fd].file) {
      descriptors.push_back(static_cast<int>(fd));
    }
  }
  return descriptors;
}

}  // namespace litebox::fd
