// OverlayFileSystem: a writable upper file system over a read-only lower
// one, as Linux overlayfs stacks them (without redirect_dir or metacopy).
//
// - Lookups see the upper entry where one exists, else the lower one. A
//   directory present in both is merged: its listing shows the upper entries,
//   then the lower entries that no upper entry or whiteout hides.
// - The first change to a lower object (a write, chmod, chown, utimes or
//   truncate, or a link to it) copies it up: the overlay creates its parent
//   directories in the upper layer, then the object with the same mode,
//   owner, times and contents. Inode numbers stay the same across copy-up.
// - Removing or renaming a lower entry records a whiteout for its name in the
//   overlay's own state, so the lower entry stays hidden. A directory made
//   again under a whited-out name is opaque: it shows no lower entries.
// - Renaming a directory that has lower contents returns EXDEV, as overlayfs
//   does without redirect_dir; mv(1) then copies and deletes.
//
// The upper file system must be used through this overlay only, and the
// lower one must not change while mounted.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "litebox/fs/file_system.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::fs {

class OverlayInode;

class OverlayFileSystem final : public FileSystem {
 public:
  static Result<std::shared_ptr<OverlayFileSystem>> create(std::shared_ptr<FileSystem> upper,
                                                           std::shared_ptr<FileSystem> lower);

  OverlayFileSystem(const OverlayFileSystem&) = delete;
  OverlayFileSystem& operator=(const OverlayFileSystem&) = delete;
  ~OverlayFileSystem() override;

  std::shared_ptr<Inode> root() override;
  uint64_t device() const override { return device_; }
  bool read_only() const override { return false; }
  FileSystemStat stat_file_system() override;
  std::string_view type_name() const override { return "overlay"; }
  // The overlay is the sandbox's root, in place of the host's disk.
  bool acts_as_disk() const override { return true; }

 private:
  OverlayFileSystem(std::shared_ptr<FileSystem> upper, std::shared_ptr<FileSystem> lower);

  friend class OverlayInode;

  std::shared_ptr<FileSystem> upper_;
  std::shared_ptr<FileSystem> lower_;
  uint64_t device_;
  // Guards the layer pointers, cached children and whiteouts of every
  // OverlayInode of this file system, and serializes copy-up.
  sync::Mutex lock_;
  std::shared_ptr<OverlayInode> root_;
  uint64_t next_work_file_ = 0;  // names temporary copy-up files, under lock_
};

}  // namespace litebox::fs
