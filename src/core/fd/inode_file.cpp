#include "litebox/fd/inode_file.hpp"

#include <algorithm>
#include <limits>

#include "litebox/fs/inotify.hpp"

namespace litebox::fd {

namespace {

bool is_directory(const fs::Stat& status) {
  return fs::file_type_of(status.mode) == fs::FileType::directory;
}

}  // namespace

InodeFile::InodeFile(std::shared_ptr<fs::Inode> inode, uint32_t flags)
    : File(flags), inode_(std::move(inode)) {}

InodeFile::~InodeFile() {
  notify(writable(flags()) ? fs::in_close_write : fs::in_close_nowrite);

  fs::FileLocks* locks = inode_->existing_file_locks();
  if (locks == nullptr) {
    return;
  }
  const uint64_t description = lock_owner_id();
  locks->release(fs::LockOwner{fs::LockOwner::Kind::description, description});
  locks->release_flock(description);
}

Result<size_t> InodeFile::read(std::span<std::byte> buffer) {
  if (!readable(flags())) {
    return fail(Errno::ebadf);
  }

  size_t count = 0;
  {
    sync::LockGuard guard(offset_lock_);
    count = TRY(inode_->read(offset_, buffer));
    offset_ += count;
  }
  if (count > 0) {
    notify(fs::in_access);
  }
  return count;
}

Result<size_t> InodeFile::write(std::span<const std::byte> data) {
  return write_limited(std::nullopt, data, fs::no_size_limit);
}

Result<size_t> InodeFile::pread(uint64_t offset, std::span<std::byte> buffer) {
  if (!readable(flags())) {
    return fail(Errno::ebadf);
  }
  size_t count = TRY(inode_->read(offset, buffer));
  if (count > 0) {
    notify(fs::in_access);
  }
  return count;
}

Result<size_t> InodeFile::pwrite(uint64_t offset, std::span<const std::byte> data) {
  return write_limited(offset, data, fs::no_size_limit);
}

Result<size_t> InodeFile::write_limited(std::optional<uint64_t> offset,
                                        std::span<const std::byte> data, uint64_t size_limit) {
  if (!writable(flags())) {
    return fail(Errno::ebadf);
  }

  if (offset) {
    // NOTE: Linux appends even for pwrite on an O_APPEND description.
    const uint64_t position = TRY(write_position(*offset));
    return write_at(position, data, size_limit);
  }
  sync::LockGuard guard(offset_lock_);
  offset_ = TRY(write_position(offset_));
  size_t count = TRY(write_at(offset_, data, size_limit));
  offset_ += count;
  return count;
}

Result<uint64_t> InodeFile::write_position(uint64_t offset) {
  if (!(flags() & open_append)) {
    return offset;
  }
  fs::Stat status = TRY(inode_->stat());
  return static_cast<uint64_t>(status.size);
}

Result<size_t> InodeFile::write_at(uint64_t position, std::span<const std::byte> data,
                                   uint64_t size_limit) {
  if (size_limit != fs::no_size_limit && !data.empty()) {
    fs::Stat status = TRY(inode_->stat());
    if (fs::file_type_of(status.mode) == fs::FileType::regular) {
      if (position >= size_limit) {
        return fail(Errno::efbig);
      }
      data =
          data.first(static_cast<size_t>(std::min<uint64_t>(data.size(), size_limit - position)));
    }
  }
  size_t count = TRY(inode_->write(position, data));
  if (count > 0) {
    notify(fs::in_modify);
  }
  return count;
}

Result<uint64_t> InodeFile::seek(int64_t offset, SeekOrigin origin) {
  sync::LockGuard guard(offset_lock_);
  fs::Stat status = TRY(inode_->stat());

  int64_t base = 0;
  switch (origin) {
    case SeekOrigin::set:
      base = 0;
      break;
    case SeekOrigin::current:
      base = static_cast<int64_t>(offset_);
      break;
    case SeekOrigin::end:
      base = status.size;
      break;
    case SeekOrigin::data:
    case SeekOrigin::hole:
      if (offset < 0) {
        return fail(Errno::enxio);
      }
      offset_ = TRY(inode_->seek_region(
          static_cast<uint64_t>(offset),
          origin == SeekOrigin::data ? fs::Inode::Region::data : fs::Inode::Region::hole));
      return offset_;
  }

  if (is_directory(status) && origin == SeekOrigin::end) {
    return fail(Errno::einval);
  }
  if ((offset > 0 && base > std::numeric_limits<int64_t>::max() - offset) || base + offset < 0) {
    return fail(offset > 0 ? Errno::eoverflow : Errno::einval);
  }

  offset_ = static_cast<uint64_t>(base + offset);
  return offset_;
}

Result<fs::Stat> InodeFile::stat() { return inode_->stat(); }

Result<void> InodeFile::read_directory(const fs::Inode::EntrySink& emit) {
  {
    sync::LockGuard guard(offset_lock_);
    TRY_VOID(inode_->read_directory(offset_, [&](const fs::DirectoryEntry& entry, uint64_t next) {
      if (!emit(entry, next)) {
        return false;
      }
      offset_ = next;
      return true;
    }));
  }
  notify(fs::in_access);
  return {};
}

Result<void> InodeFile::truncate(int64_t size, uint64_t size_limit) {
  if (!writable(flags())) {
    return fail(Errno::einval);
  }
  if (size < 0) {
    return fail(Errno::einval);
  }
  fs::AttributeChange change;
  change.size = size;
  change.size_limit = size_limit;
  TRY_VOID(inode_->change_attributes(change));
  notify(fs::in_modify);
  return {};
}

Result<size_t> InodeFile::bytes_available() {
  sync::LockGuard guard(offset_lock_);
  fs::Stat status = TRY(inode_->stat());
  if (is_directory(status)) {
    return fail(Errno::enotty);
  }
  if (static_cast<uint64_t>(status.size) <= offset_) {
    return size_t{0};
  }
  return static_cast<size_t>(static_cast<uint64_t>(status.size) - offset_);
}

void InodeFile::notify(uint32_t mask) {
  const WatchOrigin& origin = watch_origin();
  if (origin.registry != nullptr) {
    origin.registry->notify_about(origin.directory.get(), origin.name, *inode_, mask);
  }
}

}  // namespace litebox::fd
