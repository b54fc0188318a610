// memfs directories: entries in creation order with stable positions, and
// the namespace operations on them.
#include <vector>

#include "memfs.hpp"

namespace litebox::fs::memfs {

namespace {

// Entries handed to an EntrySink per lock acquisition; the sink runs with
// the lock released.
constexpr size_t directory_batch_size = 64;

// The directory node behind `inode` if it belongs to `file_system`.
Result<Directory*> same_file_system_directory(Inode& inode, MemoryFileSystem& file_system) {
  auto* node = dynamic_cast<Node*>(&inode);
  if (!node || &node->memory_file_system() != &file_system) {
    return fail(Errno::exdev);
  }
  if (!node->is_directory()) {
    return fail(Errno::enotdir);
  }
  return static_cast<Directory*>(node);
}

}  // namespace

Directory::Directory(std::shared_ptr<MemoryFileSystem> file_system, uint32_t permissions_,
                     uint32_t uid_, uint32_t gid_)
    : Node(std::move(file_system), FileType::directory, permissions_, uid_, gid_) {
  link_count = 2;
}

int64_t Directory::size_locked() const { return tmpfs_accounting::directory_size(entries_.size()); }

std::shared_ptr<Node> Directory::find_locked(std::string_view name) const {
  auto position = positions_.find(name);
  if (position == positions_.end()) {
    return nullptr;
  }
  return entries_.at(position->second).node;
}

void Directory::insert_locked(std::string_view name, std::shared_ptr<Node> node) {
  uint64_t position = next_position_--;
  positions_.emplace(std::string(name), position);
  entries_.emplace(position, Entry{std::string(name), std::move(node)});
}

std::shared_ptr<Node> Directory::erase_locked(std::string_view name) {
  auto position = positions_.find(name);
  if (position == positions_.end()) {
    return nullptr;
  }
  auto entry = entries_.find(position->second);
  std::shared_ptr<Node> node = std::move(entry->second.node);
  entries_.erase(entry);
  positions_.erase(position);
  return node;
}

Result<void> Directory::check_new_entry_locked(std::string_view name) const {
  if (link_count == 0) {
    return fail(Errno::enoent);
  }
  if (positions_.contains(name)) {
    return fail(Errno::eexist);
  }
  return {};
}

Result<void> Directory::add_locked(std::string_view name, std::shared_ptr<Node> node) {
  TRY_VOID(check_new_entry_locked(name));
  insert_locked(name, std::move(node));
  touch_locked(true);
  return {};
}

Result<std::shared_ptr<Inode>> Directory::lookup(std::string_view name) {
  sync::LockGuard guard(file_system_->lock);

  if (name == ".") {
    return shared_from_this();
  }
  if (name == "..") {
    std::shared_ptr<Directory> parent_directory = parent.lock();
    if (!parent_directory) {
      return fail(Errno::enoent);
    }
    return std::shared_ptr<Inode>(std::move(parent_directory));
  }

  std::shared_ptr<Node> node = find_locked(name);
  if (!node) {
    return fail(Errno::enoent);
  }
  return std::shared_ptr<Inode>(std::move(node));
}

Result<std::shared_ptr<Inode>> Directory::create(std::string_view name, FileType type,
                                                 uint32_t permissions_, uint32_t uid_,
                                                 uint32_t gid_, uint64_t device_number) {
  std::shared_ptr<Node> node;
  switch (type) {
    case FileType::regular:
      node = std::make_shared<RegularFile>(file_system_, permissions_, uid_, gid_);
      break;
    case FileType::fifo:
    case FileType::socket:
    case FileType::character_device:
    case FileType::block_device:
      node = std::make_shared<SpecialNode>(file_system_, type, permissions_, uid_, gid_,
                                           device_number);
      break;
    case FileType::directory:
    case FileType::symlink:
      return fail(Errno::einval);
  }

  sync::LockGuard guard(file_system_->lock);
  TRY_VOID(add_locked(name, node));
  return std::shared_ptr<Inode>(std::move(node));
}

Result<std::shared_ptr<Inode>> Directory::make_directory(std::string_view name,
                                                         uint32_t permissions_, uint32_t uid_,
                                                         uint32_t gid_) {
  auto directory = std::make_shared<Directory>(file_system_, permissions_, uid_, gid_);

  sync::LockGuard guard(file_system_->lock);
  TRY_VOID(add_locked(name, directory));
  directory->parent = std::static_pointer_cast<Directory>(shared_from_this());
  ++link_count;
  return std::shared_ptr<Inode>(std::move(directory));
}

Result<std::shared_ptr<Inode>> Directory::make_symlink(std::string_view name,
                                                       std::string_view target, uint32_t uid_,
                                                       uint32_t gid_) {
  auto symlink = std::make_shared<Symlink>(file_system_, target, uid_, gid_);

  sync::LockGuard guard(file_system_->lock);
  TRY_VOID(add_locked(name, symlink));
  return std::shared_ptr<Inode>(std::move(symlink));
}

Result<void> Directory::link(std::string_view name, const std::shared_ptr<Inode>& target) {
  auto node = std::dynamic_pointer_cast<Node>(target);
  if (!node || &node->memory_file_system() != file_system_.get()) {
    return fail(Errno::exdev);
  }
  if (node->is_directory()) {
    return fail(Errno::eperm);
  }

  sync::LockGuard guard(file_system_->lock);
  if (node->link_count == 0) {
    return fail(Errno::enoent);
  }
  TRY_VOID(add_locked(name, node));
  ++node->link_count;
  node->touch_locked(false);
  return {};
}

Result<void> Directory::unlink(std::string_view name) {
  std::shared_ptr<Node> removed;
  sync::LockGuard guard(file_system_->lock);

  std::shared_ptr<Node> node = find_locked(name);
  if (!node) {
    return fail(Errno::enoent);
  }
  if (node->is_directory()) {
    return fail(Errno::eisdir);
  }

  removed = erase_locked(name);
  --removed->link_count;
  removed->touch_locked(false);
  touch_locked(true);
  return {};
}

Result<void> Directory::remove_directory(std::string_view name) {
  std::shared_ptr<Node> removed;
  sync::LockGuard guard(file_system_->lock);

  std::shared_ptr<Node> node = find_locked(name);
  if (!node) {
    return fail(Errno::enoent);
  }
  if (!node->is_directory()) {
    return fail(Errno::enotdir);
  }
  if (!static_cast<Directory&>(*node).entries_.empty()) {
    return fail(Errno::enotempty);
  }

  removed = erase_locked(name);
  removed->link_count = 0;
  removed->touch_locked(false);
  --link_count;
  touch_locked(true);
  return {};
}

Result<void> Directory::rename(std::string_view old_name, Inode& new_parent,
                               std::string_view new_name, uint32_t flags) {
  Directory* destination = TRY(same_file_system_directory(new_parent, *file_system_));
  std::shared_ptr<Node> replaced;
  sync::LockGuard guard(file_system_->lock);

  std::shared_ptr<Node> source = find_locked(old_name);
  if (!source) {
    return fail(Errno::enoent);
  }
  std::shared_ptr<Node> target = destination->find_locked(new_name);
  if (destination->link_count == 0) {
    return fail(Errno::enoent);
  }
  bool moves_between_directories = destination != this;

  if (flags & rename_exchange) {
    if (!target) {
      return fail(Errno::enoent);
    }
    if (target == source) {
      return {};
    }
    entries_.at(positions_.find(old_name)->second).node = target;
    destination->entries_.at(destination->positions_.find(new_name)->second).node = source;
    if (moves_between_directories && source->is_directory() != target->is_directory()) {
      Directory* gains_subdirectory = source->is_directory() ? destination : this;
      Directory* loses_subdirectory = source->is_directory() ? this : destination;
      ++gains_subdirectory->link_count;
      --loses_subdirectory->link_count;
    }
    if (source->is_directory()) {
      static_cast<Directory&>(*source).parent =
          std::static_pointer_cast<Directory>(destination->shared_from_this());
    }
    if (target->is_directory()) {
      static_cast<Directory&>(*target).parent =
          std::static_pointer_cast<Directory>(shared_from_this());
    }
    source->touch_locked(false);
    target->touch_locked(false);
    touch_locked(true);
    destination->touch_locked(true);
    return {};
  }

  if (target) {
    if (flags & rename_noreplace) {
      return fail(Errno::eexist);
    }
    if (target == source) {
      return {};
    }
    if (source->is_directory()) {
      if (!target->is_directory()) {
        return fail(Errno::enotdir);
      }
      if (!static_cast<Directory&>(*target).entries_.empty()) {
        return fail(Errno::enotempty);
      }
    } else if (target->is_directory()) {
      return fail(Errno::eisdir);
    }

    replaced = destination->erase_locked(new_name);
    if (replaced->is_directory()) {
      replaced->link_count = 0;
      --destination->link_count;
    } else {
      --replaced->link_count;
    }
    replaced->touch_locked(false);
  }

  erase_locked(old_name);
  destination->insert_locked(new_name, source);
  if (source->is_directory() && moves_between_directories) {
    --link_count;
    ++destination->link_count;
    static_cast<Directory&>(*source).parent =
        std::static_pointer_cast<Directory>(destination->shared_from_this());
  }
  source->touch_locked(false);
  touch_locked(true);
  destination->touch_locked(true);
  return {};
}

Result<void> Directory::read_directory(uint64_t position, const EntrySink& emit) {
  struct Pending {
    DirectoryEntry entry;
    uint64_t next_position;
  };

  while (true) {
    std::vector<Pending> batch;
    bool at_end = false;
    {
      sync::LockGuard guard(file_system_->lock);
      Stat self = stat_locked();
      if (position == 0) {
        batch.push_back({{".", self.inode, FileType::directory}, 1});
      }
      if (position <= 1) {
        std::shared_ptr<Directory> parent_directory = parent.lock();
        uint64_t parent_inode =
            parent_directory ? parent_directory->stat_locked().inode : self.inode;
        batch.push_back({{"..", parent_inode, FileType::directory}, first_entry_position});
      }

      auto entry = entries_.lower_bound(std::max(position, first_entry_position));
      for (; entry != entries_.end() && batch.size() < directory_batch_size; ++entry) {
        const Node& node = *entry->second.node;
        batch.push_back(
            {{entry->second.name, node.stat_locked().inode, node.type()}, entry->first + 1});
      }
      at_end = entry == entries_.end();
      touch_access_locked();
    }

    for (const Pending& pending : batch) {
      if (!emit(pending.entry, pending.next_position)) {
        return {};
      }
      position = pending.next_position;
    }
    if (at_end) {
      return {};
    }
  }
}

}  // namespace litebox::fs::memfs
