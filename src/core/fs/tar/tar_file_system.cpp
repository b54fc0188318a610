// TarFileSystem: the tree of a parsed tar archive. The tree is complete and
// immutable once create() returns, so the inodes need no locking.
#include "litebox/fs/tar_file_system.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "litebox/fs/devfs.hpp"
#include "litebox/platform/platform.hpp"

namespace litebox::fs {

namespace {

// The Linux encoding of a device number (new_encode_dev in the kernel ABI,
// the layout glibc's makedev uses).
uint64_t make_device_number(uint32_t major, uint32_t minor) {
  uint64_t high = major;
  uint64_t low = minor;
  return ((high & 0xfffff000) << 32) | ((high & 0xfff) << 8) | ((low & 0xffffff00) << 12) |
         (low & 0xff);
}

FileType file_type_of_member(tar::MemberType type) {
  switch (type) {
    case tar::MemberType::directory:
      return FileType::directory;
    case tar::MemberType::symlink:
      return FileType::symlink;
    case tar::MemberType::character_device:
      return FileType::character_device;
    case tar::MemberType::block_device:
      return FileType::block_device;
    case tar::MemberType::fifo:
      return FileType::fifo;
    case tar::MemberType::regular:
    case tar::MemberType::hard_link:
      break;
  }
  return FileType::regular;
}

}  // namespace

class TarInode final : public Inode {
 public:
  TarInode(TarFileSystem& file_system, uint64_t number, FileType type)
      : file_system_(file_system), number_(number), type_(type) {}

  FileSystem& file_system() override { return file_system_; }

  Result<Stat> stat() override;
  Result<size_t> read(uint64_t offset, std::span<std::byte> buffer) override;
  Result<size_t> write(uint64_t offset, std::span<const std::byte> data) override;
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
  friend class TarBuilder;

  bool is_directory() const { return type_ == FileType::directory; }
  void set_attributes(const tar::Member& member) {
    permissions_ = member.permissions;
    uid_ = member.uid;
    gid_ = member.gid;
    access_time_ = member.access_time;
    modify_time_ = member.modify_time;
    change_time_ = member.change_time;
  }
  // The errno of a change: EROFS where Linux would reach the file system.
  Result<void> reject_change() const {
    return fail(is_directory() ? Errno::erofs : Errno::enotdir);
  }

  TarFileSystem& file_system_;
  uint64_t number_;
  FileType type_;
  uint32_t permissions_ = 0755;
  uint32_t uid_ = 0;
  uint32_t gid_ = 0;
  uint32_t link_count_ = 1;
  uint64_t rdev_ = 0;
  Timespec access_time_;
  Timespec modify_time_;
  Timespec change_time_;
  std::span<const std::byte> data_;  // regular files: a view into the archive
  std::string link_target_;          // symlinks

  using ChildMap = std::map<std::string, std::shared_ptr<TarInode>, std::less<>>;

  // Directories. While building, children live in `building_children_`.
  // TarBuilder then moves them into `entries_`, sorted by name, so a
  // directory position is an index.
  TarInode* parent_ = nullptr;  // the root is its own parent
  // Allocated for directories only, so a file inode stays small: there is
  // one per member, and a large image has tens of thousands of members.
  std::unique_ptr<ChildMap> building_children_;
  std::vector<std::pair<std::string, std::shared_ptr<TarInode>>> entries_;
};

Result<Stat> TarInode::stat() {
  Stat status;
  status.device = file_system_.device();
  status.inode = number_;
  status.mode = mode_of(type_, permissions_);
  status.link_count = link_count_;
  status.uid = uid_;
  status.gid = gid_;
  status.rdev = rdev_;
  // Sizes and blocks follow tmpfs, as if the archive had been extracted
  // there, although the data stays in the archive.
  status.block_size = tmpfs_accounting::page_size;
  if (type_ == FileType::regular) {
    status.size = static_cast<int64_t>(data_.size());
    status.blocks = tmpfs_accounting::dense_file_blocks(status.size);
  } else if (type_ == FileType::symlink) {
    status.size = static_cast<int64_t>(link_target_.size());
    status.blocks = tmpfs_accounting::symlink_blocks(link_target_.size());
  } else if (type_ == FileType::directory) {
    status.size = tmpfs_accounting::directory_size(entries_.size());
  }
  status.access_time = access_time_;
  status.modify_time = modify_time_;
  status.change_time = change_time_;
  return status;
}

Result<size_t> TarInode::read(uint64_t offset, std::span<std::byte> buffer) {
  if (type_ != FileType::regular) {
    return Inode::read(offset, buffer);
  }
  if (offset >= data_.size()) {
    return 0;
  }

  size_t count = std::min<uint64_t>(buffer.size(), data_.size() - offset);
  std::memcpy(buffer.data(), data_.data() + offset, count);
  return count;
}

// The archive is read-only for the life of the file system, so a regular
// member's bytes never change.
std::optional<std::span<const std::byte>> TarInode::immutable_contents() {
  if (type_ != FileType::regular) {
    return std::nullopt;
  }
  return data_;
}

Result<size_t> TarInode::write(uint64_t, std::span<const std::byte>) {
  return fail(is_directory() ? Errno::eisdir : Errno::erofs);
}

Result<std::shared_ptr<Inode>> TarInode::lookup(std::string_view name) {
  if (!is_directory()) {
    return fail(Errno::enotdir);
  }
  if (name == "..") {
    return parent_->shared_from_this();
  }

  auto found = std::ranges::lower_bound(
      entries_, name, {}, [](const auto& entry) { return std::string_view(entry.first); });
  if (found == entries_.end() || found->first != name) {
    return fail(Errno::enoent);
  }
  return std::static_pointer_cast<Inode>(found->second);
}

Result<std::shared_ptr<Inode>> TarInode::create(std::string_view, FileType, uint32_t, uint32_t,
                                                uint32_t, uint64_t) {
  TRY_VOID(reject_change());
  return nullptr;
}

Result<std::shared_ptr<Inode>> TarInode::make_directory(std::string_view, uint32_t, uint32_t,
                                                        uint32_t) {
  TRY_VOID(reject_change());
  return nullptr;
}

Result<std::shared_ptr<Inode>> TarInode::make_symlink(std::string_view, std::string_view, uint32_t,
                                                      uint32_t) {
  TRY_VOID(reject_change());
  return nullptr;
}

Result<void> TarInode::link(std::string_view, const std::shared_ptr<Inode>&) {
  return reject_change();
}

Result<void> TarInode::unlink(std::string_view) { return reject_change(); }

Result<void> TarInode::remove_directory(std::string_view) { return reject_change(); }

Result<void> TarInode::rename(std::string_view, Inode&, std::string_view, uint32_t) {
  return reject_change();
}

Result<void> TarInode::read_directory(uint64_t position, const EntrySink& emit) {
  if (!is_directory()) {
    return fail(Errno::enotdir);
  }

  // Positions 0 and 1 are "." and "..", and position k >= 2 is entries_[k - 2].
  if (position == 0 && !emit(DirectoryEntry{".", number_, FileType::directory}, 1)) {
    return {};
  }
  if (position <= 1 && !emit(DirectoryEntry{"..", parent_->number_, FileType::directory}, 2)) {
    return {};
  }
  for (uint64_t index = std::max<uint64_t>(position, 2) - 2; index < entries_.size(); ++index) {
    const auto& [name, inode] = entries_[index];
    if (!emit(DirectoryEntry{name, inode->number_, inode->type_}, index + 3)) {
      break;
    }
  }
  return {};
}

Result<std::string> TarInode::read_link() {
  if (type_ != FileType::symlink) {
    return fail(Errno::einval);
  }
  return link_target_;
}

Result<std::shared_ptr<fd::File>> TarInode::open(uint32_t flags) {
  if (type_ == FileType::character_device) {
    return devfs::open_character_device(shared_from_this(), flags);
  }
  // Block devices have no drivers, and the Vfs opens fifos itself.
  if (type_ == FileType::block_device) {
    return fail(Errno::enxio);
  }
  return Inode::open(flags);
}

// Builds the tree of a TarFileSystem from parsed members, one member at a
// time in archive order.
class TarBuilder {
 public:
  TarBuilder(TarFileSystem& file_system, const tar::WarningSink& warn)
      : file_system_(file_system), warn_(warn) {}

  void add_root();
  void add(const tar::Member& member);
  // Moves every directory's children into its sorted entry list and counts
  // directory links.
  void finish();

 private:
  std::shared_ptr<TarInode> new_inode(FileType type);
  void warning(const tar::Member& member, std::string_view what);
  // Returns the directory that will hold `path`'s last component, creating
  // the implied directories, or nullptr (with a warning) when a component is
  // not a directory.
  TarInode* parent_directory(const tar::Member& member, std::string_view path);
  // Returns the inode at `path`, or nullptr.
  TarInode* find(std::string_view path);
  // Puts `inode` at `name` in `parent`, replacing what was there.
  void place(TarInode& parent, std::string_view name, std::shared_ptr<TarInode> inode);

  TarFileSystem& file_system_;
  const tar::WarningSink& warn_;
  uint64_t next_inode_number_ = 1;
};

std::shared_ptr<TarInode> TarBuilder::new_inode(FileType type) {
  ++file_system_.inode_count_;
  auto inode = std::make_shared<TarInode>(file_system_, next_inode_number_++, type);
  if (type == FileType::directory) {
    inode->building_children_ = std::make_unique<TarInode::ChildMap>();
  }
  return inode;
}

void TarBuilder::warning(const tar::Member& member, std::string_view what) {
  std::string line = "tar: member \"" + tar::printable_member_name(member.path) + "\" at offset " +
                     std::to_string(member.header_offset) + ": " + std::string(what);
  if (warn_) {
    warn_(line);
  } else {
    platform::current().log.write(platform::LogLevel::warning, line);
  }
}

void TarBuilder::add_root() {
  file_system_.root_ = new_inode(FileType::directory);
  file_system_.root_->parent_ = file_system_.root_.get();
}

TarInode* TarBuilder::parent_directory(const tar::Member& member, std::string_view path) {
  TarInode* directory = file_system_.root_.get();
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    return directory;
  }

  std::string_view rest = path.substr(0, slash);
  while (!rest.empty()) {
    size_t next = rest.find('/');
    std::string_view component = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);

    auto found = directory->building_children_->find(component);
    if (found == directory->building_children_->end()) {
      // An implied directory: mode 0755, owner root, mtime 0.
      std::shared_ptr<TarInode> implied = new_inode(FileType::directory);
      implied->parent_ = directory;
      TarInode* raw = implied.get();
      directory->building_children_->emplace(std::string(component), std::move(implied));
      directory = raw;
      continue;
    }
    if (!found->second->is_directory()) {
      warning(member, "\"" + std::string(component) + "\" on its path is not a directory; skipped");
      return nullptr;
    }
    directory = found->second.get();
  }
  return directory;
}

TarInode* TarBuilder::find(std::string_view path) {
  TarInode* inode = file_system_.root_.get();
  while (!path.empty()) {
    if (!inode->is_directory()) {
      return nullptr;
    }
    size_t slash = path.find('/');
    std::string_view component = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    auto found = inode->building_children_->find(component);
    if (found == inode->building_children_->end()) {
      return nullptr;
    }
    inode = found->second.get();
  }
  return inode;
}

void TarBuilder::place(TarInode& parent, std::string_view name, std::shared_ptr<TarInode> inode) {
  auto found = parent.building_children_->find(name);
  if (found == parent.building_children_->end()) {
    parent.building_children_->emplace(std::string(name), std::move(inode));
    return;
  }
  if (!found->second->is_directory()) {
    --found->second->link_count_;
  }
  found->second = std::move(inode);
}

void TarBuilder::add(const tar::Member& member) {
  FileType type = file_type_of_member(member.type);
  if (member.path.empty()) {
    // A "./" member carries the attributes of the root directory.
    if (type != FileType::directory) {
      warning(member, "a non-directory cannot be the archive's root; skipped");
      return;
    }
  }

  // The root has no parent. For any other member the parent is known once
  // its directories exist, so only the last component needs a lookup.
  TarInode* parent = nullptr;
  TarInode* existing = file_system_.root_.get();
  std::string_view name = std::string_view(member.path).substr(member.path.rfind('/') + 1);
  if (!member.path.empty()) {
    parent = parent_directory(member, member.path);
    if (parent == nullptr || parent->building_children_ == nullptr) {
      return;
    }
    auto found = parent->building_children_->find(name);
    existing = found == parent->building_children_->end() ? nullptr : found->second.get();
  }

  if (member.type == tar::MemberType::hard_link) {
    TarInode* target = find(member.link_target);
    if (target == nullptr) {
      warning(member,
              "hard link target \"" + member.link_target + "\" is not an earlier member; skipped");
      return;
    }
    if (target->is_directory()) {
      warning(member, "hard link target \"" + member.link_target + "\" is a directory; skipped");
      return;
    }
    if (target == existing) {
      if (member.link_target == member.path) {
        warning(member, "hard link to itself; skipped");
      }
      return;
    }
    if (existing != nullptr && existing->is_directory()) {
      warning(member, "a hard link cannot replace a directory; skipped");
      return;
    }
    ++target->link_count_;
    place(*parent, name, std::static_pointer_cast<TarInode>(target->shared_from_this()));
    return;
  }

  if (existing != nullptr && existing->is_directory()) {
    if (type == FileType::directory) {
      // A repeated directory keeps its children and takes the new attributes.
      existing->set_attributes(member);
      return;
    }
    if (!existing->building_children_->empty()) {
      warning(member, "would replace a non-empty directory; skipped");
      return;
    }
  }

  std::shared_ptr<TarInode> inode = new_inode(type);
  inode->set_attributes(member);
  inode->parent_ = parent;
  switch (type) {
    case FileType::regular:
      inode->data_ = member.data;
      file_system_.data_bytes_ += member.data.size();
      break;
    case FileType::symlink:
      inode->link_target_ = member.link_target;
      break;
    case FileType::character_device:
    case FileType::block_device:
      inode->rdev_ = make_device_number(member.device_major, member.device_minor);
      break;
    case FileType::directory:
    case FileType::fifo:
    case FileType::socket:
      break;
  }
  place(*parent, name, std::move(inode));
}

void TarBuilder::finish() {
  std::vector<TarInode*> pending{file_system_.root_.get()};
  while (!pending.empty()) {
    TarInode* directory = pending.back();
    pending.pop_back();

    directory->link_count_ = 2;
    directory->entries_.reserve(directory->building_children_->size());
    for (auto& [name, child] : *directory->building_children_) {
      if (child->is_directory()) {
        ++directory->link_count_;
        pending.push_back(child.get());
      }
      directory->entries_.emplace_back(name, std::move(child));
    }
    directory->building_children_.reset();
  }
}

TarFileSystem::TarFileSystem() : device_(allocate_device_number()) {}

TarFileSystem::~TarFileSystem() = default;

std::expected<std::shared_ptr<TarFileSystem>, tar::TarError> TarFileSystem::create(
    std::span<const std::byte> archive, const tar::WarningSink& warn) {
  tar::WarningSink log_warning = warn;
  if (!log_warning) {
    log_warning = [](std::string_view line) {
      platform::current().log.write(platform::LogLevel::warning, line);
    };
  }

  // The constructor is private, so make_shared cannot reach it.
  std::shared_ptr<TarFileSystem> file_system(new TarFileSystem());
  TarBuilder builder(*file_system, log_warning);
  builder.add_root();
  // Each member goes into the tree as soon as it is parsed, so no list of
  // all members is ever held.
  auto parsed =
      tar::for_each_member(archive, log_warning, [&](tar::Member& member) { builder.add(member); });
  if (!parsed) {
    return std::unexpected(std::move(parsed.error()));
  }
  builder.finish();
  return file_system;
}

std::shared_ptr<TarFileSystem> TarFileSystem::create_from_members(
    std::span<const tar::Member> members, const tar::WarningSink& warn) {
  tar::WarningSink log_warning = warn;
  if (!log_warning) {
    log_warning = [](std::string_view line) {
      platform::current().log.write(platform::LogLevel::warning, line);
    };
  }

  std::shared_ptr<TarFileSystem> file_system(new TarFileSystem());
  TarBuilder builder(*file_system, log_warning);
  builder.add_root();
  for (const tar::Member& member : members) {
    builder.add(member);
  }
  builder.finish();
  return file_system;
}

std::shared_ptr<Inode> TarFileSystem::root() { return root_; }

FileSystemStat TarFileSystem::stat_file_system() {
  FileSystemStat status;
  // NOTE: Linux has no f_type for a tar image, so this reports 0 (unknown).
  status.type = 0;
  status.block_size = 4096;
  status.blocks = (data_bytes_ + status.block_size - 1) / status.block_size;
  status.files = inode_count_;
  status.name_max = name_max;
  status.flags = 1;  // ST_RDONLY
  return status;
}

}  // namespace litebox::fs
