// PathFile: the open file description that open(2) with O_PATH creates. It
// names an inode for fstat(2), the *at calls and AT_EMPTY_PATH, but reads,
// writes, seeks, directory listings and ioctls fail with EBADF.
#pragma once

#include <memory>

#include "litebox/fd/file.hpp"
#include "litebox/fd/open_file_inode.hpp"

namespace litebox::fd {

class PathFile final : public File {
 public:
  PathFile(std::shared_ptr<fs::Inode> inode, uint32_t flags)
      : File(flags), inode_(std::move(inode)) {}

  Result<size_t> read(std::span<std::byte>) override { return fail(Errno::ebadf); }
  Result<size_t> write(std::span<const std::byte>) override { return fail(Errno::ebadf); }
  Result<size_t> pread(uint64_t, std::span<std::byte>) override { return fail(Errno::ebadf); }
  Result<size_t> pwrite(uint64_t, std::span<const std::byte>) override {
    return fail(Errno::ebadf);
  }
  Result<uint64_t> seek(int64_t, SeekOrigin) override { return fail(Errno::ebadf); }
  Result<fs::Stat> stat() override { return inode_->stat(); }
  std::shared_ptr<fs::Inode> inode() override { return inode_; }
  Result<void> read_directory(const fs::Inode::EntrySink&) override { return fail(Errno::ebadf); }
  Result<void> truncate(int64_t, uint64_t) override { return fail(Errno::ebadf); }
  Result<uint64_t> ioctl(uint32_t, uint64_t) override { return fail(Errno::ebadf); }
  Result<size_t> bytes_available() override { return fail(Errno::ebadf); }

  // An O_PATH descriptor opened through the /proc/<pid>/fd link of an
  // eventfd or epoll instance shows that file's name, as Linux does.
  std::string anonymous_name() override {
    if (auto* open_file = dynamic_cast<OpenFileInode*>(inode_.get())) {
      return open_file->anonymous_name();
    }
    return File::anonymous_name();
  }

 private:
  std::shared_ptr<fs::Inode> inode_;
};

}  // namespace litebox::fd
