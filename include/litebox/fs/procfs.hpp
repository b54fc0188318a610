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

// The per-process entries under /proc/<pid>/ and the per-thread ones under
// /proc/<pid>/task/<tid>/. Each of those directories also contains the
// directories fd and fdinfo, and /proc/<pid> contains task.
inline constexpr std::string_view process_files[] = {
    "cgroup",    "cmdline", "comm",        "environ", "limits", "maps",
    "mountinfo", "mounts",  "personality", "stat",    "status"};
// The entries of process_files that, as on Linux, only the owner may read.
inline constexpr std::string_view owner_only_process_files[] = {"environ", "personality"};
inline constexpr std::string_view process_links[] = {"cwd", "exe", "root"};

// The files under /proc itself, with paths relative to /proc.
inline constexpr std::string_view system_files[] = {"cpuinfo",
                                                    "filesystems",
                                                    "loadavg",
                                                    "meminfo",
                                                    "stat",
                                                    "uptime",
                                                    "version",
                                                    "sys/kernel/hostname",
                                                    "sys/kernel/osrelease",
                                                    "sys/kernel/ostype",
                                                    "sys/kernel/pid_max",
                                                    "sys/fs/inotify/max_queued_events",
                                                    "sys/fs/inotify/max_user_instances",
                                                    "sys/fs/inotify/max_user_watches"};

// The view of one open file descriptor that /proc/<pid>/fd/<n> and
// /proc/<pid>/fdinfo/<n> show.
struct DescriptorView {
  // The target that readlink(2) returns: a path, or a name such as
  // "pipe:[1234]" or "anon_inode:[eventfd]" for a description without one.
  std::string link;
  // The text of /proc/<pid>/fdinfo/<n> ("pos:", "flags:", "mnt_id:" ...).
  std::string info;
  // The access mode, which sets the owner bits of the link's st_mode.
  bool readable = false;
  bool writable = false;
  // The open file description, which path resolution through the link
  // reaches. Null makes the link an ordinary symlink to `link`.
  std::shared_ptr<fd::File> file;
};

class Provider {
 public:
  virtual ~Provider() = default;

  // The pid of the calling process, the target of /proc/self; empty when
  // the caller is no guest process.
  virtual std::optional<int32_t> current_pid() = 0;

  // The thread id of the calling thread, the target of /proc/thread-self;
  // empty when the caller is no guest thread.
  virtual std::optional<int32_t> current_tid() = 0;

  // The pids that /proc lists now.
  virtual std::vector<int32_t> pids() = 0;

  // The open descriptors of process `pid` in increasing order, empty when
  // the process does not exist.
  virtual std::vector<int32_t> descriptors(int32_t pid) = 0;

  // One open descriptor; `enoent` when the process or the descriptor does
  // not exist.
  virtual Result<DescriptorView> descriptor(int32_t pid, int32_t number) = 0;

  // The thread ids of process `pid` in increasing order, the leader first.
  virtual std::vector<int32_t> threads(int32_t pid) = 0;

  // The contents of /proc/<pid>/task/<tid>/<name> for a name in
  // process_files; `enoent` when the thread is not one of the process.
  virtual Result<std::string> thread_file(int32_t pid, int32_t tid, std::string_view name) = 0;

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
