// InodeFile: the open file description of a regular file or directory,
// reading and writing through its inode at the file offset.
#pragma once

#include <memory>

#include "litebox/fd/file.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::fd {

class InodeFile final : public File {
 public:
  InodeFile(std::shared_ptr<fs::Inode> inode, uint32_t flags);
  // Releases the OFD and flock locks that this description holds.
  ~InodeFile() override;

  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> write(std::span<const std::byte> data) override;
  Result<size_t> pread(uint64_t offset, std::span<std::byte> buffer) override;
  Result<size_t> pwrite(uint64_t offset, std::span<const std::byte> data) override;
  Result<size_t> write_limited(std::optional<uint64_t> offset, std::span<const std::byte> data,
                               uint64_t size_limit) override;
  Result<uint64_t> seek(int64_t offset, SeekOrigin origin) override;
  Result<fs::Stat> stat() override;
  std::shared_ptr<fs::Inode> inode() override { return inode_; }
  bool releases_description_locks() const override { return true; }
  Result<void> read_directory(const fs::Inode::EntrySink& emit) override;
  Result<void> truncate(int64_t size, uint64_t size_limit) override;
  Result<size_t> bytes_available() override;

 private:
  // Reports an inotify event about this description's file.
  void notify(uint32_t mask);
  // Returns where a write that requests `offset` starts: the end of the
  // file on an O_APPEND description, `offset` otherwise.
  Result<uint64_t> write_position(uint64_t offset);
  // Writes `data` at `position`, cut short at `size_limit` for a regular
  // file, as write_limited() describes.
  Result<size_t> write_at(uint64_t position, std::span<const std::byte> data, uint64_t size_limit);

  std::shared_ptr<fs::Inode> inode_;
  // Serializes offset updates, so concurrent read() calls on a shared
  // description never return the same bytes twice (POSIX.1-2008 2.9.7).
  sync::Mutex offset_lock_;
  uint64_t offset_ = 0;
};

}  // namespace litebox::fd
