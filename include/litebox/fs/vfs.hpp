// Vfs: path resolution over a tree of mounted file systems, and the
// path-based operations that system calls such as openat(2), mkdirat(2) and
// renameat2(2) need. Callers pass the process's root, working directory,
// credentials and umask in a PathContext, so one Vfs serves every process.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "litebox/fd/file.hpp"
#include "litebox/fs/file_system.hpp"
#include "litebox/fs/inode.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::fs {

class Mount;

// A place in the mounted tree: an inode and the mount it was reached
// through. Two Locations are the same directory when both fields match.
struct Location {
  std::shared_ptr<Mount> mount;
  std::shared_ptr<Inode> inode;
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

  // Mounts `file_system` on the directory at `path`. `ebusy` if something is
  // already mounted there.
  Result<void> mount(const PathContext& context, std::string_view path,
                     std::shared_ptr<FileSystem> file_system);

  // Resolves `path` from `start` (ignored for absolute paths). `flags` holds
  // AtFlags: without at_symlink_nofollow, a final symlink is followed.
  Result<Location> resolve(const PathContext& context, const Location& start,
                           std::string_view path, uint32_t flags);

  // openat(2): O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_APPEND
  // and the access checks as Linux applies them. New files get
  // `mode & ~umask`.
  Result<std::shared_ptr<fd::File>> open(const PathContext& context, const Location& start,
                                         std::string_view path, uint32_t flags, uint32_t mode);

  Result<void> make_directory(const PathContext& context, const Location& start,
                              std::string_view path, uint32_t mode);
  Result<void> make_node(const PathContext& context, const Location& start,
                         std::string_view path, uint32_t mode, uint64_t rdev);
  Result<void> make_symlink(const PathContext& context, std::string_view target,
                            const Location& start, std::string_view path);
  Result<void> link(const PathContext& context, const Location& old_start,
                    std::string_view old_path, const Location& new_start,
                    std::string_view new_path, uint32_t flags);
  // unlinkat(2); `flags` may hold at_remove_directory.
  Result<void> unlink(const PathContext& context, const Location& start, std::string_view path,
                      uint32_t flags);
  Result<void> rename(const PathContext& context, const Location& old_start,
                      std::string_view old_path, const Location& new_start,
                      std::string_view new_path, uint32_t rename_flags);
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

 private:
  std::shared_ptr<Mount> root_mount_;
  sync::Mutex mount_lock_;
};

}  // namespace litebox::fs
