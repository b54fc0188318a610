// TarFileSystem: the tree of a parsed tar archive. The tree is complete and
// immutable once create() returns, so reading it needs no lock. Only the
// table of the inode objects made so far has one.
#include "litebox/fs/tar_file_system.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "litebox/fs/devfs.hpp"
#include "litebox/platform/platform.hpp"
#include "litebox/sync/mutex.hpp"

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

// The bytes of the archive that the header scan reports read at a time.
constexpr uint64_t scan_report_step = uint64_t{1} << 20;
// The size of a tar header block.
constexpr uint64_t tar_block_size = 512;

}  // namespace

// The tree of a TarFileSystem. Every inode is one Node, found by its index,
// and every directory entry is one Entry. An image of tens of thousands of
// members is built on each run in the shared kernel heap, where each newly
// touched page costs a host page fault. So these records are small and live
// in a few large blocks instead of one allocation per member.
struct TarFileSystem::Tree {
  struct Node {
    FileType type = FileType::regular;
    uint32_t permissions = 0755;
    uint32_t uid = 0;
    uint32_t gid = 0;
    uint32_t link_count = 1;
    // Directories: the parent's index (the root is its own parent), and
    // the index of their entry list in `directories`.
    uint32_t parent = 0;
    uint32_t entries = 0;
    uint32_t link_target = 0;  // symlinks: an index into link_targets
    Timespec access_time;
    Timespec modify_time;
    Timespec change_time;
    // Regular files: the contents, in the archive or in the caller's memory.
    std::span<const std::byte> data;
    uint64_t rdev = 0;
  };

  struct Entry {
    std::string name;
    uint32_t node = 0;
  };

  // Deques, so nodes never move while the tree grows.
  std::deque<Node> nodes;
  // Each directory's entries, in archive order while building and sorted by
  // name once built.
  std::deque<std::vector<Entry>> directories;
  std::deque<std::string> link_targets;

  // The inode objects made so far, by node index. An inode stays until the
  // file system goes, so one member always has one inode object.
  sync::Mutex inodes_lock;
  std::unordered_map<uint32_t, std::shared_ptr<TarInode>> inodes;  // guarded by inodes_lock
};

class TarInode final : public Inode {
 public:
  using TarNode = TarFileSystem::Tree::Node;
  using TarEntry = TarFileSystem::Tree::Entry;

  TarInode(TarFileSystem& file_system, uint32_t node) : file_system_(file_system), node_(node) {}

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
  const TarNode& node() const { return file_system_.tree_->nodes[node_]; }
  std::span<const TarEntry> entries() const {
    return file_system_.tree_->directories[node().entries];
  }
  bool is_directory() const { return node().type == FileType::directory; }
  // The errno of a change: EROFS where Linux would reach the file system.
  Result<void> reject_change() const {
    return fail(is_directory() ? Errno::erofs : Errno::enotdir);
  }

  TarFileSystem& file_system_;
  uint32_t node_;
};

Result<Stat> TarInode::stat() {
  const TarNode& inode = node();
  Stat status;
  status.device = file_system_.device();
  status.inode = node_ + 1;
  // A symlink's permissions are always 0777 on Linux, whatever mode the
  // archive recorded for it.
  const uint32_t permissions = inode.type == FileType::symlink ? 0777 : inode.permissions;
  status.mode = mode_of(inode.type, permissions);
  status.link_count = inode.link_count;
  status.uid = inode.uid;
  status.gid = inode.gid;
  status.rdev = inode.rdev;
  // Sizes and blocks follow tmpfs, as if the archive had been extracted
  // there, although the data stays in the archive.
  status.block_size = tmpfs_accounting::page_size;
  if (inode.type == FileType::regular) {
    status.size = static_cast<int64_t>(inode.data.size());
    status.blocks = tmpfs_accounting::dense_file_blocks(status.size);
  } else if (inode.type == FileType::symlink) {
    const std::string& target = file_system_.tree_->link_targets[inode.link_target];
    status.size = static_cast<int64_t>(target.size());
    status.blocks = tmpfs_accounting::symlink_blocks(target.size());
  } else if (inode.type == FileType::directory) {
    status.size = tmpfs_accounting::directory_size(entries().size());
  }
  status.access_time = inode.access_time;
  status.modify_time = inode.modify_time;
  status.change_time = inode.change_time;
  return status;
}

Result<size_t> TarInode::read(uint64_t offset, std::span<std::byte> buffer) {
  const TarNode& inode = node();
  if (inode.type != FileType::regular) {
    return Inode::read(offset, buffer);
  }
  if (offset >= inode.data.size()) {
    return 0;
  }

  size_t count = std::min<uint64_t>(buffer.size(), inode.data.size() - offset);
  std::memcpy(buffer.data(), inode.data.data() + offset, count);
  platform::current().pages.note_file_read(inode.data.data() + offset, count);
  return count;
}

// The archive is read-only for the life of the file system, so a regular
// member's bytes never change.
std::optional<std::span<const std::byte>> TarInode::immutable_contents() {
  const TarNode& inode = node();
  if (inode.type != FileType::regular) {
    return std::nullopt;
  }
  return inode.data;
}

Result<size_t> TarInode::write(uint64_t, std::span<const std::byte>) {
  return fail(is_directory() ? Errno::eisdir : Errno::erofs);
}

Result<std::shared_ptr<Inode>> TarInode::lookup(std::string_view name) {
  if (!is_directory()) {
    return fail(Errno::enotdir);
  }
  if (name == "..") {
    return std::static_pointer_cast<Inode>(file_system_.inode_at(node().parent));
  }

  std::span<const TarEntry> children = entries();
  auto found = std::ranges::lower_bound(
      children, name, {}, [](const TarEntry& entry) { return std::string_view(entry.name); });
  if (found == children.end() || found->name != name) {
    return fail(Errno::enoent);
  }
  return std::static_pointer_cast<Inode>(file_system_.inode_at(found->node));
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

  // Positions 0 and 1 are "." and "..", and position k >= 2 is entry k - 2.
  const uint64_t number = node_ + 1;
  if (position == 0 && !emit(DirectoryEntry{".", number, FileType::directory}, 1)) {
    return {};
  }
  const uint64_t parent_number = node().parent + 1;
  if (position <= 1 && !emit(DirectoryEntry{"..", parent_number, FileType::directory}, 2)) {
    return {};
  }
  std::span<const TarEntry> children = entries();
  const std::deque<TarNode>& nodes = file_system_.tree_->nodes;
  for (uint64_t index = std::max<uint64_t>(position, 2) - 2; index < children.size(); ++index) {
    const TarEntry& entry = children[index];
    if (!emit(DirectoryEntry{entry.name, entry.node + 1, nodes[entry.node].type}, index + 3)) {
      break;
    }
  }
  return {};
}

Result<std::string> TarInode::read_link() {
  const TarNode& inode = node();
  if (inode.type != FileType::symlink) {
    return fail(Errno::einval);
  }
  return file_system_.tree_->link_targets[inode.link_target];
}

Result<std::shared_ptr<fd::File>> TarInode::open(uint32_t flags) {
  const FileType type = node().type;
  if (type == FileType::character_device) {
    return devfs::open_character_device(shared_from_this(), flags);
  }
  // Block devices have no drivers, and the Vfs opens fifos itself.
  if (type == FileType::block_device) {
    return fail(Errno::enxio);
  }
  return Inode::open(flags);
}

// Builds the tree of a TarFileSystem from parsed members, one member at a
// time in archive order. While building, each directory collects its
// entries in archive order, and finish() sorts them once. Most archives list
// a directory's members in name order, and such a directory is searched by
// bisection. The entries of the other directories are found through one
// open-addressing index over all of them.
class TarBuilder {
 public:
  using TarNode = TarFileSystem::Tree::Node;
  using TarEntry = TarFileSystem::Tree::Entry;

  TarBuilder(TarFileSystem& file_system, const tar::WarningSink& warn)
      : file_system_(file_system), tree_(*file_system.tree_), warn_(warn) {}

  void add_root();
  void add(const tar::Member& member);
  // Sorts every directory's entries by name, counts directory links and
  // frees the name index.
  void finish();

 private:
  // One slot of the name index: entry `position` of the entries of node
  // `directory`, or empty when `directory` is `empty_slot`.
  struct IndexSlot {
    uint32_t directory = empty_slot;
    uint32_t position = 0;
  };
  static constexpr uint32_t empty_slot = std::numeric_limits<uint32_t>::max();

  // Appends a node, or returns nullopt (with a warning) when the tree
  // already has the most nodes an index can name.
  std::optional<uint32_t> new_node(const tar::Member& member, FileType type);
  void set_attributes(TarNode& node, const tar::Member& member);
  void warning(const tar::Member& member, std::string_view what);
  // Returns the directory that will hold `path`'s last component, creating
  // the implied directories, or nullopt (with a warning) when a component is
  // not a directory.
  std::optional<uint32_t> parent_directory(const tar::Member& member, std::string_view path);
  // Returns the node at `path`.
  std::optional<uint32_t> find(std::string_view path);
  // Returns the child `name` of `directory`.
  std::optional<uint32_t> find_child(uint32_t directory, std::string_view name);
  // Returns the position of `name` among the entries of `directory`.
  std::optional<uint32_t> position_of(uint32_t directory, std::string_view name);
  // Puts `node` at `name` in `directory`, replacing what was there.
  void place(uint32_t directory, std::string_view name, uint32_t node);

  std::vector<TarEntry>& entries_of(uint32_t directory) {
    return tree_.directories[tree_.nodes[directory].entries];
  }
  // Returns the slot of (`directory`, `name`): the one holding it, else the
  // empty slot where it belongs.
  IndexSlot& index_slot(uint32_t directory, std::string_view name);
  // Adds entry `position` of `directory` to the name index.
  void index_entry(uint32_t directory, uint32_t position);
  // Doubles the index when one more entry would make it more than half full.
  void grow_index();

  TarFileSystem& file_system_;
  TarFileSystem::Tree& tree_;
  const tar::WarningSink& warn_;
  std::vector<IndexSlot> index_;
  size_t index_used_ = 0;
  // For each entry list in tree_.directories: 1 while its names have come
  // in increasing order, so that bisection finds them, and 0 once they are
  // in the name index instead.
  std::vector<uint8_t> in_name_order_;
  // The parent directory of the previous member and its path. Archives
  // usually list a directory's members together, so most members reuse it
  // instead of walking their path. Reset when a directory is replaced.
  std::string cached_parent_path_;
  std::optional<uint32_t> cached_parent_;
};

std::optional<uint32_t> TarBuilder::new_node(const tar::Member& member, FileType type) {
  if (tree_.nodes.size() >= empty_slot) {
    warning(member, "the archive has too many members; skipped");
    return std::nullopt;
  }

  const auto index = static_cast<uint32_t>(tree_.nodes.size());
  TarNode& node = tree_.nodes.emplace_back();
  node.type = type;
  if (type == FileType::directory) {
    node.entries = static_cast<uint32_t>(tree_.directories.size());
    tree_.directories.emplace_back();
    in_name_order_.push_back(1);
  }
  ++file_system_.inode_count_;
  return index;
}

void TarBuilder::set_attributes(TarNode& node, const tar::Member& member) {
  node.permissions = member.permissions;
  node.uid = member.uid;
  node.gid = member.gid;
  node.access_time = member.access_time;
  node.modify_time = member.modify_time;
  node.change_time = member.change_time;
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
  TarNode& root = tree_.nodes.emplace_back();
  root.type = FileType::directory;
  root.parent = 0;
  root.entries = 0;
  tree_.directories.emplace_back();
  in_name_order_.push_back(1);
  ++file_system_.inode_count_;
}

TarBuilder::IndexSlot& TarBuilder::index_slot(uint32_t directory, std::string_view name) {
  const size_t hash =
      std::hash<std::string_view>{}(name) ^ (size_t{directory} * 0x9e3779b97f4a7c15);
  const size_t mask = index_.size() - 1;
  for (size_t position = hash & mask;; position = (position + 1) & mask) {
    IndexSlot& slot = index_[position];
    if (slot.directory == empty_slot ||
        (slot.directory == directory && entries_of(directory)[slot.position].name == name)) {
      return slot;
    }
  }
}

void TarBuilder::grow_index() {
  constexpr size_t initial_slots = 1024;
  if ((index_used_ + 1) * 2 <= index_.size()) {
    return;
  }

  std::vector<IndexSlot> old =
      std::exchange(index_, std::vector<IndexSlot>(std::max(initial_slots, index_.size() * 2)));
  for (const IndexSlot& slot : old) {
    if (slot.directory != empty_slot) {
      const std::string& name = entries_of(slot.directory)[slot.position].name;
      index_slot(slot.directory, name) = slot;
    }
  }
}

void TarBuilder::index_entry(uint32_t directory, uint32_t position) {
  grow_index();
  index_slot(directory, entries_of(directory)[position].name) = IndexSlot{directory, position};
  ++index_used_;
}

std::optional<uint32_t> TarBuilder::position_of(uint32_t directory, std::string_view name) {
  const std::vector<TarEntry>& entries = entries_of(directory);
  if (in_name_order_[tree_.nodes[directory].entries] != 0) {
    // A name after the last one, the usual case, is new.
    if (entries.empty() || entries.back().name < name) {
      return std::nullopt;
    }
    auto found = std::ranges::lower_bound(
        entries, name, {}, [](const TarEntry& entry) { return std::string_view(entry.name); });
    if (found == entries.end() || found->name != name) {
      return std::nullopt;
    }
    return static_cast<uint32_t>(found - entries.begin());
  }

  const IndexSlot& slot = index_slot(directory, name);
  if (slot.directory == empty_slot) {
    return std::nullopt;
  }
  return slot.position;
}

std::optional<uint32_t> TarBuilder::find_child(uint32_t directory, std::string_view name) {
  std::optional<uint32_t> position = position_of(directory, name);
  if (!position) {
    return std::nullopt;
  }
  return entries_of(directory)[*position].node;
}

std::optional<uint32_t> TarBuilder::parent_directory(const tar::Member& member,
                                                     std::string_view path) {
  uint32_t directory = 0;
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    return directory;
  }

  std::string_view rest = path.substr(0, slash);
  if (cached_parent_ && rest == cached_parent_path_) {
    return cached_parent_;
  }
  const std::string_view parent_path = rest;
  while (!rest.empty()) {
    size_t next = rest.find('/');
    std::string_view component = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);

    std::optional<uint32_t> child = find_child(directory, component);
    if (!child) {
      // An implied directory: mode 0755, owner root, mtime 0.
      child = new_node(member, FileType::directory);
      if (!child) {
        return std::nullopt;
      }
      tree_.nodes[*child].parent = directory;
      place(directory, component, *child);
    } else if (tree_.nodes[*child].type != FileType::directory) {
      warning(member, "\"" + std::string(component) + "\" on its path is not a directory; skipped");
      return std::nullopt;
    }
    directory = *child;
  }

  cached_parent_path_ = parent_path;
  cached_parent_ = directory;
  return directory;
}

std::optional<uint32_t> TarBuilder::find(std::string_view path) {
  uint32_t node = 0;
  while (!path.empty()) {
    if (tree_.nodes[node].type != FileType::directory) {
      return std::nullopt;
    }
    size_t slash = path.find('/');
    std::string_view component = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    std::optional<uint32_t> child = find_child(node, component);
    if (!child) {
      return std::nullopt;
    }
    node = *child;
  }
  return node;
}

void TarBuilder::place(uint32_t directory, std::string_view name, uint32_t node) {
  std::vector<TarEntry>& entries = entries_of(directory);
  if (std::optional<uint32_t> position = position_of(directory, name)) {
    TarEntry& entry = entries[*position];
    TarNode& replaced = tree_.nodes[entry.node];
    if (replaced.type == FileType::directory) {
      // Only an empty directory is ever replaced, but it may be the cached
      // parent, which leaves the tree here.
      cached_parent_.reset();
    } else {
      --replaced.link_count;
    }
    entry.node = node;
    return;
  }

  const auto position = static_cast<uint32_t>(entries.size());
  const bool keeps_order = entries.empty() || entries.back().name < name;
  entries.push_back(TarEntry{std::string(name), node});
  uint8_t& in_name_order = in_name_order_[tree_.nodes[directory].entries];
  if (in_name_order != 0 && keeps_order) {
    return;
  }
  if (in_name_order != 0) {
    // This is the first name out of order, so from now on the index finds
    // this directory's entries.
    in_name_order = 0;
    for (uint32_t earlier = 0; earlier < position; ++earlier) {
      index_entry(directory, earlier);
    }
  }
  index_entry(directory, position);
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
  std::optional<uint32_t> parent;
  std::optional<uint32_t> existing = 0;
  std::string_view name = std::string_view(member.path).substr(member.path.rfind('/') + 1);
  if (!member.path.empty()) {
    parent = parent_directory(member, member.path);
    if (!parent) {
      return;
    }
    existing = find_child(*parent, name);
  }
  const bool existing_is_directory = existing && tree_.nodes[*existing].type == FileType::directory;

  if (member.type == tar::MemberType::hard_link) {
    std::optional<uint32_t> target = find(member.link_target);
    if (!target) {
      warning(member,
              "hard link target \"" + member.link_target + "\" is not an earlier member; skipped");
      return;
    }
    if (tree_.nodes[*target].type == FileType::directory) {
      warning(member, "hard link target \"" + member.link_target + "\" is a directory; skipped");
      return;
    }
    if (target == existing) {
      if (member.link_target == member.path) {
        warning(member, "hard link to itself; skipped");
      }
      return;
    }
    if (existing_is_directory) {
      warning(member, "a hard link cannot replace a directory; skipped");
      return;
    }
    ++tree_.nodes[*target].link_count;
    place(*parent, name, *target);
    return;
  }

  if (existing_is_directory) {
    if (type == FileType::directory) {
      // A repeated directory keeps its children and takes the new attributes.
      set_attributes(tree_.nodes[*existing], member);
      return;
    }
    if (!entries_of(*existing).empty()) {
      warning(member, "would replace a non-empty directory; skipped");
      return;
    }
  }

  std::optional<uint32_t> index = new_node(member, type);
  if (!index) {
    return;
  }
  TarNode& node = tree_.nodes[*index];
  set_attributes(node, member);
  node.parent = *parent;
  switch (type) {
    case FileType::regular:
      node.data = member.data;
      file_system_.data_bytes_ += member.data.size();
      break;
    case FileType::symlink:
      node.link_target = static_cast<uint32_t>(tree_.link_targets.size());
      tree_.link_targets.push_back(member.link_target);
      break;
    case FileType::character_device:
    case FileType::block_device:
      node.rdev = make_device_number(member.device_major, member.device_minor);
      break;
    case FileType::directory:
    case FileType::fifo:
    case FileType::socket:
      break;
  }
  place(*parent, name, *index);
}

void TarBuilder::finish() {
  std::vector<IndexSlot>().swap(index_);
  index_used_ = 0;
  std::vector<uint8_t>().swap(in_name_order_);
  cached_parent_.reset();

  const auto by_name = [](const TarEntry& left, const TarEntry& right) {
    return left.name < right.name;
  };
  // Directories replaced by a later member are unreachable but still
  // visited, which is cheap because they are empty.
  for (TarNode& directory : tree_.nodes) {
    if (directory.type != FileType::directory) {
      continue;
    }
    std::vector<TarEntry>& entries = tree_.directories[directory.entries];
    // Archives usually list a directory's members in name order already.
    if (!std::ranges::is_sorted(entries, by_name)) {
      std::ranges::sort(entries, by_name);
    }
    directory.link_count = 2;
    for (const TarEntry& entry : entries) {
      if (tree_.nodes[entry.node].type == FileType::directory) {
        ++directory.link_count;
      }
    }
  }
}

TarFileSystem::TarFileSystem()
    : device_(allocate_device_number()), tree_(std::make_unique<Tree>()) {}

TarFileSystem::~TarFileSystem() = default;

std::shared_ptr<TarInode> TarFileSystem::inode_at(uint32_t index) {
  sync::LockGuard guard(tree_->inodes_lock);
  std::shared_ptr<TarInode>& inode = tree_->inodes[index];
  if (inode == nullptr) {
    inode = std::make_shared<TarInode>(*this, index);
  }
  return inode;
}

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
  // The scan reads every header, which maps the whole archive when its
  // members are small. Reporting the scanned bytes in steps lets the
  // platform unmap them during the scan (Pages::note_file_read).
  uint64_t reported = 0;
  auto report_scanned = [&](uint64_t end) {
    platform::current().pages.note_file_read(archive.data() + reported, end - reported);
    reported = end;
  };
  // Each member goes into the tree as soon as it is parsed, so no list of
  // all members is ever held.
  auto parsed = tar::for_each_member(archive, log_warning, [&](tar::Member& member) {
    const uint64_t header_end =
        std::min<uint64_t>(member.header_offset + tar_block_size, archive.size());
    builder.add(member);
    if (header_end >= reported + scan_report_step) {
      report_scanned(header_end);
    }
  });
  if (!parsed) {
    return std::unexpected(std::move(parsed.error()));
  }
  if (reported < archive.size()) {
    report_scanned(archive.size());
  }
  builder.finish();
  file_system->root_ = file_system->inode_at(0);
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
  file_system->root_ = file_system->inode_at(0);
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
