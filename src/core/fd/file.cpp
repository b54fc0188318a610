// Default open file description operations.
#include "litebox/fd/file.hpp"

#include "litebox/event/pollable.hpp"

namespace litebox::fd {

void File::set_status_flags(uint32_t flags) {
  uint32_t current = flags_.load(std::memory_order_relaxed);
  uint32_t updated;
  do {
    updated = (current & ~open_settable_status_flags) | (flags & open_settable_status_flags);
  } while (!flags_.compare_exchange_weak(current, updated, std::memory_order_relaxed));
}

std::string File::opened_path() const {
  sync::LockGuard guard(opened_path_lock_);
  if (find_opened_path_) {
    opened_path_ = find_opened_path_();
    find_opened_path_ = nullptr;
  }
  return opened_path_;
}

Result<size_t> File::read(std::span<std::byte>) { return fail(Errno::einval); }
Result<size_t> File::write(std::span<const std::byte>) { return fail(Errno::einval); }
Result<size_t> File::pread(uint64_t, std::span<std::byte>) { return fail(Errno::espipe); }
Result<size_t> File::pwrite(uint64_t, std::span<const std::byte>) { return fail(Errno::espipe); }
Result<uint64_t> File::seek(int64_t, SeekOrigin) { return fail(Errno::espipe); }

Result<size_t> File::write_limited(std::optional<uint64_t> offset, std::span<const std::byte> data,
                                   uint64_t) {
  return offset ? pwrite(*offset, data) : write(data);
}
Result<void> File::read_directory(const fs::Inode::EntrySink&) { return fail(Errno::enotdir); }
Result<void> File::truncate(int64_t, uint64_t) { return fail(Errno::einval); }
Result<void> File::sync(bool) { return {}; }

// Linux's DEFAULT_POLLMASK, for files without a poll operation.
uint32_t File::poll_events() {
  return event::pollin | event::pollout | event::pollrdnorm | event::pollwrnorm;
}

std::string File::anonymous_name() {
  auto status = stat();
  if (!status) {
    return "anon_inode:[unknown]";
  }
  switch (fs::file_type_of(status->mode)) {
    case fs::FileType::fifo:
      return "pipe:[" + std::to_string(status->inode) + "]";
    case fs::FileType::socket:
      return "socket:[" + std::to_string(status->inode) + "]";
    default:
      return "anon_inode:[unknown]";
  }
}

Result<std::shared_ptr<File>> File::reopen(uint32_t) { return fail(Errno::enxio); }

Result<uint64_t> File::ioctl(uint32_t, uint64_t) { return fail(Errno::enotty); }
Result<size_t> File::bytes_available() { return fail(Errno::enotty); }

}  // namespace litebox::fd
