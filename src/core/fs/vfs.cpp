// Vfs: mounts, resolution entry points, and the calls that read or change
// the attributes of one resolved inode.
#include "litebox/fs/vfs.hpp"

#include <algorithm>

#include "path_walk.hpp"

namespace litebox::fs {

namespace {

constexpr uint32_t root_uid = 0;

bool is_regular(const Stat& status) { return file_type_of(status.mode) == FileType::regular; }

Result<std::string> name_in_directory(Inode& directory, const Stat& child) {
  std::string found;
  TRY_VOID(directory.read_directory(0, [&](const DirectoryEntry& entry, uint64_t) {
    if (entry.inode == child.inode && entry.name != "." && entry.name != "..") {
      found = entry.name;
      return false;
    }
    return true;
  }));
  if (found.empty()) {
    return fail(Errno::enoent);
  }
  return found;
}

}  // namespace

bool same_inode(Inode& a, Inode& b) {
  if (&a == &b) {
    return true;
  }
  auto a_status = a.stat();
  auto b_status = b.stat();
  return a_status && b_status && a_status->device == b_status->device &&
         a_status->inode == b_status->inode;
}

bool same_location(const Location& a, const Location& b) {
  return a.mount == b.mount && a.inode && b.inode && same_inode(*a.inode, *b.inode);
}

Mount::Mount(std::shared_ptr<FileSystem> file_system, Location mount_point)
    : file_system_(std::move(file_system)),
      root_(file_system_->root()),
      mount_point_(std::move(mount_point)) {}

Vfs::Vfs(std::shared_ptr<FileSystem> root_file_system)
    : root_mount_(std::make_shared<Mount>(std::move(root_file_system), Location{})) {
  mounts_.push_back(MountEntry{.mount = root_mount_});
}

Location Vfs::root() const { return Location{root_mount_, root_mount_->root()}; }

std::vector<std::shared_ptr<Mount>> Vfs::mounts() {
  sync::LockGuard guard(mount_lock_);
  std::vector<std::shared_ptr<Mount>> result;
  result.reserve(mounts_.size());
  for (const MountEntry& entry : mounts_) {
    result.push_back(entry.mount);
  }
  return result;
}

std::shared_ptr<Mount> Vfs::mount_at(const Location& location) {
  if (!may_have_mounts_below(location.mount)) {
    return nullptr;
  }
  auto status = location.inode->stat();
  if (!status) {
    return nullptr;
  }
  return mount_at(location.mount, *status);
}

std::shared_ptr<Mount> Vfs::mount_at(const std::shared_ptr<Mount>& mount, const Stat& status) {
  sync::LockGuard guard(mount_lock_);
  for (const MountEntry& entry : mounts_) {
    if (entry.mount->parent() == mount && entry.covered_device == status.device &&
        entry.covered_inode == status.inode) {
      return entry.mount;
    }
  }
  return nullptr;
}

bool Vfs::may_have_mounts_below(const std::shared_ptr<Mount>& mount) {
  return mount->mounts_below_.load(std::memory_order_acquire) != 0;
}

Result<void> Vfs::mount(const PathContext& context, std::string_view path,
                        std::shared_ptr<FileSystem> file_system) {
  TRY_VOID(validate_path(path));

  PathWalker walker(*this, context);
  Location mount_point = TRY(walker.resolve(context.working_directory, path, true));

  Stat status = TRY(mount_point.inode->stat());
  if (!is_directory(status)) {
    return fail(Errno::enotdir);
  }

  auto mount = std::make_shared<Mount>(std::move(file_system), std::move(mount_point));

  sync::LockGuard guard(mount_lock_);
  for (const MountEntry& entry : mounts_) {
    // Resolution entered any mount already on this directory, so a match
    // here is a concurrent mount that got there first.
    if (entry.mount->parent() == mount->parent() && entry.covered_device == status.device &&
        entry.covered_inode == status.inode) {
      return fail(Errno::ebusy);
    }
  }
  mount->parent()->mounts_below_.fetch_add(1, std::memory_order_release);
  mounts_.push_back(MountEntry{
      .mount = std::move(mount), .covered_device = status.device, .covered_inode = status.inode});
  return {};
}

Result<void> Vfs::unmount(const PathContext& context, std::string_view path) {
  TRY_VOID(validate_path(path));

  PathWalker walker(*this, context);
  Location location = TRY(walker.resolve(context.working_directory, path, true));
  // A magic link may lead outside every mount, to a pipe or a socket.
  if (!location.mount || !location.mount->parent() ||
      !same_inode(*location.inode, *location.mount->root())) {
    return fail(Errno::einval);
  }

  sync::LockGuard guard(mount_lock_);
  bool has_child = std::ranges::any_of(
      mounts_, [&](const MountEntry& entry) { return entry.mount->parent() == location.mount; });
  if (has_child) {
    return fail(Errno::ebusy);
  }
  if (std::erase_if(mounts_,
                    [&](const MountEntry& entry) { return entry.mount == location.mount; }) != 0) {
    location.mount->parent()->mounts_below_.fetch_sub(1, std::memory_order_release);
  }
  return {};
}

Result<Location> Vfs::resolve(const PathContext& context, const Location& start,
                              std::string_view path, uint32_t flags) {
  if (path.empty() && (flags & at_empty_path)) {
    return start;
  }
  TRY_VOID(validate_path(path));

  PathWalker walker(*this, context);
  return walker.resolve(start, path, !(flags & at_symlink_nofollow));
}

Result<std::string> Vfs::read_link(const PathContext& context, const Location& start,
                                   std::string_view path) {
  // An empty path names `start` itself, typically a symlink opened with
  // O_PATH | O_NOFOLLOW; anything but a symlink is then `enoent`.
  if (path.empty()) {
    Stat status = TRY(start.inode->stat());
    if (!is_symlink(status)) {
      return fail(Errno::enoent);
    }
    return start.inode->read_link();
  }

  Location location = TRY(resolve(context, start, path, at_symlink_nofollow));
  return location.inode->read_link();
}

Result<Stat> Vfs::stat(const PathContext& context, const Location& start, std::string_view path,
                       uint32_t flags) {
  // AT_STATX_FORCE_SYNC and AT_STATX_DONT_SYNC matter only for network
  // file systems, but statx(2) and fstatat(2) accept them.
  constexpr uint32_t at_statx_sync_type = 0x6000;
  if (flags & ~(at_symlink_nofollow | at_no_automount | at_empty_path | at_statx_sync_type)) {
    return fail(Errno::einval);
  }

  if (path.empty() && (flags & at_empty_path)) {
    return start.inode->stat();
  }
  TRY_VOID(validate_path(path));

  PathWalker walker(*this, context);
  Location location = TRY(walker.resolve(start, path, !(flags & at_symlink_nofollow)));
  return walker.status_of(location);
}

Result<void> Vfs::access(const PathContext& context, const Location& start, std::string_view path,
                         uint32_t mode, uint32_t flags) {
  constexpr uint32_t at_effective_access = 0x200;
  if (mode & ~(access_read | access_write | access_execute)) {
    return fail(Errno::einval);
  }
  if (flags & ~(at_symlink_nofollow | at_empty_path | at_effective_access)) {
    return fail(Errno::einval);
  }

  Location location = TRY(resolve(context, start, path, flags));
  if (mode == 0) {
    return {};
  }
  return check_access(context, *location.inode, mode);
}

namespace {

// The inotify event of an attribute change, as Linux derives it: a size
// change or a new modification time alone is IN_MODIFY, a new access time
// alone IN_ACCESS, and the mode, the owner or both times IN_ATTRIB.
uint32_t attribute_event(const AttributeChange& change) {
  uint32_t mask = 0;
  if (change.uid || change.gid || change.permissions ||
      (change.access_time && change.modify_time)) {
    mask |= in_attrib;
  } else if (change.access_time) {
    mask |= in_access;
  } else if (change.modify_time) {
    mask |= in_modify;
  }
  if (change.size) {
    mask |= in_modify;
  }
  return mask;
}

}  // namespace

Result<void> Vfs::change_attributes(const PathContext& context, const Location& start,
                                    std::string_view path, uint32_t flags,
                                    const AttributeChange& change) {
  if (flags & ~(at_symlink_nofollow | at_empty_path)) {
    return fail(Errno::einval);
  }

  Location location;
  FinalEntry entry;
  if (path.empty() && (flags & at_empty_path)) {
    location = start;
  } else {
    TRY_VOID(validate_path(path));
    PathWalker walker(*this, context);
    location = TRY(walker.resolve(start, path, !(flags & at_symlink_nofollow)));
    entry = walker.final_entry();
  }
  Inode& inode = *location.inode;
  Stat status = TRY(inode.stat());
  if (inode.file_system().read_only()) {
    return fail(Errno::erofs);
  }

  const Credentials& credentials = context.credentials;
  bool is_root = credentials.uid == root_uid;
  bool is_owner = credentials.uid == status.uid;
  AttributeChange adjusted = change;

  if (change.size) {
    if (is_directory(status)) {
      return fail(Errno::eisdir);
    }
    if (!is_regular(status) || *change.size < 0) {
      return fail(Errno::einval);
    }
    TRY_VOID(check_access(context, inode, access_write));
  }

  if (change.permissions) {
    // Linux keeps a symlink's mode at 0777; fchmodat2 with
    // AT_SYMLINK_NOFOLLOW rejects the change.
    if (is_symlink(status)) {
      return fail(Errno::eopnotsupp);
    }
    if (!is_root && !is_owner) {
      return fail(Errno::eperm);
    }
    uint32_t permissions = *change.permissions & mode_permission_mask;
    // A caller outside the file's group cannot set the set-group-ID bit.
    if (!is_root && !credentials.in_group(change.gid.value_or(status.gid))) {
      permissions &= ~mode_set_gid;
    }
    adjusted.permissions = permissions;
  }

  if (change.uid || change.gid) {
    if (!is_root) {
      if (change.uid && !(is_owner && *change.uid == status.uid)) {
        return fail(Errno::eperm);
      }
      if (change.gid &&
          !(is_owner && (credentials.in_group(*change.gid) || *change.gid == status.gid))) {
        return fail(Errno::eperm);
      }
    }
    // chown clears set-user-ID, and set-group-ID when group execute is set,
    // on everything but directories.
    if (!is_directory(status)) {
      uint32_t permissions = adjusted.permissions.value_or(status.mode & mode_permission_mask);
      uint32_t cleared = mode_set_uid;
      if (permissions & 0010) {
        cleared |= mode_set_gid;
      }
      if (permissions & cleared) {
        adjusted.permissions = permissions & ~cleared;
      }
    }
  }

  if (change.access_time || change.modify_time) {
    if (change.times_are_now) {
      if (!is_root && !is_owner) {
        TRY_VOID(check_access(context, inode, access_write));
      }
    } else if (!is_root && !is_owner) {
      return fail(Errno::eperm);
    }
  }

  TRY_VOID(inode.change_attributes(adjusted));

  // TODO: a change through a descriptor (fchmod, fchown, futimens) reaches
  // only the watches of the file, not those of its directory.
  const bool named = entry.directory.inode != nullptr && !entry.name.empty();
  notify_file(named ? &entry.directory : nullptr, entry.name, inode, attribute_event(change));
  return {};
}

void Vfs::notify_entry(Inode& directory, std::string_view name, uint32_t mask, bool is_directory,
                       uint32_t cookie) {
  if (!watches_->active()) {
    return;
  }
  auto status = directory.stat();
  if (status) {
    watches_->notify_directory(inode_id_of(*status), name, mask, is_directory, cookie);
  }
}

void Vfs::notify_file(const Location* directory, std::string_view name, Inode& subject,
                      uint32_t mask) {
  watches_->notify_about(directory != nullptr ? directory->inode.get() : nullptr, name, subject,
                         mask);
}

Result<std::string> Vfs::path_of(const PathContext& context, const Location& location) {
  // No path reaches an inode outside every mount, such as a pipe that a
  // magic link led to.
  if (!location.mount) {
    return fail(Errno::enoent);
  }

  Stat status = TRY(location.inode->stat());
  if (status.link_count == 0) {
    return fail(Errno::enoent);
  }

  std::string path;
  Location current = location;
  while (!same_location(current, context.root)) {
    const std::shared_ptr<Mount>& mount = current.mount;
    bool at_mount_root = same_inode(*current.inode, *mount->root());
    if (at_mount_root && mount->parent()) {
      current = mount->mount_point();
      continue;
    }
    if (at_mount_root) {
      // The location lies outside the process root, as getcwd(2) marks it.
      return "(unreachable)" + (path.empty() ? std::string("/") : path);
    }

    Stat current_status = TRY(current.inode->stat());
    std::shared_ptr<Inode> parent = TRY(current.inode->lookup(".."));
    std::string name = TRY(name_in_directory(*parent, current_status));
    path = "/" + name + path;
    current = Location{current.mount, std::move(parent)};
  }
  return path.empty() ? std::string("/") : path;
}

}  // namespace litebox::fs
