#include "sandbox_root.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

#include "file_views.hpp"
#include "linux_execution.hpp"
#include "litebox/fs/devfs.hpp"
#include "litebox/fs/memfs.hpp"
#include "litebox/fs/overlay_file_system.hpp"
#include "litebox/fs/sysfs.hpp"
#include "litebox/fs/tar_file_system.hpp"
#include "rootfs/rootfs.hpp"
#include "shim/linux/procfs.hpp"
#include "shim/linux/sysfs.hpp"

namespace litebox::cli {

namespace {

// The compression format whose magic number starts `archive` ("gzip",
// "bzip2", "xz", "zstd"), or empty for none of them.
std::string_view compression_of(std::span<const std::byte> archive) {
  struct Magic {
    std::string_view name;
    std::string_view bytes;
  };
  static constexpr Magic magics[] = {
      {"gzip", "\x1f\x8b"},
      {"bzip2", "BZh"},
      {"xz",
       "\xfd"
       "7zXZ"},
      {"zstd", "\x28\xb5\x2f\xfd"},
  };
  for (const Magic& magic : magics) {
    if (archive.size() >= magic.bytes.size() &&
        std::memcmp(archive.data(), magic.bytes.data(), magic.bytes.size()) == 0) {
      return magic.name;
    }
  }
  return {};
}

std::string describe(Errno error) { return std::string(errno_name(error)); }

std::string mount_failure(std::string_view file_system, std::string_view path, Errno error) {
  std::string message =
      fmt::format("mounting {} on {} failed: {}", file_system, path, describe(error));
  if (error == Errno::enotdir) {
    message += fmt::format("; {} in the image must be a directory or absent", path);
  }
  return message;
}

std::expected<void, std::string> make_directory_if_missing(fs::Vfs& vfs,
                                                           const fs::PathContext& context,
                                                           const std::string& path, uint32_t mode) {
  auto made = vfs.make_directory(context, context.root, path, mode);
  if (!made && made.error() != Errno::eexist) {
    return std::unexpected(
        fmt::format("creating {} in the sandbox failed: {}", path, describe(made.error())));
  }
  return {};
}

// Maps the host file `path` read-only and keeps it as a file view, so that
// guest mappings of its pages map the file. An empty file gets an empty span.
std::expected<std::span<const std::byte>, std::string> map_host_file(const std::string& path) {
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    return std::unexpected(fmt::format("cannot read host file {}: {}", path, std::strerror(errno)));
  }
  struct stat status {};
  if (fstat(descriptor, &status) != 0) {
    const int error = errno;
    ::close(descriptor);
    return std::unexpected(fmt::format("cannot read host file {}: {}", path, std::strerror(error)));
  }
  const auto size = static_cast<size_t>(status.st_size);
  if (size == 0) {
    ::close(descriptor);
    return std::span<const std::byte>();
  }
  void* mapping = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, descriptor, 0);
  const int error = errno;
  if (mapping == MAP_FAILED) {
    ::close(descriptor);
    return std::unexpected(fmt::format("cannot map host file {}: {}", path, std::strerror(error)));
  }
  platform::linux_userland::keep_file_view(mapping, size, descriptor);
  // Safety: the mapping is `size` readable bytes until SandboxRoot unmaps it.
  return std::span<const std::byte>(static_cast<const std::byte*>(mapping), size);
}

std::unexpected<RootError> program_error(RootError::Kind kind, std::string message) {
  return std::unexpected(RootError{kind, std::move(message)});
}

// Checks the host program `path` as execve(2) does before it reads the
// file, with the loader's messages for the same problems in a --rootfs
// sandbox.
std::expected<void, RootError> check_host_program(const std::string& path) {
  using Kind = RootError::Kind;
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    if (errno == ENOENT) {
      return program_error(Kind::program_missing,
                           fmt::format("{}: no such file on the host; check the path, or give "
                                       "--rootfs IMAGE to run it from an image",
                                       path));
    }
    return program_error(Kind::program_not_executable,
                         fmt::format("{}: {}; check the path", path, std::strerror(errno)));
  }
  if (S_ISDIR(status.st_mode)) {
    return program_error(Kind::program_not_executable,
                         fmt::format("{}: is a directory; give the path of a program", path));
  }
  if (!S_ISREG(status.st_mode)) {
    return program_error(Kind::program_not_executable,
                         fmt::format("{}: not a regular file; give the path of a program", path));
  }
  if (::access(path.c_str(), X_OK) != 0) {
    return program_error(Kind::program_not_executable,
                         fmt::format("{}: permission denied (not executable); give the path of "
                                     "a program, or make it executable with chmod +x",
                                     path));
  }
  return {};
}

// Resolves a host program path under /proc or /dev/fd, such as
// /proc/PID/exe or /dev/fd/3, to the file it names. The sandbox mounts its
// own /proc and /dev, so such a path would name a different file there.
// Returns `path` unchanged when it lies elsewhere.
std::expected<std::string, RootError> resolve_host_process_path(const std::string& path) {
  using Kind = RootError::Kind;
  if (!path.starts_with("/proc/") && !path.starts_with("/dev/fd/")) {
    return path;
  }

  char resolved[PATH_MAX];
  char own_executable[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) {
    return program_error(Kind::program_missing, fmt::format("{}: {}; give the program's path", path,
                                                            std::strerror(errno)));
  }
  // Native execve resolves /proc/self in the calling process, which here is
  // litebox itself, and litebox cannot run inside its own sandbox.
  if (::realpath("/proc/self/exe", own_executable) != nullptr &&
      std::strcmp(resolved, own_executable) == 0) {
    return program_error(Kind::program_not_executable,
                         fmt::format("{}: names the litebox executable itself; give the path of "
                                     "the program to run",
                                     path));
  }
  return std::string(resolved);
}

}  // namespace

// The file views' descriptors stay open: the sandbox may be sealed, where
// close(2) is not allowed, and the process's end closes them.
SandboxRoot::~SandboxRoot() {
  vfs_.reset();
  if (image_ != nullptr) {
    (void)platform::linux_userland::forget_file_view(image_);
    munmap(image_, image_size_);
  }
  for (std::span<const std::byte> file : host_files_) {
    (void)platform::linux_userland::forget_file_view(file.data());
    // Safety: each span is a whole mapping from map_host_file.
    munmap(const_cast<std::byte*>(file.data()), file.size());
  }
}

fs::PathContext SandboxRoot::root_context() {
  fs::PathContext context;
  context.root = vfs_->root();
  context.working_directory = context.root;
  context.umask = 0;
  return context;
}

// Mounts sysfs on /sys and the cgroup2 tree on /sys/fs/cgroup. Both show
// the CPUs that the sandbox's processes may run on, as sched_getaffinity(2)
// in the sandbox does.
std::expected<void, std::string> SandboxRoot::mount_system_file_systems(
    const fs::PathContext& context, bool make_directories) {
  if (make_directories) {
    if (auto made = make_directory_if_missing(*vfs_, context, "/sys", 0555); !made) {
      return made;
    }
  }
  const uint32_t processor_count = platform::linux_userland::allowed_processor_count();
  auto sysfs = fs::sysfs::create(shim::linux_abi::system_tree(processor_count));
  if (auto mounted = vfs_->mount(context, "/sys", std::move(sysfs)); !mounted) {
    return std::unexpected(mount_failure("sysfs", "/sys", mounted.error()));
  }
  auto cgroup = fs::sysfs::create(shim::linux_abi::cgroup_tree(processor_count));
  if (auto mounted = vfs_->mount(context, "/sys/fs/cgroup", std::move(cgroup)); !mounted) {
    return std::unexpected(mount_failure("cgroup2", "/sys/fs/cgroup", mounted.error()));
  }
  return {};
}

std::expected<void, std::string> SandboxRoot::mount_standard_file_systems(
    MountPoints mount_points) {
  fs::PathContext context = root_context();
  const bool make_directories = mount_points == MountPoints::maybe_missing;

  if (make_directories) {
    if (auto made = make_directory_if_missing(*vfs_, context, "/dev", 0755); !made) {
      return made;
    }
  }
  if (auto mounted = vfs_->mount(context, "/dev", fs::devfs::create()); !mounted) {
    return std::unexpected(mount_failure("devfs", "/dev", mounted.error()));
  }
  if (make_directories) {
    if (auto made = make_directory_if_missing(*vfs_, context, "/proc", 0555); !made) {
      return made;
    }
  }
  auto procfs = fs::procfs::create(shim::linux_abi::make_procfs_provider());
  if (auto mounted = vfs_->mount(context, "/proc", std::move(procfs)); !mounted) {
    return std::unexpected(mount_failure("procfs", "/proc", mounted.error()));
  }
  if (auto mounted = mount_system_file_systems(context, make_directories); !mounted) {
    return mounted;
  }
  // Both roots are writable in memory already, so /tmp needs no tmpfs of
  // its own; one would also hide whatever the image keeps under /tmp.
  if (!make_directories) {
    return {};
  }
  return make_directory_if_missing(*vfs_, context, "/tmp", 01777);
}

std::expected<std::unique_ptr<SandboxRoot>, std::string> SandboxRoot::from_image(
    const std::string& image_path) {
  std::unique_ptr<SandboxRoot> sandbox(new SandboxRoot());

  const int descriptor = ::open(image_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    return std::unexpected(
        fmt::format("cannot open root image {}: {}", image_path, std::strerror(errno)));
  }
  struct stat status {};
  if (fstat(descriptor, &status) != 0) {
    const int error = errno;
    ::close(descriptor);
    return std::unexpected(
        fmt::format("cannot read root image {}: {}", image_path, std::strerror(error)));
  }
  if (status.st_size == 0) {
    ::close(descriptor);
    return std::unexpected(
        fmt::format("root image {} is empty; give a tar archive, such as one from `litebox rootfs`",
                    image_path));
  }
  sandbox->image_size_ = static_cast<size_t>(status.st_size);
  sandbox->image_ = mmap(nullptr, sandbox->image_size_, PROT_READ, MAP_PRIVATE, descriptor, 0);
  if (sandbox->image_ == MAP_FAILED) {
    const int error = errno;
    ::close(descriptor);
    sandbox->image_ = nullptr;
    return std::unexpected(
        fmt::format("cannot map root image {}: {}", image_path, std::strerror(error)));
  }
  platform::linux_userland::keep_file_view(sandbox->image_, sandbox->image_size_, descriptor);

  // Safety: the mapping is image_size_ readable bytes and outlives the file
  // systems, which the destructor drops first.
  std::span<const std::byte> archive(static_cast<const std::byte*>(sandbox->image_),
                                     sandbox->image_size_);
  if (std::string_view kind = compression_of(archive); !kind.empty()) {
    return std::unexpected(fmt::format(
        "{}: the image is {}-compressed; decompress it first (LiteBox maps the tar archive "
        "as it is)",
        image_path, kind));
  }
  auto lower = fs::TarFileSystem::create(archive, [&](std::string_view warning) {
    fmt::print(stderr, "litebox: {}: {}\n", image_path, warning);
  });
  if (!lower) {
    return std::unexpected(
        fmt::format("{}: {}; give an uncompressed tar archive, such as one "
                    "from `litebox rootfs` or `tar -cf`",
                    image_path, lower.error().message));
  }
  fs::memfs::Options options;
  options.root_permissions = 0755;
  auto root = fs::OverlayFileSystem::create(fs::memfs::create(options), std::move(*lower));
  if (!root) {
    return std::unexpected(
        fmt::format("building the overlay root failed: {}", describe(root.error())));
  }
  sandbox->vfs_ = std::make_unique<fs::Vfs>(std::move(*root));

  if (auto mounted = sandbox->mount_standard_file_systems(MountPoints::maybe_missing); !mounted) {
    return std::unexpected(mounted.error());
  }
  return sandbox;
}

std::expected<std::unique_ptr<SandboxRoot>, RootError> SandboxRoot::from_host_program(
    const std::string& host_program, const std::string& guest_search_path,
    std::string& program_path) {
  using Kind = RootError::Kind;
  rootfs::RootRequest request;
  const char* host_path = std::getenv("PATH");
  request.search_path = host_path != nullptr ? host_path : "/usr/bin:/bin";
  request.env_search_path = guest_search_path;
  // A name without a slash is found only among executable files, as
  // execvp(3) finds it, so only a path can name a file that is not one.
  std::expected<std::string, std::string> found;
  if (host_program.find('/') != std::string::npos) {
    if (auto checked = check_host_program(host_program); !checked) {
      return std::unexpected(checked.error());
    }
    found = rootfs::absolute_path(host_program);
    if (!found) {
      return program_error(Kind::setup_failed, found.error());
    }
    auto resolved = resolve_host_process_path(*found);
    if (!resolved) {
      return std::unexpected(resolved.error());
    }
    found = *resolved;
  } else {
    found = rootfs::find_program(host_program, request.search_path);
    if (!found) {
      return program_error(Kind::program_missing, found.error());
    }
  }

  // The program is mapped once: build_root reads its headers from the
  // mapping, and the sandbox serves the same mapping.
  std::unique_ptr<SandboxRoot> sandbox(new SandboxRoot());
  std::vector<std::pair<std::string, std::span<const std::byte>>> mapped_programs;
  request.programs = {*found};
  request.programs_found = true;
  request.read_program =
      [&](const std::string& path) -> std::expected<std::span<const std::byte>, std::string> {
    auto mapped = map_host_file(path);
    if (!mapped) {
      return std::unexpected(mapped.error());
    }
    if (!mapped->empty()) {
      sandbox->host_files_.push_back(*mapped);
    }
    mapped_programs.emplace_back(path, *mapped);
    return *mapped;
  };
  request.defer_program_errors = true;
  request.ld_so_cache_only_when_used = true;
  auto root = rootfs::build_root(request);
  if (!root) {
    return program_error(Kind::setup_failed, root.error());
  }
  for (const std::string& warning : root->warnings) {
    fmt::print(stderr, "litebox: {}\n", warning);
  }

  // The host files stay where they are: the read-only lower layer serves
  // their mapped bytes, as it serves an image's, and the first write to one
  // copies it up into the in-memory layer.
  std::vector<fs::tar::Member> members;
  members.reserve(root->entries.size());
  for (const rootfs::RootEntry& entry : root->entries) {
    if (entry.path == "/") {
      continue;
    }
    fs::tar::Member member;
    member.path = entry.path.substr(entry.path.find_first_not_of('/'));
    member.permissions = entry.mode;
    member.modify_time = {entry.modification_time, 0};
    member.access_time = member.modify_time;
    member.change_time = member.modify_time;
    switch (entry.kind) {
      case rootfs::EntryKind::directory:
        member.type = fs::tar::MemberType::directory;
        break;
      case rootfs::EntryKind::regular_file: {
        member.type = fs::tar::MemberType::regular;
        auto program =
            std::ranges::find(mapped_programs, entry.source,
                              &std::pair<std::string, std::span<const std::byte>>::first);
        if (program != mapped_programs.end()) {
          member.data = program->second;
          break;
        }
        auto mapped = map_host_file(entry.source);
        if (!mapped) {
          return program_error(Kind::setup_failed, mapped.error());
        }
        if (!mapped->empty()) {
          sandbox->host_files_.push_back(*mapped);
        }
        member.data = *mapped;
        break;
      }
      case rootfs::EntryKind::symlink:
        member.type = fs::tar::MemberType::symlink;
        member.link_target = entry.source;
        break;
    }
    members.push_back(std::move(member));
  }

  auto lower = fs::TarFileSystem::create_from_members(
      members, [](std::string_view warning) { fmt::print(stderr, "litebox: {}\n", warning); });
  fs::memfs::Options options;
  options.root_permissions = 0755;
  auto overlay = fs::OverlayFileSystem::create(fs::memfs::create(options), std::move(lower));
  if (!overlay) {
    return program_error(Kind::setup_failed, fmt::format("building the overlay root failed: {}",
                                                         describe(overlay.error())));
  }
  sandbox->vfs_ = std::make_unique<fs::Vfs>(std::move(*overlay));

  // build_root made the mount points directories of the lower layer.
  if (auto mounted = sandbox->mount_standard_file_systems(MountPoints::present); !mounted) {
    return program_error(Kind::setup_failed, mounted.error());
  }
  program_path = root->program_paths.empty() ? *found : root->program_paths.front();
  return sandbox;
}

}  // namespace litebox::cli
