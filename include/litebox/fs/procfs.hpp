// procfs: the file system mounted on /proc. Core owns the tree and the open
// semantics: every file is generated when it is opened, so reads at any
// offset see one consistent snapshot. A Provider that the ABI personality
// implements supplies the contents.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "litebox/fs/file_system.hpp"
#include "litebox/result.hpp"

namespace litebox::fs::procfs {

// The per-process entries under /proc/<pid>/.
inline constexpr std::string_view process_files[] = {"cmdline", "comm", "environ", "maps",
                                                     "mounts",  "stat", "status"};
inline constexpr std::string_view process_links[] = {"cwd", "exe"};

// The files under /proc itself, with paths relative to /proc.
inline constexpr std::string_view system_files[] = {"cpuinfo",
                                                    "filesystems",
                                                    "loadavg",
                                                    "meminfo",
                                                    "stat",
                                                    "uptime",
                                                    "sys/kernel/hostname",
                                                    "sys/kernel/osrelease",
                                                    "sys/kernel/ostype"};

class Provider {
 public:
  virtual ~Provider() = default;

  // The pid of the calling process, the target of /proc/self; empty when
  // the caller is no guest process.
  virtual std::optional<int32_t> current_pid() = 0;

  // The pids that /proc lists now.
  virtual std::vector<int32_t> pids() = 0;

  // The contents of /proc/<pid>/<name> for a name in process_files.
  // `enoent` when the process does not exist.
  virtual Result<std::string> process_file(int32_t pid, std::string_view name) = 0;

  // The target of /proc/<pid>/<name> for a name in process_links.
  virtual Result<std::string> process_link(int32_t pid, std::string_view name) = 0;

  // The contents of /proc/<path> for a path in system_files.
  virtual Result<std::string> system_file(std::string_view path) = 0;
};

// Creates a procfs instance that reads through `provider`.
std::shared_ptr<FileSystem> create(std::shared_ptr<Provider> provider);

}  // namespace litebox::fs::procfs
