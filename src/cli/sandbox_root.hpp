// The file-system tree a sandbox starts with: the root (a tar image, or
// mapped host files, read-only under a writable in-memory overlay), devfs on
// /dev and a writable /tmp.
#pragma once

#include <expected>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "litebox/fs/vfs.hpp"

namespace litebox::cli {

// The reason building a root failed, so that `litebox run` exits as a
// shell would: 127 for a missing program, 126 for one that cannot be
// executed, 125 for any other set-up failure.
struct RootError {
  enum class Kind { setup_failed, program_missing, program_not_executable };
  Kind kind = Kind::setup_failed;
  std::string message;  // one line, without the "litebox: " prefix
};

class SandboxRoot {
 public:
  // Builds the root from the tar image at `image_path`, read-only and
  // mapped from the host file, under an in-memory writable layer.
  static std::expected<std::unique_ptr<SandboxRoot>, std::string> from_image(
      const std::string& image_path);

  // Builds a root that contains `host_program` (a path, or a name looked up
  // in the host's PATH), its ELF interpreter and libraries, at their host
  // paths: the host files, mapped read-only, under an in-memory writable
  // layer. NAME of a script's "#!/usr/bin/env NAME" is looked up on the
  // host in `guest_search_path`, the PATH that the guest's env searches.
  // `program_path` receives the program's path inside. A program
  // path that is missing or not an executable regular file fails here;
  // foreign or malformed ELF headers are left for the loader to report.
  // NOTE: the host files are mapped, not copied, so a host file truncated
  // while the sandbox runs makes reading it fault (SIGBUS), as a truncated
  // --rootfs image does.
  static std::expected<std::unique_ptr<SandboxRoot>, RootError> from_host_program(
      const std::string& host_program, const std::string& guest_search_path,
      std::string& program_path);

  SandboxRoot(const SandboxRoot&) = delete;
  SandboxRoot& operator=(const SandboxRoot&) = delete;
  ~SandboxRoot();

  fs::Vfs& vfs() { return *vfs_; }

  // A path context for the root user with "/" as root and working directory.
  fs::PathContext root_context();

 private:
  SandboxRoot() = default;

  // Whether the root already has the directories /dev, /proc, /sys and /tmp.
  enum class MountPoints { present, maybe_missing };

  // Mounts devfs on /dev, procfs on /proc and sysfs on /sys, and makes sure
  // /tmp exists. Missing directories are made, unless `mount_points` is
  // MountPoints::present.
  std::expected<void, std::string> mount_standard_file_systems(MountPoints mount_points);
  std::expected<void, std::string> mount_system_file_systems(const fs::PathContext& context,
                                                             bool make_directories);

  // The mapped tar image, unmapped after the file systems that read it.
  void* image_ = nullptr;
  size_t image_size_ = 0;
  // The mapped host files of from_host_program, unmapped likewise.
  std::vector<std::span<const std::byte>> host_files_;
  std::unique_ptr<fs::Vfs> vfs_;
};

}  // namespace litebox::cli
