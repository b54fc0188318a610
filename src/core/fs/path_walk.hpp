// PathWalker: one path resolution as namei does it, shared by every Vfs
// operation. A walker counts the symlinks it follows, so one instance serves
// exactly one system call.
#pragma once

#include <string>
#include <string_view>

#include "litebox/fs/vfs.hpp"

namespace litebox::fs {

// The kind of the last component of a path, as Linux classifies it.
enum class LastComponent {
  normal,   // a name
  dot,      // "."
  dot_dot,  // ".."
  root,     // the path is only slashes
};

// A path resolved up to its last component.
struct ParentPath {
  Location parent;   // the directory that contains the last component
  std::string name;  // the last component; empty for LastComponent::root
  LastComponent kind = LastComponent::normal;
  bool trailing_slash = false;  // the path ends in '/', so it must name a directory
};

// The directory entry that named the file a walk ended at, after final
// symlinks: the directory and the entry's name. The name is empty when the
// path ended in ".", ".." or only slashes, and `directory` is then the file
// itself. A magic link (/proc/<pid>/fd/<n>) names no entry, only the open
// file description it stands for.
struct FinalEntry {
  Location directory;
  std::string name;
  std::shared_ptr<fd::File> magic_link_file;
};

class PathWalker {
 public:
  PathWalker(Vfs& vfs, const PathContext& context) : vfs_(vfs), context_(context) {}

  // Resolves every component of `path` but the last, following symlinks, and
  // checks search permission on the directory that contains the last one.
  Result<ParentPath> walk_to_parent(const Location& start, std::string_view path);

  // Resolves the last component found by walk_to_parent. A final symlink is
  // followed when `follow` is set or the path ends in '/'.
  Result<Location> resolve_last(const ParentPath& path, bool follow);

  // Resolves the whole of `path`.
  Result<Location> resolve(const Location& start, std::string_view path, bool follow);

  // Resolves the target of the symlink `link`, found in `directory`. A
  // magic link jumps to the inode of the open file it stands for.
  Result<Location> follow_symlink(const Location& directory, const Location& link);

  // Counts one symlink follow; `eloop` past max_symlink_follows.
  Result<void> count_follow();

  // The ".." of `directory`, never above the process root; at the root of a
  // mount it continues from the covered directory in the parent mount.
  Result<Location> parent_of(Location directory);

  // Looks up `name` in `directory` without permission checks and enters any
  // file system mounted on the result.
  Result<Location> lookup_child(const Location& directory, std::string_view name);

  // Looks up `name` without entering mounts, as unlink, rmdir and rename need.
  Result<Location> lookup_entry(const Location& directory, std::string_view name);

  // `enotdir` unless `directory` is a directory, `eacces` without search
  // permission.
  Result<void> check_searchable(const Location& directory);

  // The status of `location`'s inode. One step reads the status of the
  // same inode up to three times (mount point, symlink, search permission),
  // and stat(2) reads it once more after the walk, so the walk keeps the
  // last status it read.
  Result<Stat> status_of(const Location& location);

  // The entry behind the last resolve_last(), or the one that note_entry()
  // recorded since.
  const FinalEntry& final_entry() const { return final_entry_; }
  void note_entry(FinalEntry entry) { final_entry_ = std::move(entry); }

 private:
  Result<Location> step(const Location& directory, std::string_view component);
  Result<Location> enter_mounts(Location location);

  Vfs& vfs_;
  const PathContext& context_;
  int follows_ = 0;
  FinalEntry final_entry_;
  std::shared_ptr<Inode> status_inode_;
  Stat status_;
};

// Where a magic link to `file` leads: the inode and mount the description
// was opened through, or an OpenFileInode, outside every mount, for a
// description without an inode (a pipe(2) end, a socket, an eventfd).
Location location_of_open_file(const std::shared_ptr<fd::File>& file);

// Path argument checks shared by every call: `enametoolong` for a path of
// path_max bytes or more (the limit counts the terminating NUL), `enoent`
// for an empty path.
Result<void> validate_path(std::string_view path);

bool is_directory(const Stat& status);
bool is_symlink(const Stat& status);

// Permission checks with Linux's order of errors: `erofs` for a write to a
// read-only file system, then the mode bits.
Result<void> check_access(const PathContext& context, Inode& inode, uint32_t access);
// May the caller create an entry in `directory` (write and search)?
Result<void> check_may_create(const PathContext& context, Inode& directory);
// May the caller remove `victim` from `directory`? Applies write and search
// permission, the sticky bit rule, and the type rule (`enotdir` when a
// directory is expected, `eisdir` when not).
Result<void> check_may_delete(const PathContext& context, Inode& directory, Inode& victim,
                              bool expect_directory);

// The owner of a new inode in `directory`: the caller's fsuid, and the
// caller's fsgid unless the directory is set-group-ID, in which case the
// directory's group (and new directories inherit the set-group-ID bit).
struct NewOwner {
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t extra_mode_bits = 0;
};
Result<NewOwner> owner_for_new_inode(const PathContext& context, Inode& directory,
                                     bool is_directory);

}  // namespace litebox::fs
