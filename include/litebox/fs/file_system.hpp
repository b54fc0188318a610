// FileSystem: one mounted tree of inodes.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "litebox/fs/inode.hpp"

namespace litebox::fs {

// What statfs(2) reports.
struct FileSystemStat {
  uint64_t type = 0;  // the f_type magic number, e.g. 0x01021994 for tmpfs
  uint64_t block_size = 4096;
  uint64_t blocks = 0;
  uint64_t free_blocks = 0;
  uint64_t available_blocks = 0;
  uint64_t files = 0;
  uint64_t free_files = 0;
  uint64_t name_max = 255;
  uint64_t flags = 0;  // ST_RDONLY (1) and friends
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual std::shared_ptr<Inode> root() = 0;

  // The st_dev value of every inode in this file system; unique per mount.
  virtual uint64_t device() const = 0;

  virtual bool read_only() const = 0;

  virtual FileSystemStat stat_file_system() = 0;

  // A short name for /proc/mounts ("tmpfs", "overlay", "tar", "devtmpfs").
  virtual std::string_view type_name() const = 0;

  // Whether the regular files act as those of a disk file system such as
  // ext4 rather than as tmpfs files. The sandbox's root does, because it
  // takes the place of the host's root file system. On Linux 6.18, ext4
  // serves reads that must not wait (RWF_NOWAIT) and uncached transfers
  // (RWF_DONTCACHE), and tmpfs rejects both.
  virtual bool acts_as_disk() const { return false; }
};

// Returns a fresh st_dev value for a new file system instance.
uint64_t allocate_device_number();

}  // namespace litebox::fs
