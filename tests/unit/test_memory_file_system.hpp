// A small writable in-memory file system for the overlay tests, so they
// exercise the overlay against the Inode interface alone. Directory
// positions are per-directory insertion numbers, which stay valid while
// entries come and go, as the overlay's merged listings need.
#pragma once

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "litebox/fs/file_system.hpp"
#include "litebox/fs/inode.hpp"

namespace litebox::testing {

class TestMemoryInode;

class TestMemoryFileSystem final : public fs::FileSystem {
 public:
  TestMemoryFileSystem();
  std::shared_ptr<fs::Inode> root() override;
  uint64_t device() const override { return device_; }
  bool read_only() const override { return false; }
  fs::FileSystemStat stat_file_system() override { return {.type = 0x01021994}; }
  std::string_view type_name() const override { return "testfs"; }

  std::recursive_mutex mutex;
  uint64_t next_inode = 1;

 private:
  uint64_t device_;
  std::shared_ptr<TestMemoryInode> root_;
};

class TestMemoryInode final : public fs::Inode {
 public:
  TestMemoryInode(TestMemoryFileSystem& owner, fs::FileType type, uint32_t permissions,
                  uint32_t uid, uint32_t gid)
      : owner_(owner), number_(owner.next_inode++) {
    status_.device = owner.device();
    status_.inode = number_;
    status_.mode = fs::mode_of(type, permissions);
    status_.uid = uid;
    status_.gid = gid;
    status_.link_count = type == fs::FileType::directory ? 2 : 1;
    status_.modify_time = {1000000, 0};
    status_.access_time = status_.modify_time;
    status_.change_time = status_.modify_time;
  }

  fs::FileSystem& file_system() override { return owner_; }

  Result<fs::Stat> stat() override {
    std::lock_guard guard(owner_.mutex);
    fs::Stat status = status_;
    status.size = type() == fs::FileType::symlink ? static_cast<int64_t>(target_.size())
                                                  : static_cast<int64_t>(data_.size());
    return status;
  }

  Result<void> change_attributes(const fs::AttributeChange& change) override {
    std::lock_guard guard(owner_.mutex);
    if (change.size) {
      if (type() == fs::FileType::directory) {
        return fail(Errno::eisdir);
      }
      data_.resize(static_cast<size_t>(*change.size));
    }
    if (change.permissions) {
      status_.mode = fs::mode_of(type(), *change.permissions);
    }
    if (change.uid) status_.uid = *change.uid;
    if (change.gid) status_.gid = *change.gid;
    if (change.access_time) status_.access_time = *change.access_time;
    if (change.modify_time) status_.modify_time = *change.modify_time;
    return {};
  }

  Result<size_t> read(uint64_t offset, std::span<std::byte> buffer) override {
    std::lock_guard guard(owner_.mutex);
    if (type() != fs::FileType::regular) {
      return Inode::read(offset, buffer);
    }
    if (offset >= data_.size()) {
      return 0;
    }
    size_t count = std::min<uint64_t>(buffer.size(), data_.size() - offset);
    std::memcpy(buffer.data(), data_.data() + offset, count);
    return count;
  }

  Result<size_t> write(uint64_t offset, std::span<const std::byte> data) override {
    std::lock_guard guard(owner_.mutex);
    if (type() != fs::FileType::regular) {
      return Inode::write(offset, data);
    }
    if (data_.size() < offset + data.size()) {
      data_.resize(offset + data.size());
    }
    std::memcpy(data_.data() + offset, data.data(), data.size());
    status_.modify_time = {2000000, 0};
    return data.size();
  }

  Result<std::shared_ptr<fs::Inode>> lookup(std::string_view name) override {
    std::lock_guard guard(owner_.mutex);
    TRY_VOID(check_directory());
    if (name == "..") {
      return parent_.lock() ? parent_.lock() : shared_from_this();
    }
    auto found = find(name);
    if (found == entries_.end()) {
      return fail(Errno::enoent);
    }
    return std::static_pointer_cast<fs::Inode>(found->second.inode);
  }

  Result<std::shared_ptr<fs::Inode>> create(std::string_view name, fs::FileType type,
                                            uint32_t permissions, uint32_t uid, uint32_t gid,
                                            uint64_t rdev) override {
    std::lock_guard guard(owner_.mutex);
    auto child = std::make_shared<TestMemoryInode>(owner_, type, permissions, uid, gid);
    child->status_.rdev = rdev;
    TRY_VOID(add(name, child));
    return std::static_pointer_cast<fs::Inode>(child);
  }

  Result<std::shared_ptr<fs::Inode>> make_directory(std::string_view name, uint32_t permissions,
                                                    uint32_t uid, uint32_t gid) override {
    std::lock_guard guard(owner_.mutex);
    auto child =
        std::make_shared<TestMemoryInode>(owner_, fs::FileType::directory, permissions, uid, gid);
    TRY_VOID(add(name, child));
    return std::static_pointer_cast<fs::Inode>(child);
  }

  Result<std::shared_ptr<fs::Inode>> make_symlink(std::string_view name, std::string_view target,
                                                  uint32_t uid, uint32_t gid) override {
    std::lock_guard guard(owner_.mutex);
    auto child = std::make_shared<TestMemoryInode>(owner_, fs::FileType::symlink, 0777, uid, gid);
    child->target_ = std::string(target);
    TRY_VOID(add(name, child));
    return std::static_pointer_cast<fs::Inode>(child);
  }

  Result<void> link(std::string_view name, const std::shared_ptr<fs::Inode>& target) override {
    std::lock_guard guard(owner_.mutex);
    auto inode = std::dynamic_pointer_cast<TestMemoryInode>(target);
    if (inode == nullptr) {
      return fail(Errno::exdev);
    }
    TRY_VOID(add(name, inode));
    ++inode->status_.link_count;
    return {};
  }

  Result<void> unlink(std::string_view name) override {
    std::lock_guard guard(owner_.mutex);
    TRY_VOID(check_directory());
    auto found = find(name);
    if (found == entries_.end()) {
      return fail(Errno::enoent);
    }
    if (found->second.inode->type() == fs::FileType::directory) {
      return fail(Errno::eisdir);
    }
    --found->second.inode->status_.link_count;
    entries_.erase(found);
    return {};
  }

  Result<void> remove_directory(std::string_view name) override {
    std::lock_guard guard(owner_.mutex);
    TRY_VOID(check_directory());
    auto found = find(name);
    if (found == entries_.end()) {
      return fail(Errno::enoent);
    }
    if (found->second.inode->type() != fs::FileType::directory) {
      return fail(Errno::enotdir);
    }
    if (!found->second.inode->entries_.empty()) {
      return fail(Errno::enotempty);
    }
    entries_.erase(found);
    return {};
  }

  Result<void> rename(std::string_view old_name, fs::Inode& new_parent, std::string_view new_name,
                      uint32_t flags) override {
    std::lock_guard guard(owner_.mutex);
    auto* target = dynamic_cast<TestMemoryInode*>(&new_parent);
    if (target == nullptr) {
      return fail(Errno::exdev);
    }
    auto source = find(old_name);
    if (source == entries_.end()) {
      return fail(Errno::enoent);
    }
    std::shared_ptr<TestMemoryInode> moving = source->second.inode;
    auto existing = target->find(new_name);
    if (flags & fs::rename_exchange) {
      if (existing == target->entries_.end()) {
        return fail(Errno::enoent);
      }
      std::swap(source->second.inode, existing->second.inode);
      return {};
    }
    if (existing != target->entries_.end()) {
      if (flags & fs::rename_noreplace) {
        return fail(Errno::eexist);
      }
      auto& replaced = existing->second.inode;
      if (replaced->type() == fs::FileType::directory && !replaced->entries_.empty()) {
        return fail(Errno::enotempty);
      }
      target->entries_.erase(existing);
    }
    entries_.erase(source);
    target->entries_.emplace(target->next_position_++, Entry{std::string(new_name), moving});
    moving->parent_ = std::static_pointer_cast<TestMemoryInode>(target->shared_from_this());
    return {};
  }

  Result<void> read_directory(uint64_t position, const EntrySink& emit) override {
    std::lock_guard guard(owner_.mutex);
    TRY_VOID(check_directory());
    if (position == 0 && !emit({".", number_, fs::FileType::directory}, 1)) {
      return {};
    }
    if (position <= 1 && !emit({"..", number_, fs::FileType::directory}, 2)) {
      return {};
    }
    for (auto it = entries_.lower_bound(std::max<uint64_t>(position, 2)); it != entries_.end();
         ++it) {
      if (!emit({it->second.name, it->second.inode->number_, it->second.inode->type()},
                it->first + 1)) {
        break;
      }
    }
    return {};
  }

  Result<std::string> read_link() override {
    if (type() != fs::FileType::symlink) {
      return fail(Errno::einval);
    }
    return target_;
  }

  fs::FileType type() const { return fs::file_type_of(status_.mode); }

 private:
  struct Entry {
    std::string name;
    std::shared_ptr<TestMemoryInode> inode;
  };

  Result<void> check_directory() const {
    return type() == fs::FileType::directory ? Result<void>{} : fail(Errno::enotdir);
  }

  std::map<uint64_t, Entry>::iterator find(std::string_view name) {
    return std::find_if(entries_.begin(), entries_.end(),
                        [&](const auto& entry) { return entry.second.name == name; });
  }

  Result<void> add(std::string_view name, const std::shared_ptr<TestMemoryInode>& inode) {
    TRY_VOID(check_directory());
    if (find(name) != entries_.end()) {
      return fail(Errno::eexist);
    }
    entries_.emplace(next_position_++, Entry{std::string(name), inode});
    if (inode->parent_.expired()) {
      inode->parent_ = std::static_pointer_cast<TestMemoryInode>(shared_from_this());
    }
    return {};
  }

  TestMemoryFileSystem& owner_;
  uint64_t number_;
  fs::Stat status_;
  std::vector<std::byte> data_;
  std::string target_;
  std::weak_ptr<TestMemoryInode> parent_;
  std::map<uint64_t, Entry> entries_;  // keyed by directory position
  uint64_t next_position_ = 2;
};

inline TestMemoryFileSystem::TestMemoryFileSystem() : device_(fs::allocate_device_number()) {
  root_ = std::make_shared<TestMemoryInode>(*this, fs::FileType::directory, 0755, 0, 0);
}

inline std::shared_ptr<fs::Inode> TestMemoryFileSystem::root() { return root_; }

}  // namespace litebox::testing
