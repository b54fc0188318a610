// Vfs::open: openat(2) flag handling, creation, access checks, and the
// open file description for each file type.
#include "litebox/fd/open_file_inode.hpp"
#include "litebox/fd/path_file.hpp"
#include "litebox/fs/vfs.hpp"
#include "litebox/ipc/pipe.hpp"
#include "path_walk.hpp"

namespace litebox::fs {

namespace {

// The Access bits that open(2) checks for `flags`, as Linux's ACC_MODE: the
// access mode 3 requires read and write, and O_TRUNC requires write.
uint32_t access_for_open(uint32_t flags) {
  uint32_t access = 0;
  switch (flags & fd::open_access_mask) {
    case fd::open_read_only:
      access = access_read;
      break;
    case fd::open_write_only:
      access = access_write;
      break;
    default:
      access = access_read | access_write;
      break;
  }
  if (flags & fd::open_truncate) {
    access |= access_write;
  }
  return access;
}

// The O_TMPFILE bit without the O_DIRECTORY bit that open_temporary_file
// includes.
constexpr uint32_t open_temporary_file_bit = fd::open_temporary_file & ~fd::open_directory;

// Flags that open(2) keeps with O_PATH; it ignores every other flag.
constexpr uint32_t open_path_kept_flags =
    fd::open_directory | fd::open_no_follow | fd::open_path | fd::open_close_on_exec;

// The inode that open(2) with O_CREAT opens, and whether it created it.
struct OpenTarget {
  Location location;
  bool created = false;
};

// Looks up the last component of `parent_path` for open(2) with O_CREAT and
// creates a regular file if it is missing. Final symlinks are followed here
// (when `follow` is set), so a dangling one makes open create its target.
Result<OpenTarget> find_or_create(PathWalker& walker, const PathContext& context,
                                  ParentPath parent_path, uint32_t mode, bool follow) {
  while (true) {
    auto existing = walker.lookup_child(parent_path.parent, parent_path.name);
    if (!existing && existing.error() != Errno::enoent) {
      return fail(existing.error());
    }

    if (!existing) {
      Inode& directory = *parent_path.parent.inode;
      TRY_VOID(check_may_create(context, directory));
      NewOwner owner = TRY(owner_for_new_inode(context, directory, false));
      uint32_t permissions = mode & mode_permission_mask & ~context.umask;
      std::shared_ptr<Inode> inode = TRY(directory.create(parent_path.name, FileType::regular,
                                                          permissions, owner.uid, owner.gid, 0));
      walker.note_entry(FinalEntry{
          .directory = parent_path.parent, .name = parent_path.name, .magic_link_file = nullptr});
      return OpenTarget{Location{parent_path.parent.mount, std::move(inode)}, true};
    }

    Stat status = TRY(existing->inode->stat());
    if (!is_symlink(status) || !follow) {
      walker.note_entry(FinalEntry{
          .directory = parent_path.parent, .name = parent_path.name, .magic_link_file = nullptr});
      return OpenTarget{std::move(*existing), false};
    }

    TRY_VOID(walker.count_follow());
    std::shared_ptr<fd::File> file = TRY(existing->inode->magic_link_file());
    if (file) {
      walker.note_entry(FinalEntry{.directory = {}, .name = {}, .magic_link_file = file});
      return OpenTarget{location_of_open_file(file), false};
    }
    std::string link_target = TRY(existing->inode->read_link());
    if (link_target.empty()) {
      return fail(Errno::enoent);
    }
    Location link_directory = parent_path.parent;
    parent_path = TRY(walker.walk_to_parent(link_directory, link_target));
    if (parent_path.kind != LastComponent::normal || parent_path.trailing_slash) {
      Location location = TRY(walker.resolve_last(parent_path, true));
      return OpenTarget{std::move(location), false};
    }
  }
}

// Records on a new description the mount it was opened through and how
// to find the path it was opened by (see fd::File::opened_path).
void describe_opened_file(Vfs& vfs, const PathContext& context, fd::File& file,
                          const Location& target, const FinalEntry& entry) {
  if (file.inode() != nullptr) {
    file.set_mount(target.mount);
  }

  // A description reached through a magic link is named as the linked one
  // is. That name is copied now, because keeping the linked description
  // would keep it open.
  if (entry.magic_link_file) {
    file.set_opened_path(entry.magic_link_file->opened_path());
    file.set_watch_origin(fd::File::WatchOrigin{vfs.watch_registry(), nullptr, {}});
    return;
  }

  fd::File::WatchOrigin origin{vfs.watch_registry(), nullptr, {}};
  if (!entry.name.empty()) {
    origin.directory = entry.directory.inode;
    origin.name = entry.name;
  }
  file.set_watch_origin(std::move(origin));

  file.set_opened_path_finder([&vfs, root = context.root, entry]() -> std::string {
    PathContext root_only;
    root_only.root = root;
    auto directory_path = vfs.path_of(root_only, entry.directory);
    if (!directory_path) {
      return {};
    }
    if (entry.name.empty()) {
      return *directory_path;
    }
    return *directory_path == "/" ? "/" + entry.name : *directory_path + "/" + entry.name;
  });
}

}  // namespace

Result<std::shared_ptr<fd::File>> Vfs::open(const PathContext& context, const Location& start,
                                            std::string_view path, uint32_t flags, uint32_t mode) {
  TRY_VOID(validate_path(path));
  if (flags & open_temporary_file_bit) {
    // TODO: O_TMPFILE (an unnamed regular file in the directory) is not
    // supported yet.
    return fail(Errno::eopnotsupp);
  }
  if (flags & fd::open_path) {
    flags &= open_path_kept_flags;
  }
  if ((flags & fd::open_create) && (flags & fd::open_directory)) {
    // Linux 6.4 and later reject the combination outright.
    return fail(Errno::einval);
  }

  bool create = flags & fd::open_create;
  bool exclusive = create && (flags & fd::open_exclusive);
  // O_CREAT | O_EXCL never follows a final symlink.
  bool follow = !(flags & fd::open_no_follow) && !exclusive;

  PathWalker walker(*this, context);
  ParentPath parent_path = TRY(walker.walk_to_parent(start, path));

  Location target;
  bool created = false;
  if (!create || parent_path.kind != LastComponent::normal) {
    target = TRY(walker.resolve_last(parent_path, follow));
  } else {
    // A trailing slash requires a directory, which open(2) cannot create.
    if (parent_path.trailing_slash) {
      return fail(Errno::eisdir);
    }
    OpenTarget found = TRY(find_or_create(walker, context, std::move(parent_path), mode, follow));
    target = std::move(found.location);
    created = found.created;
  }

  Stat status = TRY(target.inode->stat());
  FileType type = file_type_of(status.mode);

  if (create) {
    if (exclusive && !created) {
      return fail(Errno::eexist);
    }
    if (type == FileType::directory) {
      return fail(Errno::eisdir);
    }
  }
  if ((flags & fd::open_directory) && type != FileType::directory) {
    return fail(Errno::enotdir);
  }

  if (flags & fd::open_path) {
    std::shared_ptr<fd::File> file = std::make_shared<fd::PathFile>(target.inode, flags);
    describe_opened_file(*this, context, *file, target, walker.final_entry());
    return file;
  }

  const FinalEntry& entry = walker.final_entry();
  if (created) {
    notify_entry(*entry.directory.inode, entry.name, in_create, false);
  }

  uint32_t access = created ? 0 : access_for_open(flags);
  switch (type) {
    case FileType::symlink:
      return fail(Errno::eloop);
    case FileType::directory:
      if (access & access_write) {
        return fail(Errno::eisdir);
      }
      break;
    case FileType::regular:
      break;
    default:
      // O_TRUNC means nothing for fifos, sockets and devices.
      flags &= ~fd::open_truncate;
      break;
  }
  TRY_VOID(check_access(context, *target.inode, access));

  if (type == FileType::socket) {
    return fail(Errno::enxio);
  }

  const bool truncated = !created && type == FileType::regular && (flags & fd::open_truncate);
  if (truncated) {
    AttributeChange change;
    change.size = 0;
    TRY_VOID(target.inode->change_attributes(change));
  }

  // Like Linux's f_flags, the description keeps no open-time-only flags.
  uint32_t file_flags = flags & ~(fd::open_create | fd::open_exclusive |
                                  fd::open_no_controlling_tty | fd::open_truncate);
  // An anonymous pipe reached through /proc/<pid>/fd/<n> is no named fifo:
  // its OpenFileInode reopens the pipe itself.
  bool named_fifo = type == FileType::fifo && !dynamic_cast<fd::OpenFileInode*>(target.inode.get());
  std::shared_ptr<fd::File> file;
  if (named_fifo) {
    file = TRY(ipc::open_fifo(target.inode, file_flags));
  } else {
    file = TRY(target.inode->open(file_flags));
  }
  describe_opened_file(*this, context, *file, target, entry);
  const bool named = entry.directory.inode != nullptr && !entry.name.empty();
  notify_file(named ? &entry.directory : nullptr, entry.name, *target.inode, in_open);
  // Linux truncates after the open is reported.
  if (truncated) {
    notify_file(named ? &entry.directory : nullptr, entry.name, *target.inode, in_modify);
  }
  return file;
}

}  // namespace litebox::fs
