// OverlayFileSystem: copy-up, whiteouts and merged directory listings over
// two file systems. One lock per overlay (OverlayFileSystem::lock_) guards
// all overlay state. File data is read and written outside the lock, through
// the layer inode current at the time of the call.
#include "litebox/fs/overlay_file_system.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace litebox::fs {

namespace {

// Inode numbers of objects that exist only in the upper layer carry this
// bit. Objects from the lower layer keep their lower inode number before and
// after copy-up, so the two ranges stay apart while lower numbers stay below
// 2^62 (tar file systems number their inodes from 1).
constexpr uint64_t upper_only_inode_bit = uint64_t{1} << 62;

// Merged directory positions: 0 and 1 are "." and "..". Later positions tag
// a layer's own position with the layer, so a listing resumes in the right
// layer even after entries were added or removed.
constexpr uint64_t upper_phase = uint64_t{1} << 62;
constexpr uint64_t lower_phase = uint64_t{2} << 62;
constexpr uint64_t phase_mask = uint64_t{3} << 62;

// The f_type of Linux overlayfs (OVERLAYFS_SUPER_MAGIC).
constexpr uint64_t overlay_magic = 0x794c7630;

constexpr size_t copy_chunk_size = 64 * 1024;

bool is_dot_or_dot_dot(std::string_view name) { return name == "." || name == ".."; }

}  // namespace

class OverlayInode final : public Inode {
 public:
  OverlayInode(OverlayFileSystem& file_system, std::shared_ptr<Inode> upper,
               std::shared_ptr<Inode> lower, FileType type, uint64_t number)
      : file_system_(file_system),
        type_(type),
        number_(number),
        upper_(std::move(upper)),
        lower_(std::move(lower)) {}

  // Creates the overlay inode for a layer pair, taking its type and number
  // from the lower inode if there is one.
  static Result<std::shared_ptr<OverlayInode>> make(OverlayFileSystem& file_system,
                                                    std::shared_ptr<Inode> upper,
                                                    std::shared_ptr<Inode> lower);

  FileSystem& file_system() override { return file_system_; }

  Result<Stat> stat() override;
  Result<void> change_attributes(const AttributeChange& change) override;
  Result<size_t> read(uint64_t offset, std::span<std::byte> buffer) override;
  Result<uint64_t> seek_region(uint64_t offset, Region region) override;
  Result<size_t> write(uint64_t offset, std::span<const std::byte> data) override;
  Result<mm::PageRuns> share_pages(uint64_t offset, uint64_t length) override;
  Result<void> allocate(uint64_t offset, uint64_t length, AllocateMode mode) override;
  std::optional<std::span<const std::byte>> immutable_contents() override;

  Result<std::shared_ptr<Inode>> lookup(std::string_view name) override;
  Result<std::shared_ptr<Inode>> create(std::string_view name, FileType type, uint32_t permissions,
                                        uint32_t uid, uint32_t gid, uint64_t rdev) override;
  Result<std::shared_ptr<Inode>> make_directory(std::string_view name, uint32_t permissions,
                                                uint32_t uid, uint32_t gid) override;
  Result<std::shared_ptr<Inode>> make_symlink(std::string_view name, std::string_view target,
                                              uint32_t uid, uint32_t gid) override;
  Result<void> link(std::string_view name, const std::shared_ptr<Inode>& target) override;
  Result<void> unlink(std::string_view name) override;
  Result<void> remove_directory(std::string_view name) override;
  Result<void> rename(std::string_view old_name, Inode& new_parent, std::string_view new_name,
                      uint32_t flags) override;
  Result<void> read_directory(uint64_t position, const EntrySink& emit) override;
  Result<std::string> read_link() override;
  Result<std::shared_ptr<fd::File>> open(uint32_t flags) override;

 private:
  friend class OverlayFileSystem;

  bool is_directory() const { return type_ == FileType::directory; }
  // The layer inode that currently contains the object.
  std::shared_ptr<Inode> current_layer();

  // The *_locked helpers expect file_system_.lock_ to be held.
  Result<std::shared_ptr<OverlayInode>> lookup_locked(std::string_view name);
  Result<bool> exists_locked(std::string_view name);
  Result<void> check_empty_locked();
  // Copies the object, and first its parent directories, to the upper layer.
  // Regular files take at most `data_limit` bytes of contents.
  Result<void> copy_up_locked(uint64_t data_limit = UINT64_MAX);
  // Creates a copy of the lower object as `name` in the upper directory.
  Result<std::shared_ptr<Inode>> copy_to(Inode& upper_directory, std::string_view name,
                                         uint64_t data_limit);
  // Hides the lower entry `name` for good, if the lower directory has one.
  void add_whiteout_locked(std::string_view name);
  Result<void> read_directory_locked(uint64_t position, const EntrySink& emit);

  OverlayFileSystem& file_system_;
  const FileType type_;
  const uint64_t number_;

  // Guarded by file_system_.lock_.
  std::shared_ptr<Inode> upper_;        // null until copy-up for lower objects
  std::shared_ptr<Inode> lower_;        // null for upper-only and opaque objects
  std::weak_ptr<OverlayInode> parent_;  // expired for the root
  std::string name_;                    // name in parent_, for copy-up
  bool unlinked_ = false;               // removed from every directory
  // Directories: every child looked up or created so far, so one object
  // keeps one OverlayInode and its inode number. Whiteouts are the lower
  // names removed or replaced through the overlay.
  std::map<std::string, std::shared_ptr<OverlayInode>, std::less<>> children_;
  std::set<std::string, std::less<>> whiteouts_;
};

Result<std::shared_ptr<OverlayInode>> OverlayInode::make(OverlayFileSystem& file_system,
                                                         std::shared_ptr<Inode> upper,
                                                         std::shared_ptr<Inode> lower) {
  Stat status = TRY(lower ? lower->stat() : upper->stat());
  uint64_t number = lower ? status.inode : status.inode | upper_only_inode_bit;
  return std::make_shared<OverlayInode>(file_system, std::move(upper), std::move(lower),
                                        file_type_of(status.mode), number);
}

std::shared_ptr<Inode> OverlayInode::current_layer() {
  sync::LockGuard guard(file_system_.lock_);
  return upper_ ? upper_ : lower_;
}

Result<Stat> OverlayInode::stat() {
  std::shared_ptr<Inode> layer = current_layer();
  Stat status = TRY(layer->stat());

  status.device = file_system_.device();
  status.inode = number_;
  return status;
}

Result<void> OverlayInode::change_attributes(const AttributeChange& change) {
  sync::LockGuard guard(file_system_.lock_);
  // Truncating to zero needs none of the old contents.
  uint64_t data_limit =
      change.size ? static_cast<uint64_t>(std::max<int64_t>(*change.size, 0)) : UINT64_MAX;
  TRY_VOID(copy_up_locked(data_limit));

  return upper_->change_attributes(change);
}

Result<uint64_t> OverlayInode::seek_region(uint64_t offset, Region region) {
  return current_layer()->seek_region(offset, region);
}

Result<size_t> OverlayInode::read(uint64_t offset, std::span<std::byte> buffer) {
  std::shared_ptr<Inode> layer = current_layer();
  return layer->read(offset, buffer);
}

Result<size_t> OverlayInode::write(uint64_t offset, std::span<const std::byte> data) {
  std::shared_ptr<Inode> upper;
  {
    sync::LockGuard guard(file_system_.lock_);
    if (type_ != FileType::regular) {
      return (upper_ ? upper_ : lower_)->write(offset, data);
    }
    TRY_VOID(copy_up_locked());
    upper = upper_;
  }
  return upper->write(offset, data);
}

Result<void> OverlayInode::allocate(uint64_t offset, uint64_t length, AllocateMode mode) {
  std::shared_ptr<Inode> upper;
  {
    sync::LockGuard guard(file_system_.lock_);
    if (type_ != FileType::regular) {
      return (upper_ ? upper_ : lower_)->allocate(offset, length, mode);
    }
    TRY_VOID(copy_up_locked());
    upper = upper_;
  }
  return upper->allocate(offset, length, mode);
}

// NOTE: a shared mapping of a file that exists only in the lower layer is a
// copy (tar files share no pages), so it misses later changes to the copied-up
// file. Linux overlayfs documents the same limit for a MAP_SHARED mapping of a
// lower file.
Result<mm::PageRuns> OverlayInode::share_pages(uint64_t offset, uint64_t length) {
  std::shared_ptr<Inode> layer = current_layer();
  return layer->share_pages(offset, length);
}

// A private mapping of a lower file keeps the lower file's bytes after a
// copy-up, as a private mapping on Linux overlayfs keeps the pages it had.
std::optional<std::span<const std::byte>> OverlayInode::immutable_contents() {
  std::shared_ptr<Inode> layer = current_layer();
  return layer->immutable_contents();
}

Result<std::shared_ptr<Inode>> OverlayInode::lookup(std::string_view name) {
  if (!is_directory()) {
    return fail(Errno::enotdir);
  }
  sync::LockGuard guard(file_system_.lock_);
  if (name == "..") {
    std::shared_ptr<OverlayInode> parent = parent_.lock();
    if (parent == nullptr) {
      return shared_from_this();
    }
    return std::static_pointer_cast<Inode>(parent);
  }

  auto child = TRY(lookup_locked(name));
  return std::static_pointer_cast<Inode>(child);
}

Result<std::shared_ptr<OverlayInode>> OverlayInode::lookup_locked(std::string_view name) {
  if (!is_directory()) {
    return fail(Errno::enotdir);
  }
  if (auto cached = children_.find(name); cached != children_.end()) {
    return cached->second;
  }

  std::shared_ptr<Inode> upper;
  if (upper_) {
    auto found = upper_->lookup(name);
    if (found) {
      upper = *found;
    } else if (found.error() != Errno::enoent) {
      return fail(found.error());
    }
  }

  // The lower entry shows unless a whiteout hides it or an upper
  // non-directory replaces it. An upper directory merges with a lower one.
  std::shared_ptr<Inode> lower;
  bool upper_is_directory = false;
  if (upper) {
    Stat upper_status = TRY(upper->stat());
    upper_is_directory = file_type_of(upper_status.mode) == FileType::directory;
  }
  if (lower_ && !whiteouts_.contains(name) && (!upper || upper_is_directory)) {
    auto found = lower_->lookup(name);
    if (found) {
      lower = *found;
    } else if (found.error() != Errno::enoent) {
      return fail(found.error());
    }
  }
  if (upper && lower) {
    Stat lower_status = TRY(lower->stat());
    if (file_type_of(lower_status.mode) != FileType::directory) {
      lower = nullptr;
    }
  }
  if (!upper && !lower) {
    return fail(Errno::enoent);
  }

  std::shared_ptr<OverlayInode> child = TRY(make(file_system_, upper, lower));
  child->parent_ = std::static_pointer_cast<OverlayInode>(shared_from_this());
  child->name_ = std::string(name);
  children_.emplace(std::string(name), child);
  return child;
}

Result<bool> OverlayInode::exists_locked(std::string_view name) {
  auto child = lookup_locked(name);
  if (child) {
    return true;
  }
  if (child.error() == Errno::enoent) {
    return false;
  }
  return fail(child.error());
}

Result<void> OverlayInode::check_empty_locked() {
  bool empty = true;
  TRY_VOID(read_directory_locked(2, [&](const DirectoryEntry&, uint64_t) {
    empty = false;
    return false;
  }));
  if (!empty) {
    return fail(Errno::enotempty);
  }
  return {};
}

void OverlayInode::add_whiteout_locked(std::string_view name) {
  // Names the lower layer lacks need no whiteout, so removing files made
  // only in the upper layer (temporary files, say) leaves nothing behind.
  if (lower_ && lower_->lookup(name)) {
    whiteouts_.emplace(name);
  }
}

Result<std::shared_ptr<Inode>> OverlayInode::copy_to(Inode& upper_directory, std::string_view name,
                                                     uint64_t data_limit) {
  Stat status = TRY(lower_->stat());
  uint32_t permissions = status.mode & mode_permission_mask;

  std::shared_ptr<Inode> copy;
  switch (type_) {
    case FileType::directory:
      copy = TRY(upper_directory.make_directory(name, permissions, status.uid, status.gid));
      break;
    case FileType::symlink: {
      std::string target = TRY(lower_->read_link());
      copy = TRY(upper_directory.make_symlink(name, target, status.uid, status.gid));
      break;
    }
    case FileType::regular:
    case FileType::fifo:
    case FileType::socket:
    case FileType::character_device:
    case FileType::block_device:
      copy = TRY(
          upper_directory.create(name, type_, permissions, status.uid, status.gid, status.rdev));
      break;
  }

  if (type_ == FileType::regular) {
    uint64_t length = std::min<uint64_t>(static_cast<uint64_t>(status.size), data_limit);
    std::vector<std::byte> chunk(std::min<uint64_t>(length, copy_chunk_size));
    uint64_t offset = 0;
    while (offset < length) {
      size_t wanted = std::min<uint64_t>(chunk.size(), length - offset);
      size_t count = TRY(lower_->read(offset, std::span(chunk).first(wanted)));
      if (count == 0) {
        break;
      }
      size_t written = TRY(copy->write(offset, std::span<const std::byte>(chunk).first(count)));
      if (written == 0) {
        return fail(Errno::eio);
      }
      // A short write leaves the rest for the next round.
      offset += written;
    }
  }

  // Creating the copy set its times to now, so restore the lower ones.
  TRY_VOID(copy->change_attributes(
      AttributeChange{.access_time = status.access_time, .modify_time = status.modify_time}));
  return copy;
}

Result<void> OverlayInode::copy_up_locked(uint64_t data_limit) {
  if (upper_) {
    return {};
  }

  std::shared_ptr<OverlayInode> parent = parent_.lock();
  if (unlinked_ || parent == nullptr) {
    // The object has no name any more (it is still open), so copy it under a
    // temporary name in the upper root and remove that name at once, as
    // overlayfs does with its work directory.
    if (is_directory()) {
      return fail(Errno::enoent);
    }
    std::shared_ptr<Inode> upper_root = file_system_.upper_->root();
    std::string work_name =
        ".litebox-overlay-copy-up-" + std::to_string(file_system_.next_work_file_++);
    upper_ = TRY(copy_to(*upper_root, work_name, data_limit));
    TRY_VOID(upper_root->unlink(work_name));
    return {};
  }

  TRY_VOID(parent->copy_up_locked());
  Stat parent_before = TRY(parent->upper_->stat());

  upper_ = TRY(copy_to(*parent->upper_, name_, data_limit));
  // Copy-up is no change the program made, so the parent keeps its times,
  // as Linux overlayfs restores them.
  TRY_VOID(parent->upper_->change_attributes(AttributeChange{
      .access_time = parent_before.access_time, .modify_time = parent_before.modify_time}));
  // TODO: copy-up breaks the sharing of lower hard links: the other names
  // of the same lower inode keep showing the old contents.
  if (!is_directory()) {
    lower_ = nullptr;
  }
  return {};
}

Result<std::shared_ptr<Inode>> OverlayInode::create(std::string_view name, FileType type,
                                                    uint32_t permissions, uint32_t uid,
                                                    uint32_t gid, uint64_t rdev) {
  if (!is_directory()) {
    return fail(Errno::enotdir);
  }
  sync::LockGuard guard(file_system_.lock_);
  if (TRY(exists_locked(name))) {
    return fail(Errno::eexist);
  }
  TRY_VOID(copy_up_locked());

  TRY_VOID(upper_->create(name, type, permissions, uid, gid, rdev));
  auto child = TRY(lookup_locked(name));
  return std::static_pointer_cast<Inode>(child);
}

Result<std::shared_ptr<Inode>> OverlayInode::make_directory(std::string_view name,
                                                            uint32_t permissions, uint32_t uid,
                                                            uint32_t gid) {
  if (!is_directory()) {
    return fail(Errno::enotdir);
  }
  sync::LockGuard guard(file_system_.lock_);
  if (TRY(exists_locked(name))) {
    return fail(Errno::eexist);
  }
  TRY_VOID(copy_up_locked());

  TRY_VOID(upper_->make_directory(name, permissions, uid, gid));
  // A whiteout left by removing a lower directory of this name stays, so the
  // new directory is opaque and shows none of the old lower entries.
  auto child = TRY(lookup_locked(name));
  return std::static_pointer_cast<Inode>(child);
}

Result<std::shared_ptr<Inode>> OverlayInode::make_symlink(std::string_view name,
                                                          std::string_view target, uint32_t uid,
                                                          uint32_t gid) {
  if (!is_directory()) {
    return fail(Errno::enotdir);
  }
  sync::LockGuard guard(file_system_.lock_);
  if (TRY(exists_locked(name))) {
    return fail(Errno::eexist);
  }
  TRY_VOID(copy_up_locked());

  TRY_VOID(upper_->make_symlink(name, target, uid, gid));
  auto child = TRY(lookup_locked(name));
  return std::static_pointer_cast<Inode>(child);
}

Result<void> OverlayInode::link(std::string_view name, const std::shared_ptr<Inode>& target) {
  if (!is_directory()) {
    return fail(Errno::enotdir);
  }
  auto overlay_target = std::dynamic_pointer_cast<OverlayInode>(target);
  if (overlay_target == nullptr || &overlay_target->file_system_ != &file_system_) {
    return fail(Errno::exdev);
  }
  if (overlay_target->is_directory()) {
    return fail(Errno::eperm);
  }
  sync::LockGuard guard(file_system_.lock_);
  if (TRY(exists_locked(name))) {
    return fail(Errno::eexist);
  }
  TRY_VOID(overlay_target->copy_up_locked());
  TRY_VOID(copy_up_locked());

  TRY_VOID(upper_->link(name, overlay_target->upper_));
  // Both names lead to the same overlay object, as they lead to one inode.
  children_.insert_or_assign(std::string(name), overlay_target);
  return {};
}

Result<void> OverlayInode::unlink(std::string_view name) {
  sync::LockGuard guard(file_system_.lock_);
  std::shared_ptr<OverlayInode> child = TRY(lookup_locked(name));
  if (child->is_directory()) {
    return fail(Errno::eisdir);
  }

  if (child->upper_) {
    TRY_VOID(upper_->unlink(name));
  }
  add_whiteout_locked(name);
  children_.erase(children_.find(name));
  // A child with an upper inode may have other names, and copy-up no longer
  // needs its name anyway.
  if (!child->upper_) {
    child->unlinked_ = true;
  }
  return {};
}

Result<void> OverlayInode::remove_directory(std::string_view name) {
  sync::LockGuard guard(file_system_.lock_);
  std::shared_ptr<OverlayInode> child = TRY(lookup_locked(name));
  if (!child->is_directory()) {
    return fail(Errno::enotdir);
  }
  TRY_VOID(child->check_empty_locked());

  // Whiteouts live in the overlay, so an upper directory whose merged
  // listing is empty is itself empty.
  if (child->upper_) {
    TRY_VOID(upper_->remove_directory(name));
  }
  add_whiteout_locked(name);
  children_.erase(children_.find(name));
  child->unlinked_ = true;
  return {};
}

Result<void> OverlayInode::rename(std::string_view old_name, Inode& new_parent,
                                  std::string_view new_name, uint32_t flags) {
  if (!is_directory()) {
    return fail(Errno::enotdir);
  }
  auto* target_directory = dynamic_cast<OverlayInode*>(&new_parent);
  if (target_directory == nullptr || &target_directory->file_system_ != &file_system_) {
    return fail(Errno::exdev);
  }
  if ((flags & ~uint32_t{rename_noreplace | rename_exchange}) != 0 ||
      ((flags & rename_noreplace) && (flags & rename_exchange))) {
    return fail(Errno::einval);
  }
  bool exchange = (flags & rename_exchange) != 0;

  sync::LockGuard guard(file_system_.lock_);
  std::shared_ptr<OverlayInode> source = TRY(lookup_locked(old_name));
  std::shared_ptr<OverlayInode> destination;
  if (auto found = target_directory->lookup_locked(new_name); found) {
    destination = *found;
  } else if (found.error() != Errno::enoent) {
    return fail(found.error());
  }

  if (destination == nullptr && exchange) {
    return fail(Errno::enoent);
  }
  if (destination != nullptr && (flags & rename_noreplace)) {
    return fail(Errno::eexist);
  }
  if (destination == source) {
    // Both names are links to one file, and rename(2) then does nothing.
    return {};
  }
  // NOTE: like overlayfs without redirect_dir, a directory with lower
  // contents cannot move; EXDEV makes mv(1) copy it instead.
  if (source->is_directory() && source->lower_) {
    return fail(Errno::exdev);
  }
  if (exchange && destination->is_directory() && destination->lower_) {
    return fail(Errno::exdev);
  }
  if (destination != nullptr && !exchange) {
    if (source->is_directory() && !destination->is_directory()) {
      return fail(Errno::enotdir);
    }
    if (!source->is_directory() && destination->is_directory()) {
      return fail(Errno::eisdir);
    }
    if (destination->is_directory()) {
      TRY_VOID(destination->check_empty_locked());
    }
  }

  TRY_VOID(source->copy_up_locked());
  if (exchange) {
    TRY_VOID(destination->copy_up_locked());
  }
  TRY_VOID(copy_up_locked());
  TRY_VOID(target_directory->copy_up_locked());

  TRY_VOID(upper_->rename(old_name, *target_directory->upper_, new_name, flags));

  // Whatever the lower layer has under either name stays hidden from now on.
  add_whiteout_locked(old_name);
  target_directory->add_whiteout_locked(new_name);

  children_.erase(children_.find(old_name));
  if (exchange) {
    destination->parent_ = std::static_pointer_cast<OverlayInode>(shared_from_this());
    destination->name_ = std::string(old_name);
    children_.insert_or_assign(std::string(old_name), destination);
  } else if (destination != nullptr && !destination->upper_) {
    destination->unlinked_ = true;
  }
  source->parent_ = std::static_pointer_cast<OverlayInode>(target_directory->shared_from_this());
  source->name_ = std::string(new_name);
  target_directory->children_.insert_or_assign(std::string(new_name), source);
  return {};
}

Result<void> OverlayInode::read_directory(uint64_t position, const EntrySink& emit) {
  if (!is_directory()) {
    return fail(Errno::enotdir);
  }
  // Entries are gathered in batches under the lock and emitted without it,
  // so `emit` may call back into the overlay.
  constexpr size_t batch_size = 64;
  while (true) {
    std::vector<std::pair<DirectoryEntry, uint64_t>> batch;
    {
      sync::LockGuard guard(file_system_.lock_);
      TRY_VOID(read_directory_locked(position, [&](const DirectoryEntry& entry, uint64_t next) {
        batch.emplace_back(entry, next);
        return batch.size() < batch_size;
      }));
    }

    for (const auto& [entry, next] : batch) {
      if (!emit(entry, next)) {
        return {};
      }
      position = next;
    }
    if (batch.size() < batch_size) {
      return {};
    }
  }
}

Result<void> OverlayInode::read_directory_locked(uint64_t position, const EntrySink& emit) {
  if (position == 0 && !emit(DirectoryEntry{".", number_, FileType::directory}, 1)) {
    return {};
  }
  if (position <= 1) {
    std::shared_ptr<OverlayInode> parent = parent_.lock();
    uint64_t parent_number = parent ? parent->number_ : number_;
    if (!emit(DirectoryEntry{"..", parent_number, FileType::directory}, upper_phase)) {
      return {};
    }
    position = upper_phase;
  }
  if (position == 2) {
    position = upper_phase;
  }

  bool stopped = false;
  if ((position & phase_mask) == upper_phase) {
    if (upper_) {
      // NOTE: upper positions must fit in 62 bits to be tagged.
      TRY_VOID(upper_->read_directory(
          position & ~phase_mask, [&](const DirectoryEntry& entry, uint64_t next) {
            if (is_dot_or_dot_dot(entry.name)) {
              return true;
            }
            DirectoryEntry shown = entry;
            auto cached = children_.find(entry.name);
            shown.inode = cached != children_.end() ? cached->second->number_
                                                    : entry.inode | upper_only_inode_bit;
            if (!emit(shown, upper_phase | (next & ~phase_mask))) {
              stopped = true;
              return false;
            }
            return true;
          }));
    }
    if (stopped) {
      return {};
    }
    position = lower_phase;
  }

  if ((position & phase_mask) != lower_phase || !lower_) {
    return {};
  }
  // The lower listing skips names that a whiteout hides or an upper entry
  // replaces.
  Result<void> listed = lower_->read_directory(
      position & ~phase_mask, [&](const DirectoryEntry& entry, uint64_t next) {
        if (is_dot_or_dot_dot(entry.name) || whiteouts_.contains(entry.name)) {
          return true;
        }
        if (upper_ && upper_->lookup(entry.name)) {
          return true;
        }
        return emit(entry, lower_phase | (next & ~phase_mask));
      });
  return listed;
}

Result<std::string> OverlayInode::read_link() {
  std::shared_ptr<Inode> layer = current_layer();
  return layer->read_link();
}

Result<std::shared_ptr<fd::File>> OverlayInode::open(uint32_t flags) {
  // Regular files and directories read and write through the overlay inode,
  // so an open description follows the object across copy-up. Device nodes
  // open as their layer defines them.
  if (type_ == FileType::regular || type_ == FileType::directory) {
    return Inode::open(flags);
  }
  std::shared_ptr<Inode> layer = current_layer();
  return layer->open(flags);
}

OverlayFileSystem::OverlayFileSystem(std::shared_ptr<FileSystem> upper,
                                     std::shared_ptr<FileSystem> lower)
    : upper_(std::move(upper)), lower_(std::move(lower)), device_(allocate_device_number()) {}

OverlayFileSystem::~OverlayFileSystem() = default;

Result<std::shared_ptr<OverlayFileSystem>> OverlayFileSystem::create(
    std::shared_ptr<FileSystem> upper, std::shared_ptr<FileSystem> lower) {
  if (upper == nullptr || lower == nullptr || upper->read_only()) {
    return fail(Errno::einval);
  }

  // The constructor is private, so make_shared cannot reach it.
  std::shared_ptr<OverlayFileSystem> overlay(
      new OverlayFileSystem(std::move(upper), std::move(lower)));
  overlay->root_ =
      TRY(OverlayInode::make(*overlay, overlay->upper_->root(), overlay->lower_->root()));
  return overlay;
}

std::shared_ptr<Inode> OverlayFileSystem::root() { return root_; }

FileSystemStat OverlayFileSystem::stat_file_system() {
  FileSystemStat status = upper_->stat_file_system();
  status.type = overlay_magic;
  return status;
}

}  // namespace litebox::fs
