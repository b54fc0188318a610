// RootImage: the set of files, directories and symlinks that make up a
// sandbox root, copied from the host at the same absolute paths.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

namespace litebox::rootfs {

enum class EntryKind { directory, regular_file, symlink };

// One object of the sandbox root.
struct RootEntry {
  std::string path;  // absolute path inside the sandbox, e.g. /usr/bin/ls
  EntryKind kind = EntryKind::directory;
  // The host file that supplies the contents of a regular file, or the link
  // target of a symlink (kept verbatim, relative targets stay relative).
  // Empty for directories.
  std::string source;
  uint32_t mode = 0755;           // permission bits, 07777
  int64_t modification_time = 0;  // seconds since the epoch
  uint64_t size = 0;              // regular files only
};

// Returns the working directory of the process, as getcwd(3) reports it,
// or the strerror(3) text of its failure.
std::expected<std::string, std::string> working_directory();

class RootImage {
 public:
  // Adds `host_path` (absolute, or relative to the working directory) and
  // every directory and symlink on the way to it, at the same paths. A
  // symlink met on the way, including the last component, is added as a
  // symlink and its target is added too, so the link resolves in the image
  // as on the host. Returns the symlink-free host path of the final object.
  // A directory is added without its contents.
  std::expected<std::string, std::string> add_path(const std::string& host_path);

  // Adds the directory `host_path` and everything below it, recursively.
  // Returns the symlink-free paths of the regular files added. Fifos,
  // sockets and device nodes are skipped and listed in `warnings`.
  std::expected<std::vector<std::string>, std::string> add_tree(const std::string& host_path,
                                                                std::vector<std::string>& warnings);

  // Adds an empty directory that the host may not have, such as a mount
  // point, modified at `modification_time` (seconds since the epoch). Kept
  // if the path is already present.
  void add_directory(const std::string& path, uint32_t mode, int64_t modification_time);

  // Every entry sorted by path, so each directory precedes its contents.
  std::vector<RootEntry> entries() const;

 private:
  std::expected<std::string, std::string> add_path_from(const std::string& resolved_prefix,
                                                        std::vector<std::string> components,
                                                        int symlinks_followed);

  std::map<std::string, RootEntry> entries_;
};

}  // namespace litebox::rootfs
