// Value types shared by the VFS and every file system: file types, modes,
// stat results, credentials and directory entries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "litebox/platform/clock.hpp"

namespace litebox::fs {

using Timespec = platform::Timespec;

// File types as the S_IFMT bits of st_mode.
enum class FileType : uint32_t {
  fifo = 0010000,
  character_device = 0020000,
  directory = 0040000,
  block_device = 0060000,
  regular = 0100000,
  symlink = 0120000,
  socket = 0140000,
};

inline constexpr uint32_t mode_type_mask = 0170000;
inline constexpr uint32_t mode_permission_mask = 07777;
inline constexpr uint32_t mode_set_uid = 04000;
inline constexpr uint32_t mode_set_gid = 02000;
inline constexpr uint32_t mode_sticky = 01000;

// Linux limits on path lengths, in bytes.
inline constexpr size_t path_max = 4096;        // whole path, including the terminating NUL
inline constexpr size_t name_max = 255;         // one component
inline constexpr int max_symlink_follows = 40;  // ELOOP after this many

constexpr FileType file_type_of(uint32_t mode) {
  return static_cast<FileType>(mode & mode_type_mask);
}
constexpr uint32_t mode_of(FileType type, uint32_t permissions) {
  return static_cast<uint32_t>(type) | (permissions & mode_permission_mask);
}

// The d_type value that getdents64 reports for a file type (DT_REG, ...).
constexpr uint8_t directory_entry_type(FileType type) {
  return static_cast<uint8_t>(static_cast<uint32_t>(type) >> 12);
}

// Space accounting of Linux tmpfs (as measured on Linux 6.18), which
// every LiteBox file system follows because all keep their data in memory.
// st_blksize is the page size and st_blocks counts 512-byte sectors of the
// pages a file holds, so `du` inside the sandbox reads as on a host tmpfs.
namespace tmpfs_accounting {

inline constexpr int64_t page_size = 4096;
inline constexpr int64_t sectors_per_page = page_size / 512;

// st_size of a directory: 20 bytes per entry, "." and ".." included.
constexpr int64_t directory_size(uint64_t entry_count) {
  return 20 * static_cast<int64_t>(entry_count + 2);
}

// st_blocks of a regular file whose pages are all present (no holes).
constexpr int64_t dense_file_blocks(int64_t size) {
  return (size + page_size - 1) / page_size * sectors_per_page;
}

// st_blocks of a symlink: a target of up to 127 bytes sits in the inode, a
// longer one takes a page.
constexpr int64_t symlink_blocks(uint64_t target_size) {
  return target_size >= 128 ? sectors_per_page : 0;
}

}  // namespace tmpfs_accounting

// What stat(2) reports, with times in nanoseconds.
struct Stat {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint32_t mode = 0;  // file type and permission bits
  uint32_t link_count = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t rdev = 0;
  int64_t size = 0;
  int64_t block_size = 4096;
  int64_t blocks = 0;  // allocated 512-byte blocks
  Timespec access_time;
  Timespec modify_time;
  Timespec change_time;
};

// The identity of an inode for inotify: its st_dev and st_ino. A file
// system may hand out several Inode objects for one file, so the objects
// themselves cannot serve.
struct InodeId {
  uint64_t device = 0;
  uint64_t inode = 0;
  bool operator==(const InodeId&) const = default;
};
inline InodeId inode_id_of(const Stat& status) { return InodeId{status.device, status.inode}; }

// Attribute changes requested by chmod, chown, truncate and utimensat. Unset
// fields stay as they are. A file system updates the change time itself.
// The AttributeChange::size_limit that allows any size (RLIM_INFINITY).
inline constexpr uint64_t no_size_limit = ~uint64_t{0};

struct AttributeChange {
  std::optional<uint32_t> permissions;  // only the 07777 bits
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<int64_t> size;
  // With `size`: the largest size a regular file may grow to, the caller's
  // RLIMIT_FSIZE. Growing past it fails with `efbig`; shrinking always
  // works.
  uint64_t size_limit = no_size_limit;
  std::optional<Timespec> access_time;
  std::optional<Timespec> modify_time;
  // Set when utimensat(2) sets both times to the current time (UTIME_NOW or a
  // null `times`): then write access suffices instead of ownership.
  bool times_are_now = false;
};

// The file-system identity of a caller: effective uid and gid plus the
// supplementary groups. Root (uid 0) bypasses permission checks as Linux does.
struct Credentials {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;

  bool in_group(uint32_t group) const;
};

// Access bits for permission checks, the values of R_OK, W_OK and X_OK.
enum Access : uint32_t {
  access_execute = 1,
  access_write = 2,
  access_read = 4,
};

struct DirectoryEntry {
  std::string name;
  uint64_t inode = 0;
  FileType type = FileType::regular;
};

}  // namespace litebox::fs
