// memfs: the in-memory file system behind tmpfs mounts, the writable upper
// layer of the root overlay, and devtmpfs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "litebox/fs/file_system.hpp"

namespace litebox::fs::memfs {

// The f_type that statfs(2) reports for tmpfs (TMPFS_MAGIC).
inline constexpr uint64_t tmpfs_magic = 0x01021994;

// The size statfs shows for a file system without a limit: 2 GiB, half of
// the 4 GiB of memory that the sandbox reports, as a tmpfs mounted without
// size= shows half of the host's memory.
inline constexpr uint64_t unlimited_shown_pages = (uint64_t{2} << 30) / 4096;

struct Options {
  // Mode bits, owner and group of the root directory; tmpfs defaults to
  // 01777 owned by root.
  uint32_t root_permissions = 01777;
  uint32_t root_uid = 0;
  uint32_t root_gid = 0;
  // Size limit in 4096-byte pages; writes past it fail with `enospc`. 0
  // means no limit, and statfs then shows unlimited_shown_pages.
  uint64_t max_pages = 0;
  // The name in /proc/mounts.
  std::string type_name = "tmpfs";
};

std::shared_ptr<FileSystem> create(const Options& options = {});

// Creates a regular file of `file_system`, which create() made, that no
// directory links to, as memfd_create(2) does: its link count is 0 and it
// lives while an open file description or a mapping refers to it. It
// carries the FileSeal bits `seals`.
std::shared_ptr<Inode> create_unlinked_file(const std::shared_ptr<FileSystem>& file_system,
                                            uint32_t permissions, uint32_t uid, uint32_t gid,
                                            uint32_t seals);

}  // namespace litebox::fs::memfs
