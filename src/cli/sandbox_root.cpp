#include "sandbox_root.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "litebox/fs/devfs.hpp"
#include "litebox/fs/memfs.hpp"
#include "litebox/fs/overlay_file_system.hpp"
#include "litebox/fs/tar_file_system.hpp"
#include "rootfs/rootfs.hpp"
#include "shim/linux/procfs.hpp"

namespace litebox::cli {

namespace {

std::string describe(Errno error) { return std::string(errno_name(error)); }

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

std::expected<void, std::string> copy_host_file(fs::Vfs& vfs, const fs::PathContext& context,
                                                const rootfs::RootEntry& entry) {
  std::ifstream input(entry.source, std::ios::binary);
  if (!input) {
    return std::unexpected(fmt::format("cannot read host file {}", entry.source));
  }
  auto file = vfs.open(context, context.root, entry.path,
                       fd::open_write_only | fd::open_create | fd::open_truncate, entry.mode);
  if (!file) {
    return std::unexpected(
        fmt::format("creating {} in the sandbox failed: {}", entry.path, describe(file.error())));
  }

  std::vector<char> buffer(1 << 16);
  while (input) {
    input.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto count = static_cast<size_t>(input.gcount());
    size_t written = 0;
    while (written < count) {
      // Safety: reinterpreting chars as bytes for the byte-oriented interface.
      auto result = (*file)->write(
          {reinterpret_cast<const std::byte*>(buffer.data()) + written, count - written});
      if (!result || *result == 0) {
        return std::unexpected(fmt::format("writing {} in the sandbox failed", entry.path));
      }
      written += *result;
    }
  }

  // The permission bits exactly as on the host, not reduced by the umask.
  fs::AttributeChange change;
  change.permissions = entry.mode;
  (void)vfs.change_attributes(context, context.root, entry.path, 0, change);
  return {};
}

}  // namespace

SandboxRoot::~SandboxRoot() {
  vfs_.reset();
  if (image_ != nullptr) {
    munmap(image_, image_size_);
  }
}

fs::PathContext SandboxRoot::root_context() {
  fs::PathContext context;
  context.root = vfs_->root();
  context.working_directory = context.root;
  context.umask = 0;
  return context;
}

std::expected<void, std::string> SandboxRoot::mount_standard_file_systems() {
  fs::PathContext context = root_context();

  if (auto made = make_directory_if_missing(*vfs_, context, "/dev", 0755); !made) {
    return made;
  }
  if (auto mounted = vfs_->mount(context, "/dev", fs::devfs::create()); !mounted) {
    return std::unexpected(
        fmt::format("mounting devfs on /dev failed: {}", describe(mounted.error())));
  }
  if (auto made = make_directory_if_missing(*vfs_, context, "/proc", 0555); !made) {
    return made;
  }
  auto procfs = fs::procfs::create(shim::linux_abi::make_procfs_provider());
  if (auto mounted = vfs_->mount(context, "/proc", std::move(procfs)); !mounted) {
    return std::unexpected(
        fmt::format("mounting procfs on /proc failed: {}", describe(mounted.error())));
  }
  // Both roots are writable in memory already, so /tmp needs no tmpfs of
  // its own; one would also hide whatever the image keeps under /tmp.
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
  if (fstat(descriptor, &status) != 0 || status.st_size == 0) {
    ::close(descriptor);
    return std::unexpected(fmt::format("root image {} is empty or unreadable", image_path));
  }
  sandbox->image_size_ = static_cast<size_t>(status.st_size);
  sandbox->image_ = mmap(nullptr, sandbox->image_size_, PROT_READ, MAP_PRIVATE, descriptor, 0);
  ::close(descriptor);
  if (sandbox->image_ == MAP_FAILED) {
    sandbox->image_ = nullptr;
    return std::unexpected(
        fmt::format("cannot map root image {}: {}", image_path, std::strerror(errno)));
  }

  // Safety: the mapping is image_size_ readable bytes and outlives the file
  // systems, which the destructor drops first.
  std::span<const std::byte> archive(static_cast<const std::byte*>(sandbox->image_),
                                     sandbox->image_size_);
  auto lower = fs::TarFileSystem::create(archive, [&](std::string_view warning) {
    fmt::print(stderr, "litebox: {}: {}\n", image_path, warning);
  });
  if (!lower) {
    return std::unexpected(fmt::format("{}: {}", image_path, lower.error().message));
  }
  fs::memfs::Options options;
  options.root_permissions = 0755;
  auto root = fs::OverlayFileSystem::create(fs::memfs::create(options), std::move(*lower));
  if (!root) {
    return std::unexpected(
        fmt::format("building the overlay root failed: {}", describe(root.error())));
  }
  sandbox->vfs_ = std::make_unique<fs::Vfs>(std::move(*root));

  if (auto mounted = sandbox->mount_standard_file_systems(); !mounted) {
    return std::unexpected(mounted.error());
  }
  return sandbox;
}

std::expected<std::unique_ptr<SandboxRoot>, std::string> SandboxRoot::from_host_program(
    const std::string& host_program, std::string& program_path) {
  rootfs::RootRequest request;
  request.programs = {host_program};
  const char* host_path = std::getenv("PATH");
  request.search_path = host_path != nullptr ? host_path : "/usr/bin:/bin";
  auto root = rootfs::build_root(request);
  if (!root) {
    return std::unexpected(root.error());
  }
  for (const std::string& warning : root->warnings) {
    fmt::print(stderr, "litebox: {}\n", warning);
  }

  std::unique_ptr<SandboxRoot> sandbox(new SandboxRoot());
  fs::memfs::Options options;
  options.root_permissions = 0755;
  sandbox->vfs_ = std::make_unique<fs::Vfs>(fs::memfs::create(options));
  fs::PathContext context = sandbox->root_context();

  for (const rootfs::RootEntry& entry : root->entries) {
    if (entry.path == "/") {
      continue;
    }
    switch (entry.kind) {
      case rootfs::EntryKind::directory:
        if (auto made = make_directory_if_missing(*sandbox->vfs_, context, entry.path, entry.mode);
            !made) {
          return std::unexpected(made.error());
        }
        break;
      case rootfs::EntryKind::regular_file:
        if (auto copied = copy_host_file(*sandbox->vfs_, context, entry); !copied) {
          return std::unexpected(copied.error());
        }
        break;
      case rootfs::EntryKind::symlink:
        if (auto made =
                sandbox->vfs_->make_symlink(context, entry.source, context.root, entry.path);
            !made && made.error() != Errno::eexist) {
          return std::unexpected(fmt::format("creating symlink {} in the sandbox failed: {}",
                                             entry.path, describe(made.error())));
        }
        break;
    }
  }

  if (auto mounted = sandbox->mount_standard_file_systems(); !mounted) {
    return std::unexpected(mounted.error());
  }
  program_path = root->program_paths.empty() ? host_program : root->program_paths.front();
  return sandbox;
}

}  // namespace litebox::cli
