// Vfs: path resolution over a tree of mounted file systems, and the
// path-based operations that system calls such as openat(2), mkdirat(2) and
// renameat2(2) need. Callers pass the process's root, working directory,
// credentials and umask in a PathContext, so one Vfs serves every process.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "litebox/fd/file.hpp"
#include "litebox/fs/file_system.hpp"
#include "litebox/fs/inode.hpp"
#include "litebox/fs/inotify.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::fs {

class Mount;

// A place in the mounted tree: an inode and the mount it was reached
// through. Two Locations are the same place when the mounts match and the
// inodes have the same st_dev and st_ino (see same_location).
struct Location {
  std::shared_ptr<Mount> mount;
  std::shared_ptr<Inode> inode;
};

// Compares inode identity by st_dev and st_ino, so file systems may return a
// fresh Inode object from each lookup.
bool same_inode(Inode& a, Inode& b);
bool same_location(const Location& a, const Location& b);

// Mount: one file system attached at a directory of its parent mount.
class Mount {
 public:
  // `mount_point` is the covered directory in the parent mount; it is empty
  // for the root mount.
  Mount(std::shared_ptr<FileSystem> file_system, Location mount_point);

  FileSystem& file_system() const { return *file_system_; }
  const std::shared_ptr<Inode>& root() const { return root_; }
  const Location& mount_point() const { return mount_point_; }
  const std::shared_ptr<Mount>& parent() const { return mount_point_.mount; }

 private:
  friend class Vfs;

  std::shared_ptr<FileSystem> file_system_;
  std::shared_ptr<Inode> root_;
  Location mount_point_;
  // How many mounts cover directories of this one. Changed under the Vfs's
  // mount lock and read without it, so that a path walk through a mount
  // without any takes no lock for the check.
  std::atomic<uint32_t> mounts_below_{0};
};

struct PathContext {
  Location root;               // "/" for this process (chroot)
  Location working_directory;  // where relative paths start
  Credentials credentials;
  uint32_t umask = 022;
};

// Flags for resolution and the *at calls, the Linux AT_* values.
enum AtFlags : uint32_t {
  at_symlink_nofollow = 0x100,
  at_remove_directory = 0x200,
  at_symlink_follow = 0x400,
  at_no_automount = 0x800,
  at_empty_path = 0x1000,
};

class Vfs {
 public:
  // Creates a VFS whose "/" is the root of `root_file_system`.
  explicit Vfs(std::shared_ptr<FileSystem> root_file_system);

  // The root location, for building the first PathContext.
  Location root() const;

  // Mounts `file_system` on the directory at `path`, `enotdir` if it is not a
  // directory. A mount on a mount point covers the mount already there, as on
  // Linux.
  Result<void> mount(const PathContext& context, std::string_view path,
                     std::shared_ptr<FileSystem> file_system);
  // Detaches the file system mounted at `path`: `einval` if `path` is not the
  // root of a mount, `ebusy` if another mount sits below it.
  Result<void> unmount(const PathContext& context, std::string_view path);

  // The mounts in mount order, the root mount first, for /proc/mounts.
  std::vector<std::shared_ptr<Mount>> mounts();

  // Resolves `path` from `start` (ignored for absolute paths). `flags` holds
  // AtFlags: without at_symlink_nofollow, a final symlink is followed.
  Result<Location> resolve(const PathContext& context, const Location& start, std::string_view path,
                           uint32_t flags);

  // openat(2): O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_APPEND
  // and the access checks as Linux applies them. New files get
  // `mode & ~umask`.
  Result<std::shared_ptr<fd::File>> open(const PathContext& context, const Location& start,
                                         std::string_view path, uint32_t flags, uint32_t mode);

  Result<void> make_directory(const PathContext& context, const Location& start,
                              std::string_view path, uint32_t mode);
  Result<void> make_node(const PathContext& context, const Location& start, std::string_view path,
                         uint32_t mode, uint64_t rdev);
  Result<void> make_symlink(const PathContext& context, std::string_view target,
                            const Location& start, std::string_view path);
  Result<void> link(const PathContext& context, const Location& old_start,
                    std::string_view old_path, const Location& new_start, std::string_view new_path,
                    uint32_t flags);
  // unlinkat(2); `flags` may hold at_remove_directory.
  Result<void> unlink(const PathContext& context, const Location& start, std::string_view path,
                      uint32_t flags);
  Result<void> rename(const PathContext& context, const Location& old_start,
                      std::string_view old_path, const Location& new_start,
                      std::string_view new_path, uint32_t rename_flags);
  // readlinkat(2). An empty `path` reads the symlink at `start` itself.
  Result<std::string> read_link(const PathContext& context, const Location& start,
                                std::string_view path);
  Result<Stat> stat(const PathContext& context, const Location& start, std::string_view path,
                    uint32_t flags);
  // faccessat(2) with `mode` made of Access bits (0 checks existence).
  Result<void> access(const PathContext& context, const Location& start, std::string_view path,
                      uint32_t mode, uint32_t flags);
  // chmod, chown, truncate and utimensat through one call; permission rules
  // (owner or root for chmod, root for chown to another user, write access
  // for truncate) are applied here.
  Result<void> change_attributes(const PathContext& context, const Location& start,
                                 std::string_view path, uint32_t flags,
                                 const AttributeChange& change);

  // The absolute path of `location` as seen from `context.root`, as getcwd(2)
  // reports it.
  Result<std::string> path_of(const PathContext& context, const Location& location);

  // Checks `access` (Access bits) on `inode` for `credentials` from mode,
  // owner and group, with root bypassing read and write always and execute
  // when any execute bit is set.
  static Result<void> check_permission(const Credentials& credentials, const Stat& stat,
                                       uint32_t access);

  // The mount attached at `location`, or nullptr if nothing is mounted there.
  std::shared_ptr<Mount> mount_at(const Location& location);
  // The same for the inode with `status` in `mount`, for a caller that has
  // the status already.
  std::shared_ptr<Mount> mount_at(const std::shared_ptr<Mount>& mount, const Stat& status);
  // False when nothing is mounted on any directory of `mount`, which is
  // true of most mounts, so a path walk can skip the mount check.
  bool may_have_mounts_below(const std::shared_ptr<Mount>& mount);

  // The inotify watches of every file in this VFS. Descriptions and
  // inotify instances keep the registry alive, since they may outlive the
  // VFS.
  const std::shared_ptr<WatchRegistry>& watch_registry() const { return watches_; }

 private:
  // Report inotify events, and do nothing while no watch exists.
  // notify_entry reports to the watches of `directory` about its entry
  // `name`. notify_file reports about `subject` to the watches of
  // `directory` (when given, with `name`) and then to its own.
  void notify_entry(Inode& directory, std::string_view name, uint32_t mask, bool is_directory,
                    uint32_t cookie = 0);
  void notify_file(const Location* directory, std::string_view name, Inode& subject, uint32_t mask);
  // Reports a rename: IN_MOVED_FROM and IN_MOVED_TO with one cookie, the
  // lost link of a `replaced` inode, then IN_MOVE_SELF.
  void notify_move(Inode& old_directory, std::string_view old_name, Inode& new_directory,
                   std::string_view new_name, Inode& moved, bool is_directory, Inode* replaced);

  std::shared_ptr<Mount> root_mount_;

  // A mount and the st_dev and st_ino of the directory it covers.
  struct MountEntry {
    std::shared_ptr<Mount> mount;
    uint64_t covered_device = 0;
    uint64_t covered_inode = 0;
  };

  // Lock order: rename_lock_, then file system locks; mount_lock_ is a leaf
  // and never held while calling into a file system. mount_lock_ guards
  // mounts_.
  sync::Mutex mount_lock_;
  std::vector<MountEntry> mounts_;

  // Serializes the ancestor check and the move of a cross-directory rename,
  // so two renames cannot move directories into each other's subtrees.
  sync::Mutex rename_lock_;

  std::shared_ptr<WatchRegistry> watches_ = std::make_shared<WatchRegistry>();
};

}  // namespace litebox::fs
