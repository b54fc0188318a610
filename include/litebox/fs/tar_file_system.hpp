// TarFileSystem: a read-only file system over a tar archive held in memory.
// Building it reads only the headers; file contents are served straight from
// the archive bytes, so the archive (usually a read-only file mapping) must
// outlive the file system and every inode taken from it. The tree is kept as
// compact records, and an Inode object is made only for a member that is
// looked up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string_view>

#include "litebox/fs/file_system.hpp"
#include "litebox/fs/tar_archive.hpp"

namespace litebox::fs {

class TarInode;

class TarFileSystem final : public FileSystem {
 public:
  // Parses `archive` and builds the tree. Directories that member paths imply
  // but the archive lacks get mode 0755, owner root and mtime 0. A later
  // member with the same path replaces the earlier one, as extraction does.
  // Members that cannot be placed (a path through a non-directory, a hard
  // link to a missing or later member, a non-directory replacing a non-empty
  // directory) are skipped with a warning. `warn` receives warnings; when it
  // is empty they go to the platform's debug log.
  static std::expected<std::shared_ptr<TarFileSystem>, tar::TarError> create(
      std::span<const std::byte> archive, const tar::WarningSink& warn = {});

  // Builds the tree from `members` as create() builds it from an archive's
  // members. Each regular member's data must outlive the file system, as an
  // archive must; it may point anywhere, for example into mapped host files.
  static std::shared_ptr<TarFileSystem> create_from_members(std::span<const tar::Member> members,
                                                            const tar::WarningSink& warn = {});

  TarFileSystem(const TarFileSystem&) = delete;
  TarFileSystem& operator=(const TarFileSystem&) = delete;
  ~TarFileSystem() override;

  std::shared_ptr<Inode> root() override;
  uint64_t device() const override { return device_; }
  bool read_only() const override { return true; }
  FileSystemStat stat_file_system() override;
  std::string_view type_name() const override { return "tar"; }

  // Number of inodes, the root included.
  uint64_t inode_count() const { return inode_count_; }

 private:
  // The inode records and directory entries; defined in the source file.
  struct Tree;

  TarFileSystem();

  // Returns the inode of record `index`, making it on first use, so that
  // every lookup of one member returns the same object.
  std::shared_ptr<TarInode> inode_at(uint32_t index);

  friend class TarBuilder;
  friend class TarInode;

  uint64_t device_;
  std::unique_ptr<Tree> tree_;
  std::shared_ptr<TarInode> root_;
  uint64_t inode_count_ = 0;
  uint64_t data_bytes_ = 0;
};

}  // namespace litebox::fs
