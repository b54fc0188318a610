// sysfs: a read-only tree of fixed text files, the form of Linux's sysfs
// (/sys) and of the cgroup2 file system (/sys/fs/cgroup). The ABI
// personality supplies the paths and contents when it mounts the tree; they
// do not change while it is mounted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "litebox/fs/file_system.hpp"

namespace litebox::fs::sysfs {

// statfs(2) f_type values: Linux's SYSFS_MAGIC and CGROUP2_SUPER_MAGIC.
inline constexpr uint64_t sysfs_magic = 0x62656572;
inline constexpr uint64_t cgroup2_magic = 0x63677270;

// One regular file, with a path relative to the root ("devices/system/cpu/
// online") and the bytes every read returns.
struct File {
  std::string path;
  std::string contents;
};

struct Tree {
  // The name that /proc/mounts shows ("sysfs", "cgroup2") and the statfs(2)
  // f_type.
  std::string type_name;
  uint64_t magic = 0;
  std::vector<File> files;
  // Directories that hold no file, such as the mount point of another file
  // system. The directories above each file need no entry here.
  std::vector<std::string> directories;
};

// Creates the file system. Files are mode 0444, the root directory 0555
// and the other directories 0755, all owned by root. As in Linux's sysfs, every change fails:
// opening a file for writing and creating a file with `eacces`, the other changes of the tree and
// of attributes with `eperm`.
std::shared_ptr<FileSystem> create(Tree tree);

}  // namespace litebox::fs::sysfs
