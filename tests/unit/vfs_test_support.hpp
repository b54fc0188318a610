// Test support for the Vfs: a sandbox Vfs on memfs and a native temporary
// directory, with each operation run in both so tests compare the sandbox's
// errno with the host kernel's.
//
// The sandbox mirrors the native directory's absolute path (for example
// /tmp/litebox-vfs-AbC123), so absolute symlinks name the same place in both.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "litebox/fd/file.hpp"
#include "litebox/fs/memfs.hpp"
#include "litebox/fs/vfs.hpp"

namespace litebox::testing {

// The errno of a sandbox result, 0 for success.
template <typename T>
int errno_of(const Result<T>& result) {
  return result ? 0 : static_cast<int>(result.error());
}

// The errno of a native call that returns -1 on failure, 0 for success.
inline int native_errno(long rc) { return rc < 0 ? errno : 0; }

// A fresh host directory under /tmp, removed with its contents at the end.
class NativeDirectory {
 public:
  NativeDirectory() {
    char pattern[] = "/tmp/litebox-vfs-XXXXXX";
    char* created = mkdtemp(pattern);
    EXPECT_NE(created, nullptr) << "mkdtemp failed: errno " << errno;
    path_ = created ? created : "";
    fd_ = open(path_.c_str(), O_DIRECTORY | O_RDONLY);
    // Other users must reach the directory for the non-root tests.
    chmod(path_.c_str(), 0755);
  }
  ~NativeDirectory() {
    close(fd_);
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  NativeDirectory(const NativeDirectory&) = delete;
  NativeDirectory& operator=(const NativeDirectory&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// A Vfs whose root is `root_file_system` (by default a memfs), with `/tmp`
// (mode 01777, as on the host) and a working directory at `mirror_path`.
class Sandbox {
 public:
  explicit Sandbox(const std::string& mirror_path,
                   std::shared_ptr<fs::FileSystem> root_file_system = nullptr)
      : root_file_system_(root_file_system
                              ? std::move(root_file_system)
                              : fs::memfs::create(fs::memfs::Options{.root_permissions = 0755})),
        vfs_(root_file_system_) {
    context.root = vfs_.root();
    context.working_directory = vfs_.root();
    context.umask = 0;

    // A given root file system may already contain both directories.
    for (auto [path, mode] : {std::pair{std::string("/tmp"), 01777}, {mirror_path, 0755}}) {
      auto made = vfs_.make_directory(context, vfs_.root(), path, static_cast<uint32_t>(mode));
      EXPECT_TRUE(made || made.error() == Errno::eexist) << path;
    }
    auto working_directory = vfs_.resolve(context, vfs_.root(), mirror_path, 0);
    EXPECT_TRUE(working_directory);
    if (working_directory) {
      context.working_directory = *working_directory;
    }
  }

  fs::Vfs& vfs() { return vfs_; }
  const fs::Location& cwd() const { return context.working_directory; }

  fs::PathContext context;

 private:
  std::shared_ptr<fs::FileSystem> root_file_system_;
  fs::Vfs vfs_;
};

// Runs each operation in the sandbox and natively, expects the same errno,
// and returns it. Relative paths start at the mirrored directory in both.
class Dual {
 public:
  // Builds the sandbox's root file system, given the mirrored path.
  using RootFactory = std::function<std::shared_ptr<fs::FileSystem>(const std::string&)>;

  // Both sides run with umask 0 unless a test sets one, so modes match.
  explicit Dual(const RootFactory& make_root = nullptr)
      : saved_umask_(::umask(0)),
        sandbox_(native_.path(), make_root ? make_root(native_.path()) : nullptr) {}
  ~Dual() { ::umask(saved_umask_); }
  Dual(const Dual&) = delete;
  Dual& operator=(const Dual&) = delete;

  fs::Vfs& vfs() { return sandbox_.vfs(); }
  fs::PathContext& context() { return sandbox_.context; }
  const fs::Location& cwd() const { return sandbox_.cwd(); }
  const std::string& native_path() const { return native_.path(); }
  int native_fd() const { return native_.fd(); }

  // Runs later operations with fsuid and fsgid `id` and no supplementary
  // groups: in the sandbox through the credentials, natively in a forked
  // child that drops to that identity before the call.
  void become_user(uint32_t id) {
    user_ = id;
    sandbox_.context.credentials = fs::Credentials{.uid = id, .gid = id, .groups = {}};
  }
  void become_root() {
    user_.reset();
    sandbox_.context.credentials = fs::Credentials{};
  }

  int compare(const std::string& what, int sandbox, const std::function<long()>& native_call) {
    int native = run_native(native_call);
    EXPECT_EQ(sandbox, native) << what << ": sandbox errno " << sandbox << ", native errno "
                               << native;
    return native;
  }

  int mkdir(const std::string& path, mode_t mode = 0755) {
    int sandbox = errno_of(vfs().make_directory(context(), cwd(), path, mode));
    return compare("mkdir " + path, sandbox,
                   [&] { return ::mkdirat(native_fd(), path.c_str(), mode); });
  }

  int open(const std::string& path, int flags, mode_t mode = 0644) {
    int sandbox = errno_of(vfs().open(context(), cwd(), path, static_cast<uint32_t>(flags), mode));
    return compare("open " + path + " flags " + std::to_string(flags), sandbox, [&]() -> long {
      int fd = ::openat(native_fd(), path.c_str(), flags, mode);
      if (fd >= 0) {
        ::close(fd);
      }
      return fd;
    });
  }

  int create_file(const std::string& path, const std::string& content = {}, mode_t mode = 0644) {
    int sandbox = 0;
    auto file = vfs().open(context(), cwd(), path, O_CREAT | O_WRONLY | O_TRUNC, mode);
    if (!file) {
      sandbox = errno_of(file);
    } else if (!content.empty()) {
      sandbox = errno_of((*file)->write(std::as_bytes(std::span(content))));
    }
    return compare("create " + path, sandbox, [&]() -> long {
      int fd = ::openat(native_fd(), path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, mode);
      if (fd < 0) {
        return -1;
      }
      long written = content.empty() ? 0 : ::write(fd, content.data(), content.size());
      int saved = errno;
      ::close(fd);
      errno = saved;
      return written < 0 ? -1 : 0;
    });
  }

  int symlink(const std::string& target, const std::string& path) {
    int sandbox = errno_of(vfs().make_symlink(context(), target, cwd(), path));
    return compare("symlink " + path + " -> " + target, sandbox,
                   [&] { return ::symlinkat(target.c_str(), native_fd(), path.c_str()); });
  }

  int link(const std::string& old_path, const std::string& new_path, int flags = 0) {
    int sandbox = errno_of(
        vfs().link(context(), cwd(), old_path, cwd(), new_path, static_cast<uint32_t>(flags)));
    return compare("link " + old_path + " " + new_path, sandbox, [&] {
      return ::linkat(native_fd(), old_path.c_str(), native_fd(), new_path.c_str(), flags);
    });
  }

  int unlink(const std::string& path, int flags = 0) {
    int sandbox = errno_of(vfs().unlink(context(), cwd(), path, static_cast<uint32_t>(flags)));
    return compare("unlink " + path, sandbox,
                   [&] { return ::unlinkat(native_fd(), path.c_str(), flags); });
  }

  int rmdir(const std::string& path) { return unlink(path, AT_REMOVEDIR); }

  int rename(const std::string& old_path, const std::string& new_path, unsigned flags = 0) {
    int sandbox = errno_of(vfs().rename(context(), cwd(), old_path, cwd(), new_path, flags));
    return compare("rename " + old_path + " " + new_path, sandbox, [&] {
      return ::syscall(SYS_renameat2, native_fd(), old_path.c_str(), native_fd(), new_path.c_str(),
                       flags);
    });
  }

  int mknod(const std::string& path, mode_t mode, dev_t device = 0) {
    int sandbox = errno_of(vfs().make_node(context(), cwd(), path, mode, device));
    return compare("mknod " + path, sandbox,
                   [&] { return ::mknodat(native_fd(), path.c_str(), mode, device); });
  }

  int stat(const std::string& path, int flags = 0) {
    int sandbox = errno_of(vfs().stat(context(), cwd(), path, static_cast<uint32_t>(flags)));
    return compare("stat " + path, sandbox, [&] {
      struct stat status;
      return ::fstatat(native_fd(), path.c_str(), &status, flags);
    });
  }

  int access(const std::string& path, int mode, int flags = 0) {
    int sandbox = errno_of(vfs().access(context(), cwd(), path, static_cast<uint32_t>(mode),
                                        static_cast<uint32_t>(flags)));
    // Without AT_EACCESS the host checks the real uid, which stays 0 in the
    // child; the sandbox has a single uid.
    int native_flags = user_ ? flags | AT_EACCESS : flags;
    return compare("access " + path, sandbox, [&] {
      return ::syscall(SYS_faccessat2, native_fd(), path.c_str(), mode, native_flags);
    });
  }

  int read_link(const std::string& path) {
    auto result = vfs().read_link(context(), cwd(), path);
    std::string native_target(4096, '\0');
    long native_length = 0;
    int native = compare("readlink " + path, errno_of(result), [&] {
      return native_length = ::readlinkat(native_fd(), path.c_str(), native_target.data(),
                                          native_target.size());
    });
    if (result && native_length >= 0 && !user_) {
      native_target.resize(static_cast<size_t>(native_length));
      EXPECT_EQ(*result, native_target);
    }
    return native;
  }

  int chmod(const std::string& path, mode_t mode) {
    fs::AttributeChange change;
    change.permissions = mode;
    int sandbox = errno_of(vfs().change_attributes(context(), cwd(), path, 0, change));
    return compare("chmod " + path, sandbox,
                   [&] { return ::fchmodat(native_fd(), path.c_str(), mode, 0); });
  }

  int chown(const std::string& path, uid_t uid, gid_t gid) {
    fs::AttributeChange change;
    if (uid != static_cast<uid_t>(-1)) {
      change.uid = uid;
    }
    if (gid != static_cast<gid_t>(-1)) {
      change.gid = gid;
    }
    int sandbox = errno_of(vfs().change_attributes(context(), cwd(), path, 0, change));
    return compare("chown " + path, sandbox,
                   [&] { return ::fchownat(native_fd(), path.c_str(), uid, gid, 0); });
  }

  int truncate(const std::string& path, off_t size) {
    fs::AttributeChange change;
    change.size = size;
    int sandbox = errno_of(vfs().change_attributes(context(), cwd(), path, 0, change));
    return compare("truncate " + path, sandbox,
                   [&] { return ::truncate((native_path() + "/" + path).c_str(), size); });
  }

  // The sandbox and native stat of `path`, both of which must succeed.
  std::pair<fs::Stat, struct stat> stat_both(const std::string& path, int flags = 0) {
    auto sandbox = vfs().stat(context(), cwd(), path, static_cast<uint32_t>(flags));
    EXPECT_TRUE(sandbox) << "sandbox stat " << path;
    struct stat native {};
    EXPECT_EQ(::fstatat(native_fd(), path.c_str(), &native, flags), 0) << "native stat " << path;
    return {sandbox.value_or(fs::Stat{}), native};
  }

 private:
  int run_native(const std::function<long()>& call) {
    if (!user_) {
      return native_errno(call());
    }
    pid_t child = ::fork();
    if (child == 0) {
      ::setgroups(0, nullptr);
      ::setfsgid(*user_);
      ::setfsuid(*user_);
      int error = native_errno(call());
      ::_exit(error);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status));
    return WEXITSTATUS(status);
  }

  mode_t saved_umask_;
  NativeDirectory native_;
  Sandbox sandbox_;
  std::optional<uint32_t> user_;
};

// A memfs mounted at `name` in the sandbox and a tmpfs at the same place on
// the host, detached again at the end.
class MountedDual {
 public:
  explicit MountedDual(const std::string& name) {
    EXPECT_EQ(d.mkdir(name), 0);
    native_mount_ = d.native_path() + "/" + name;
    native_mounted_ = ::mount("tmpfs", native_mount_.c_str(), "tmpfs", 0, "mode=0755") == 0;
    EXPECT_TRUE(d.vfs().mount(d.context(), name,
                              fs::memfs::create(fs::memfs::Options{.root_permissions = 0755})));
  }
  ~MountedDual() {
    if (native_mounted_) {
      ::umount2(native_mount_.c_str(), MNT_DETACH);
    }
  }
  MountedDual(const MountedDual&) = delete;
  MountedDual& operator=(const MountedDual&) = delete;

  bool native_mounted() const { return native_mounted_; }

  Dual d;

 private:
  std::string native_mount_;
  bool native_mounted_ = false;
};

#define REQUIRE_NATIVE_MOUNT(m)                                           \
  if (!(m).native_mounted()) {                                            \
    GTEST_SKIP() << "mounting tmpfs on the host failed: errno " << errno; \
  }

}  // namespace litebox::testing
