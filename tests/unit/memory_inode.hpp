// TestInode: the smallest in-memory inode that open file descriptions need,
// a regular file or a fifo, for tests of descriptor tables and pipes. It is
// not a file system: lookup and every directory operation keep the defaults.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "litebox/fs/file_system.hpp"
#include "litebox/fs/inode.hpp"

namespace litebox::testing {

class TestFileSystem final : public fs::FileSystem {
 public:
  std::shared_ptr<fs::Inode> root() override { return nullptr; }
  uint64_t device() const override { return 42; }
  bool read_only() const override { return false; }
  fs::FileSystemStat stat_file_system() override { return {}; }
  std::string_view type_name() const override { return "test"; }
};

class TestInode final : public fs::Inode {
 public:
  explicit TestInode(fs::FileType type = fs::FileType::regular, uint64_t number = 7)
      : type_(type), number_(number) {}

  fs::FileSystem& file_system() override { return file_system_; }

  Result<fs::Stat> stat() override {
    fs::Stat status;
    status.device = file_system_.device();
    status.inode = number_;
    status.mode = fs::mode_of(type_, 0644);
    status.link_count = 1;
    status.size = static_cast<int64_t>(data_.size());
    return status;
  }

  Result<size_t> read(uint64_t offset, std::span<std::byte> buffer) override {
    if (offset >= data_.size()) {
      return size_t{0};
    }
    size_t count = std::min(buffer.size(), data_.size() - offset);
    std::memcpy(buffer.data(), data_.data() + offset, count);
    return count;
  }

  Result<size_t> write(uint64_t offset, std::span<const std::byte> data) override {
    if (data_.size() < offset + data.size()) {
      data_.resize(offset + data.size());
    }
    std::memcpy(data_.data() + offset, data.data(), data.size());
    return data.size();
  }

  const std::string& contents() const { return data_; }

 private:
  TestFileSystem file_system_;
  fs::FileType type_;
  uint64_t number_;
  std::string data_;
};

inline std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

}  // namespace litebox::testing
