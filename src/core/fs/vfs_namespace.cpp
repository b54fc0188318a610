// Vfs calls that add, remove or move directory entries: mkdir, mknod,
// symlink, link, unlink, rmdir and rename.
#include "litebox/fs/vfs.hpp"
#include "path_walk.hpp"

namespace litebox::fs {

namespace {

constexpr uint32_t root_uid = 0;
constexpr uint32_t rename_whiteout = 4;

// Resolves the parent of an entry that a call is about to create: `eexist`
// when the last component is ".", ".." or the root, or the name is taken.
Result<ParentPath> walk_to_new_entry(PathWalker& walker, const Location& start,
                                     std::string_view path) {
  ParentPath parent_path = TRY(walker.walk_to_parent(start, path));
  if (parent_path.kind != LastComponent::normal) {
    return fail(Errno::eexist);
  }

  auto existing = walker.lookup_entry(parent_path.parent, parent_path.name);
  if (existing) {
    return fail(Errno::eexist);
  }
  if (existing.error() != Errno::enoent) {
    return fail(existing.error());
  }
  return parent_path;
}

// The same for entries that are not directories: a trailing slash on a name
// that does not exist is `enoent`, since only a directory can end in '/'.
Result<ParentPath> walk_to_new_non_directory(PathWalker& walker, const Location& start,
                                             std::string_view path) {
  ParentPath parent_path = TRY(walk_to_new_entry(walker, start, path));
  if (parent_path.trailing_slash) {
    return fail(Errno::enoent);
  }
  return parent_path;
}

// Is `ancestor` the directory `location` or one above it in the same file
// system?
Result<bool> is_ancestor_or_same(Inode& ancestor, const Location& location) {
  std::shared_ptr<Inode> current = location.inode;
  while (true) {
    if (same_inode(ancestor, *current)) {
      return true;
    }
    std::shared_ptr<Inode> parent = TRY(current->lookup(".."));
    if (same_inode(*parent, *current)) {
      return false;
    }
    current = std::move(parent);
  }
}

}  // namespace

Result<void> Vfs::make_directory(const PathContext& context, const Location& start,
                                 std::string_view path, uint32_t mode) {
  TRY_VOID(validate_path(path));

  PathWalker walker(*this, context);
  ParentPath parent_path = TRY(walk_to_new_entry(walker, start, path));
  Inode& directory = *parent_path.parent.inode;

  TRY_VOID(check_may_create(context, directory));

  NewOwner owner = TRY(owner_for_new_inode(context, directory, true));
  uint32_t permissions = (mode & (0777 | mode_sticky) & ~context.umask) | owner.extra_mode_bits;
  TRY(directory.make_directory(parent_path.name, permissions, owner.uid, owner.gid));
  notify_entry(directory, parent_path.name, in_create, true);
  return {};
}

Result<void> Vfs::make_node(const PathContext& context, const Location& start,
                            std::string_view path, uint32_t mode, uint64_t rdev) {
  FileType type = file_type_of(mode);
  if ((mode & mode_type_mask) == 0) {
    type = FileType::regular;
  }
  switch (type) {
    case FileType::regular:
    case FileType::character_device:
    case FileType::block_device:
    case FileType::fifo:
    case FileType::socket:
      break;
    case FileType::directory:
      return fail(Errno::eperm);
    default:
      return fail(Errno::einval);
  }
  TRY_VOID(validate_path(path));

  PathWalker walker(*this, context);
  ParentPath parent_path = TRY(walk_to_new_non_directory(walker, start, path));
  Inode& directory = *parent_path.parent.inode;

  TRY_VOID(check_may_create(context, directory));
  bool is_device = type == FileType::character_device || type == FileType::block_device;
  if (is_device && context.credentials.uid != root_uid) {
    return fail(Errno::eperm);
  }

  NewOwner owner = TRY(owner_for_new_inode(context, directory, false));
  uint32_t permissions = mode & mode_permission_mask & ~context.umask;
  TRY(directory.create(parent_path.name, type, permissions, owner.uid, owner.gid,
                       is_device ? rdev : 0));
  notify_entry(directory, parent_path.name, in_create, false);
  return {};
}

Result<void> Vfs::make_symlink(const PathContext& context, std::string_view target,
                               const Location& start, std::string_view path) {
  TRY_VOID(validate_path(target));
  TRY_VOID(validate_path(path));

  PathWalker walker(*this, context);
  ParentPath parent_path = TRY(walk_to_new_non_directory(walker, start, path));
  Inode& directory = *parent_path.parent.inode;

  TRY_VOID(check_may_create(context, directory));

  NewOwner owner = TRY(owner_for_new_inode(context, directory, false));
  TRY(directory.make_symlink(parent_path.name, target, owner.uid, owner.gid));
  notify_entry(directory, parent_path.name, in_create, false);
  return {};
}

Result<void> Vfs::link(const PathContext& context, const Location& old_start,
                       std::string_view old_path, const Location& new_start,
                       std::string_view new_path, uint32_t flags) {
  if (flags & ~(at_symlink_follow | at_empty_path)) {
    return fail(Errno::einval);
  }

  uint32_t resolve_flags = (flags & at_symlink_follow) ? 0u : uint32_t{at_symlink_nofollow};
  resolve_flags |= flags & at_empty_path;
  Location source = TRY(resolve(context, old_start, old_path, resolve_flags));

  TRY_VOID(validate_path(new_path));
  PathWalker walker(*this, context);
  ParentPath parent_path = TRY(walk_to_new_non_directory(walker, new_start, new_path));
  Inode& directory = *parent_path.parent.inode;

  if (source.mount != parent_path.parent.mount) {
    return fail(Errno::exdev);
  }

  // With fs.protected_hardlinks (on by default in distributions), only the
  // owner, root, or a caller who may read and write a plain regular file
  // can link it.
  Stat status = TRY(source.inode->stat());
  const Credentials& credentials = context.credentials;
  if (credentials.uid != root_uid && credentials.uid != status.uid) {
    bool set_id =
        (status.mode & mode_set_uid) || ((status.mode & mode_set_gid) && (status.mode & 0010));
    bool allowed = file_type_of(status.mode) == FileType::regular && !set_id &&
                   Vfs::check_permission(credentials, status, access_read | access_write);
    if (!allowed) {
      return fail(Errno::eperm);
    }
  }

  TRY_VOID(check_may_create(context, directory));
  if (&source.inode->file_system() != &directory.file_system()) {
    return fail(Errno::exdev);
  }
  if (is_directory(status)) {
    return fail(Errno::eperm);
  }
  // An inode whose last name is gone cannot get a new one.
  if (status.link_count == 0) {
    return fail(Errno::enoent);
  }

  TRY_VOID(directory.link(parent_path.name, source.inode));

  // The link count is an attribute of the inode, so its own watches hear
  // of it first.
  notify_file(nullptr, {}, *source.inode, in_attrib);
  notify_entry(directory, parent_path.name, in_create, false);
  return {};
}

Result<void> Vfs::unlink(const PathContext& context, const Location& start, std::string_view path,
                         uint32_t flags) {
  if (flags & ~at_remove_directory) {
    return fail(Errno::einval);
  }
  TRY_VOID(validate_path(path));
  bool remove_directory = flags & at_remove_directory;

  PathWalker walker(*this, context);
  ParentPath parent_path = TRY(walker.walk_to_parent(start, path));
  switch (parent_path.kind) {
    case LastComponent::normal:
      break;
    case LastComponent::dot:
      return fail(remove_directory ? Errno::einval : Errno::eisdir);
    case LastComponent::dot_dot:
      return fail(remove_directory ? Errno::enotempty : Errno::eisdir);
    case LastComponent::root:
      return fail(remove_directory ? Errno::ebusy : Errno::eisdir);
  }

  Location victim = TRY(walker.lookup_entry(parent_path.parent, parent_path.name));
  Inode& directory = *parent_path.parent.inode;

  if (!remove_directory && parent_path.trailing_slash) {
    Stat status = TRY(victim.inode->stat());
    return fail(is_directory(status) ? Errno::eisdir : Errno::enotdir);
  }

  TRY_VOID(check_may_delete(context, directory, *victim.inode, remove_directory));
  if (mount_at(victim)) {
    return fail(Errno::ebusy);
  }

  std::optional<InodeId> victim_id;
  if (watches_->active()) {
    if (auto status = victim.inode->stat()) {
      victim_id = inode_id_of(*status);
    }
  }

  if (remove_directory) {
    TRY_VOID(directory.remove_directory(parent_path.name));
    if (victim_id) {
      watches_->notify_deleted(*victim_id);
    }
    notify_entry(directory, parent_path.name, in_delete, true);
    return {};
  }

  TRY_VOID(directory.unlink(parent_path.name));
  notify_file(nullptr, {}, *victim.inode, in_attrib);
  // TODO: Linux reports IN_DELETE_SELF when the last open description of
  // an unlinked file closes; this reports it when the last name goes.
  auto remaining = victim.inode->stat();
  if (victim_id && remaining && remaining->link_count == 0) {
    watches_->notify_deleted(*victim_id);
  }
  notify_entry(directory, parent_path.name, in_delete, false);
  return {};
}

Result<void> Vfs::rename(const PathContext& context, const Location& old_start,
                         std::string_view old_path, const Location& new_start,
                         std::string_view new_path, uint32_t rename_flags) {
  if (rename_flags & ~(rename_noreplace | rename_exchange | rename_whiteout)) {
    return fail(Errno::einval);
  }
  if ((rename_flags & (rename_noreplace | rename_whiteout)) && (rename_flags & rename_exchange)) {
    return fail(Errno::einval);
  }
  if (rename_flags & rename_whiteout) {
    // TODO: RENAME_WHITEOUT (for overlay file systems) is not supported.
    return fail(Errno::einval);
  }
  TRY_VOID(validate_path(old_path));
  TRY_VOID(validate_path(new_path));
  bool exchange = rename_flags & rename_exchange;

  PathWalker walker(*this, context);
  ParentPath old_parent = TRY(walker.walk_to_parent(old_start, old_path));
  ParentPath new_parent = TRY(walker.walk_to_parent(new_start, new_path));

  if (old_parent.parent.mount != new_parent.parent.mount) {
    return fail(Errno::exdev);
  }
  if (old_parent.kind != LastComponent::normal) {
    return fail(Errno::ebusy);
  }
  if (new_parent.kind != LastComponent::normal) {
    return fail((rename_flags & rename_noreplace) ? Errno::eexist : Errno::ebusy);
  }

  // One rename at a time, so the ancestor checks below stay true until the
  // move is done.
  sync::LockGuard guard(rename_lock_);

  Location source = TRY(walker.lookup_entry(old_parent.parent, old_parent.name));
  auto replaced = walker.lookup_entry(new_parent.parent, new_parent.name);
  if (!replaced && replaced.error() != Errno::enoent) {
    return fail(replaced.error());
  }
  bool target_exists = replaced.has_value();

  if ((rename_flags & rename_noreplace) && target_exists) {
    return fail(Errno::eexist);
  }

  Stat source_status = TRY(source.inode->stat());
  bool source_is_directory = is_directory(source_status);
  bool target_is_directory = false;
  if (target_exists) {
    Stat target_status = TRY(replaced->inode->stat());
    target_is_directory = is_directory(target_status);
  }

  if (exchange) {
    if (!target_exists) {
      return fail(Errno::enoent);
    }
    if (!target_is_directory && new_parent.trailing_slash) {
      return fail(Errno::enotdir);
    }
  }
  // Unless the source is a directory, a trailing slash is `enotdir`.
  if (!source_is_directory) {
    if (old_parent.trailing_slash || (!exchange && new_parent.trailing_slash)) {
      return fail(Errno::enotdir);
    }
  }

  Inode& old_directory = *old_parent.parent.inode;
  Inode& new_directory = *new_parent.parent.inode;
  bool same_directory = same_inode(old_directory, new_directory);
  if (!same_directory) {
    // A directory cannot move below itself, and the replaced entry cannot
    // be an ancestor of the source.
    if (TRY(is_ancestor_or_same(*source.inode, new_parent.parent))) {
      return fail(Errno::einval);
    }
    if (target_exists && TRY(is_ancestor_or_same(*replaced->inode, old_parent.parent))) {
      return fail(exchange ? Errno::einval : Errno::enotempty);
    }
  }

  // Renaming one name of an inode onto another name of it does nothing.
  if (target_exists && same_inode(*source.inode, *replaced->inode)) {
    return {};
  }

  TRY_VOID(check_may_delete(context, old_directory, *source.inode, source_is_directory));
  if (!target_exists) {
    TRY_VOID(check_may_create(context, new_directory));
  } else {
    bool expect_directory = exchange ? target_is_directory : source_is_directory;
    TRY_VOID(check_may_delete(context, new_directory, *replaced->inode, expect_directory));
  }

  // Moving a directory to another parent rewrites its "..", which needs
  // write permission on it.
  if (!same_directory) {
    if (source_is_directory) {
      TRY_VOID(check_access(context, *source.inode, access_write));
    }
    if (exchange && target_is_directory) {
      TRY_VOID(check_access(context, *replaced->inode, access_write));
    }
  }

  if (mount_at(source) || (target_exists && mount_at(*replaced))) {
    return fail(Errno::ebusy);
  }

  std::optional<InodeId> replaced_id;
  if (target_exists && !exchange && watches_->active()) {
    if (auto status = replaced->inode->stat()) {
      replaced_id = inode_id_of(*status);
    }
  }

  TRY_VOID(old_directory.rename(old_parent.name, new_directory, new_parent.name, rename_flags));

  Inode* replaced_inode = replaced_id ? replaced->inode.get() : nullptr;
  notify_move(old_directory, old_parent.name, new_directory, new_parent.name, *source.inode,
              source_is_directory, replaced_inode);
  if (exchange) {
    notify_move(new_directory, new_parent.name, old_directory, old_parent.name, *replaced->inode,
                target_is_directory, nullptr);
  }
  if (replaced_id) {
    auto remaining = replaced->inode->stat();
    if (remaining && (remaining->link_count == 0 || target_is_directory)) {
      watches_->notify_deleted(*replaced_id);
    }
  }
  return {};
}

void Vfs::notify_move(Inode& old_directory, std::string_view old_name, Inode& new_directory,
                      std::string_view new_name, Inode& moved, bool is_directory, Inode* replaced) {
  if (!watches_->active()) {
    return;
  }
  const uint32_t cookie = watches_->next_cookie();
  notify_entry(old_directory, old_name, in_moved_from, is_directory, cookie);
  notify_entry(new_directory, new_name, in_moved_to, is_directory, cookie);
  if (replaced != nullptr) {
    notify_file(nullptr, {}, *replaced, in_attrib);
  }
  notify_file(nullptr, {}, moved, in_move_self);
}

}  // namespace litebox::fs
