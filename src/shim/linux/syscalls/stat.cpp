// File attribute system calls: the stat family and statx, statfs,
// access, chmod, chown, umask, truncate and utimensat.
#include <array>
#include <limits>
#include <optional>

#include "litebox/fd/stdio_file.hpp"
#include "litebox/platform/platform.hpp"
#include "shim/linux/device_number.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/syscalls/file_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

// statx(2) request and result mask bits.
constexpr uint32_t statx_basic_stats = 0x7ff;  // STATX_TYPE .. STATX_BLOCKS
constexpr uint32_t statx_reserved = 0x80000000;
// AT_STATX_SYNC_TYPE: the two sync-mode bits; both set is invalid.
constexpr uint32_t at_statx_sync_type = 0x6000;

// utimensat(2) special nanosecond values.
constexpr int64_t utime_now = (1 << 30) - 1;
constexpr int64_t utime_omit = (1 << 30) - 2;

// The f_type of descriptors without a file system inode (pipes).
constexpr uint64_t pipefs_magic = 0x50495045;

struct StatxTimestamp {
  int64_t seconds;
  uint32_t nanoseconds;
  int32_t reserved;
};

// struct statx.
struct LinuxStatx {
  uint32_t stx_mask;
  uint32_t stx_blksize;
  uint64_t stx_attributes;
  uint32_t stx_nlink;
  uint32_t stx_uid;
  uint32_t stx_gid;
  uint16_t stx_mode;
  uint16_t pad0;
  uint64_t stx_ino;
  uint64_t stx_size;
  uint64_t stx_blocks;
  uint64_t stx_attributes_mask;
  StatxTimestamp stx_atime;
  StatxTimestamp stx_btime;
  StatxTimestamp stx_ctime;
  StatxTimestamp stx_mtime;
  uint32_t stx_rdev_major;
  uint32_t stx_rdev_minor;
  uint32_t stx_dev_major;
  uint32_t stx_dev_minor;
  uint64_t stx_mnt_id;
  uint32_t stx_dio_mem_align;
  uint32_t stx_dio_offset_align;
  uint64_t spare[12];
};
static_assert(sizeof(LinuxStatx) == 256);

// struct statfs on x86-64.
struct LinuxStatfs {
  int64_t f_type;
  int64_t f_bsize;
  uint64_t f_blocks;
  uint64_t f_bfree;
  uint64_t f_bavail;
  uint64_t f_files;
  uint64_t f_ffree;
  int32_t f_fsid[2];
  int64_t f_namelen;
  int64_t f_frsize;
  int64_t f_flags;
  int64_t f_spare[4];
};
static_assert(sizeof(LinuxStatfs) == 120);

StatxTimestamp to_statx_timestamp(const fs::Timespec& time) {
  return {time.seconds, static_cast<uint32_t>(time.nanoseconds), 0};
}

LinuxStatx to_linux_statx(const fs::Stat& status) {
  LinuxStatx result{};
  result.stx_mask = statx_basic_stats;
  result.stx_blksize = static_cast<uint32_t>(status.block_size);
  result.stx_nlink = status.link_count;
  result.stx_uid = status.uid;
  result.stx_gid = status.gid;
  result.stx_mode = static_cast<uint16_t>(status.mode);
  result.stx_ino = status.inode;
  result.stx_size = static_cast<uint64_t>(status.size);
  result.stx_blocks = static_cast<uint64_t>(status.blocks);
  result.stx_atime = to_statx_timestamp(status.access_time);
  result.stx_ctime = to_statx_timestamp(status.change_time);
  result.stx_mtime = to_statx_timestamp(status.modify_time);
  result.stx_rdev_major = device_major(status.rdev);
  result.stx_rdev_minor = device_minor(status.rdev);
  result.stx_dev_major = device_major(status.device);
  result.stx_dev_minor = device_minor(status.device);
  return result;
}

// Stats `path` relative to `directory_fd`, or the descriptor itself for an
// empty path with AT_EMPTY_PATH. `flags` holds AT_* bits already checked.
Result<fs::Stat> stat_at(Task& task, int32_t directory_fd, uint64_t path_address, uint32_t flags) {
  std::string path = TRY(read_guest_path(path_address));

  if (path.empty() && (flags & fs::at_empty_path)) {
    if (directory_fd == at_fdcwd) {
      fs::PathContext context = task.process().path_context();
      return context.working_directory.inode->stat();
    }
    auto file = TRY(file_of(task, directory_fd));
    return file->stat();
  }

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, directory_fd, path));
  return task.kernel().vfs().stat(context, start, path, flags & ~uint32_t{fs::at_empty_path});
}

Result<uint64_t> write_stat(uint64_t address, const fs::Stat& status) {
  TRY_VOID(GuestPtr<LinuxStat>(address).write(to_linux_stat(status)));
  return 0;
}

Result<uint64_t> sys_stat(Task& task, const SyscallArguments& arguments) {
  fs::Stat status = TRY(stat_at(task, at_fdcwd, arguments[0], 0));
  return write_stat(arguments[1], status);
}

Result<uint64_t> sys_lstat(Task& task, const SyscallArguments& arguments) {
  fs::Stat status = TRY(stat_at(task, at_fdcwd, arguments[0], fs::at_symlink_nofollow));
  return write_stat(arguments[1], status);
}

Result<uint64_t> sys_newfstatat(Task& task, const SyscallArguments& arguments) {
  const uint32_t flags = arguments.as_uint(3);
  if (flags & ~uint32_t{fs::at_symlink_nofollow | fs::at_no_automount | fs::at_empty_path}) {
    return fail(Errno::einval);
  }
  fs::Stat status = TRY(stat_at(task, arguments.as_int(0), arguments[1], flags));
  return write_stat(arguments[2], status);
}

Result<uint64_t> sys_statx(Task& task, const SyscallArguments& arguments) {
  const uint32_t flags = arguments.as_uint(2);
  const uint32_t mask = arguments.as_uint(3);
  constexpr uint32_t known_flags =
      fs::at_symlink_nofollow | fs::at_no_automount | fs::at_empty_path | at_statx_sync_type;
  if ((flags & ~known_flags) || (flags & at_statx_sync_type) == at_statx_sync_type) {
    return fail(Errno::einval);
  }
  if (mask & statx_reserved) {
    return fail(Errno::einval);
  }

  fs::Stat status =
      TRY(stat_at(task, arguments.as_int(0), arguments[1], flags & ~at_statx_sync_type));
  TRY_VOID(GuestPtr<LinuxStatx>(arguments[4]).write(to_linux_statx(status)));
  return 0;
}

LinuxStatfs to_linux_statfs(const fs::FileSystemStat& status) {
  LinuxStatfs result{};
  result.f_type = static_cast<int64_t>(status.type);
  result.f_bsize = static_cast<int64_t>(status.block_size);
  result.f_blocks = status.blocks;
  result.f_bfree = status.free_blocks;
  result.f_bavail = status.available_blocks;
  result.f_files = status.files;
  result.f_ffree = status.free_files;
  result.f_namelen = static_cast<int64_t>(status.name_max);
  result.f_frsize = static_cast<int64_t>(status.block_size);
  result.f_flags = static_cast<int64_t>(status.flags);
  return result;
}

Result<uint64_t> sys_statfs(Task& task, const SyscallArguments& arguments) {
  std::string path = TRY(read_guest_path(arguments[0]));

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, at_fdcwd, path));
  fs::Location location = TRY(task.kernel().vfs().resolve(context, start, path, 0));
  fs::FileSystemStat status = location.inode->file_system().stat_file_system();
  TRY_VOID(GuestPtr<LinuxStatfs>(arguments[1]).write(to_linux_statfs(status)));
  return 0;
}

Result<uint64_t> sys_fstatfs(Task& task, const SyscallArguments& arguments) {
  auto file = TRY(file_of(task, arguments.as_int(0)));

  fs::FileSystemStat status{.type = pipefs_magic};
  if (std::shared_ptr<fs::Inode> inode = file->inode()) {
    status = inode->file_system().stat_file_system();
  }
  TRY_VOID(GuestPtr<LinuxStatfs>(arguments[1]).write(to_linux_statfs(status)));
  return 0;
}

Result<uint64_t> access_at(Task& task, int32_t directory_fd, uint64_t path_address, uint32_t mode,
                           uint32_t flags) {
  if (mode & ~uint32_t{fs::access_read | fs::access_write | fs::access_execute}) {
    return fail(Errno::einval);
  }
  if (flags & ~uint32_t{at_effective_access | fs::at_symlink_nofollow | fs::at_empty_path}) {
    return fail(Errno::einval);
  }
  std::string path = TRY(read_guest_path(path_address));

  // access(2) checks with the real ids and AT_EACCESS with the effective
  // ones; path_context() carries the file-system ids.
  fs::PathContext context = task.process().path_context();
  if (!(flags & at_effective_access)) {
    sync::LockGuard guard(task.process().lock);
    context.credentials.uid = task.process().credentials.uid;
    context.credentials.gid = task.process().credentials.gid;
  }
  fs::Location start = TRY(start_of(task, context, directory_fd, path));
  TRY_VOID(task.kernel().vfs().access(context, start, path, mode,
                                      flags & ~uint32_t{at_effective_access}));
  return 0;
}

Result<uint64_t> sys_access(Task& task, const SyscallArguments& arguments) {
  return access_at(task, at_fdcwd, arguments[0], arguments.as_uint(1), 0);
}

Result<uint64_t> sys_faccessat(Task& task, const SyscallArguments& arguments) {
  return access_at(task, arguments.as_int(0), arguments[1], arguments.as_uint(2), 0);
}

Result<uint64_t> sys_faccessat2(Task& task, const SyscallArguments& arguments) {
  return access_at(task, arguments.as_int(0), arguments[1], arguments.as_uint(2),
                   arguments.as_uint(3));
}

// Applies `change` to `path` relative to `directory_fd`; `flags` may hold
// AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH.
Result<uint64_t> change_at(Task& task, int32_t directory_fd, uint64_t path_address, uint32_t flags,
                           const fs::AttributeChange& change) {
  std::string path = TRY(read_guest_path(path_address));

  fs::PathContext context = task.process().path_context();
  fs::Location start;
  if (path.empty() && (flags & fs::at_empty_path) && directory_fd != at_fdcwd) {
    start = TRY(location_of_descriptor(task, directory_fd));
  } else {
    start = TRY(start_of(task, context, directory_fd, path));
  }
  TRY_VOID(task.kernel().vfs().change_attributes(context, start, path, flags, change));
  return 0;
}

// The result of fchmod(2), fchown(2) or futimens(2) on a regular file
// redirected to a standard stream. The sandbox does not change the host
// file's mode, owner or times, since writing the file could not do that
// either, so the call fails as Linux fails it for a file that the caller
// may write but does not own: `eperm`, or `eacces` for setting both times
// to now. An owner change to the same ids (-1, -1) succeeds.
Result<uint64_t> refuse_stream_change(const fs::AttributeChange& change) {
  if (change.permissions || change.uid || change.gid) {
    return fail(Errno::eperm);
  }
  if (change.access_time || change.modify_time) {
    return fail(change.times_are_now ? Errno::eacces : Errno::eperm);
  }
  return 0;
}

// Applies `change` to the file behind descriptor `descriptor`.
Result<uint64_t> change_descriptor(Task& task, int32_t descriptor,
                                   const fs::AttributeChange& change) {
  auto file = TRY(file_of(task, descriptor));
  if (dynamic_cast<fd::StdioFile*>(file.get()) != nullptr &&
      fs::file_type_of(TRY(file->stat()).mode) == fs::FileType::regular) {
    return refuse_stream_change(change);
  }
  if (file->inode() == nullptr) {
    // TODO: pipes and sockets have anonymous inodes on Linux whose mode
    // and owner fchmod(2) and fchown(2) change; here the call is a no-op.
    return 0;
  }
  fs::Location location = TRY(location_of_descriptor(task, descriptor));

  fs::PathContext context = task.process().path_context();
  TRY_VOID(task.kernel().vfs().change_attributes(context, location, "", fs::at_empty_path, change));
  return 0;
}

Result<uint64_t> sys_chmod(Task& task, const SyscallArguments& arguments) {
  fs::AttributeChange change{.permissions = arguments.as_uint(1) & fs::mode_permission_mask};
  return change_at(task, at_fdcwd, arguments[0], 0, change);
}

Result<uint64_t> sys_fchmod(Task& task, const SyscallArguments& arguments) {
  fs::AttributeChange change{.permissions = arguments.as_uint(1) & fs::mode_permission_mask};
  return change_descriptor(task, arguments.as_int(0), change);
}

Result<uint64_t> sys_fchmodat(Task& task, const SyscallArguments& arguments) {
  fs::AttributeChange change{.permissions = arguments.as_uint(2) & fs::mode_permission_mask};
  return change_at(task, arguments.as_int(0), arguments[1], 0, change);
}

// The owner change of chown(2): -1 (as a 32-bit id) leaves an id alone.
fs::AttributeChange owner_change(uint32_t uid, uint32_t gid) {
  constexpr uint32_t unchanged = std::numeric_limits<uint32_t>::max();
  fs::AttributeChange change;
  if (uid != unchanged) {
    change.uid = uid;
  }
  if (gid != unchanged) {
    change.gid = gid;
  }
  return change;
}

Result<uint64_t> sys_chown(Task& task, const SyscallArguments& arguments) {
  return change_at(task, at_fdcwd, arguments[0], 0,
                   owner_change(arguments.as_uint(1), arguments.as_uint(2)));
}

Result<uint64_t> sys_lchown(Task& task, const SyscallArguments& arguments) {
  return change_at(task, at_fdcwd, arguments[0], fs::at_symlink_nofollow,
                   owner_change(arguments.as_uint(1), arguments.as_uint(2)));
}

Result<uint64_t> sys_fchown(Task& task, const SyscallArguments& arguments) {
  return change_descriptor(task, arguments.as_int(0),
                           owner_change(arguments.as_uint(1), arguments.as_uint(2)));
}

Result<uint64_t> sys_fchownat(Task& task, const SyscallArguments& arguments) {
  const uint32_t flags = arguments.as_uint(4);
  if (flags & ~uint32_t{fs::at_symlink_nofollow | fs::at_empty_path}) {
    return fail(Errno::einval);
  }
  return change_at(task, arguments.as_int(0), arguments[1], flags,
                   owner_change(arguments.as_uint(2), arguments.as_uint(3)));
}

Result<uint64_t> sys_umask(Task& task, const SyscallArguments& arguments) {
  sync::LockGuard guard(task.process().lock);
  uint32_t previous = task.process().paths.umask;
  task.process().paths.umask = arguments.as_uint(0) & 0777;
  return previous;
}

Result<uint64_t> sys_truncate(Task& task, const SyscallArguments& arguments) {
  const auto length = static_cast<int64_t>(arguments[1]);
  if (length < 0) {
    return fail(Errno::einval);
  }
  return signal_file_size_limit(
      task, change_at(task, at_fdcwd, arguments[0], 0,
                      fs::AttributeChange{.size = length, .size_limit = file_size_limit(task)}));
}

Result<uint64_t> sys_ftruncate(Task& task, const SyscallArguments& arguments) {
  const auto length = static_cast<int64_t>(arguments[1]);
  if (length < 0) {
    return fail(Errno::einval);
  }
  auto file = TRY(file_of(task, arguments.as_int(0)));

  // Linux returns EINVAL both for a description not open for writing and
  // for anything but a regular file.
  if (!fd::writable(file->flags())) {
    return fail(Errno::einval);
  }
  fs::Stat status = TRY(file->stat());
  if (fs::file_type_of(status.mode) != fs::FileType::regular) {
    return fail(Errno::einval);
  }
  TRY_VOID(signal_file_size_limit(task, file->truncate(length, file_size_limit(task))));
  return 0;
}

// The access and the modification time that utimensat(2) reads.
using FileTimes = std::array<fs::Timespec, 2>;

// One utimensat(2) time: UTIME_OMIT leaves it, UTIME_NOW takes the clock,
// anything else must be a valid timespec.
Result<std::optional<fs::Timespec>> requested_time(const fs::Timespec& time,
                                                   const fs::Timespec& now) {
  if (time.nanoseconds == utime_omit) {
    return std::nullopt;
  }
  if (time.nanoseconds == utime_now) {
    return now;
  }
  if (time.nanoseconds < 0 || time.nanoseconds >= 1'000'000'000) {
    return fail(Errno::einval);
  }
  return time;
}

// Sets the access and modification time of the file that `path_address`
// names from `directory_fd`, or of the descriptor itself when the path is
// null. `times` contains the two requested times (UTIME_OMIT and UTIME_NOW
// allowed), and no times means the current time for both.
Result<uint64_t> set_file_times(Task& task, int32_t directory_fd, uint64_t path_address,
                                uint32_t flags, std::optional<FileTimes> times) {
  fs::Timespec now = platform::current().clock.realtime_now();
  fs::AttributeChange change;
  // Setting both times to the current time needs only write access, where
  // other times need ownership.
  change.times_are_now =
      !times || ((*times)[0].nanoseconds == utime_now && (*times)[1].nanoseconds == utime_now);
  if (!times) {
    change.access_time = now;
    change.modify_time = now;
  } else {
    change.access_time = TRY(requested_time((*times)[0], now));
    change.modify_time = TRY(requested_time((*times)[1], now));
  }

  // A null path (a Linux extension that futimens(3) uses) names the
  // descriptor itself.
  if (path_address == 0) {
    if (directory_fd == at_fdcwd) {
      return fail(Errno::efault);
    }
    return change_descriptor(task, directory_fd, change);
  }
  return change_at(task, directory_fd, path_address, flags, change);
}

Result<uint64_t> sys_utimensat(Task& task, const SyscallArguments& arguments) {
  const uint64_t times_address = arguments[2];
  const uint32_t flags = arguments.as_uint(3);
  if (flags & ~uint32_t{fs::at_symlink_nofollow | fs::at_empty_path}) {
    return fail(Errno::einval);
  }

  std::optional<FileTimes> times;
  if (times_address != 0) {
    times = TRY(GuestPtr<FileTimes>(times_address).read());
    if (times->at(0).nanoseconds == utime_omit && times->at(1).nanoseconds == utime_omit) {
      return 0;
    }
  }
  return set_file_times(task, arguments.as_int(0), arguments[1], flags, times);
}

// utime(2): whole seconds, as struct utimbuf stores them.
Result<uint64_t> sys_utime(Task& task, const SyscallArguments& arguments) {
  struct LinuxUtimbuf {
    int64_t access_time;
    int64_t modify_time;
  };

  std::optional<FileTimes> times;
  if (arguments[1] != 0) {
    auto buffer = TRY(GuestPtr<LinuxUtimbuf>(arguments[1]).read());
    times = {fs::Timespec{buffer.access_time, 0}, fs::Timespec{buffer.modify_time, 0}};
  }
  return set_file_times(task, at_fdcwd, arguments[0], 0, times);
}

// futimesat(2), and utimes(2) as futimesat(AT_FDCWD, ...): microseconds in
// two struct timeval. Linux checks the microseconds before it converts
// them, which rejects UTIME_NOW and UTIME_OMIT too.
Result<uint64_t> set_file_times_in_microseconds(Task& task, int32_t directory_fd,
                                                uint64_t path_address, uint64_t times_address) {
  struct LinuxTimeval {
    int64_t seconds;
    int64_t microseconds;
  };
  using TimevalPair = std::array<LinuxTimeval, 2>;
  constexpr int64_t microseconds_per_second = 1'000'000;
  constexpr int64_t nanoseconds_per_microsecond = 1'000;

  std::optional<FileTimes> times;
  if (times_address != 0) {
    auto values = TRY(GuestPtr<TimevalPair>(times_address).read());
    times.emplace();
    for (size_t index = 0; index < values.size(); ++index) {
      const LinuxTimeval& value = values[index];
      if (value.microseconds < 0 || value.microseconds >= microseconds_per_second) {
        return fail(Errno::einval);
      }
      (*times)[index] = {value.seconds, value.microseconds * nanoseconds_per_microsecond};
    }
  }
  return set_file_times(task, directory_fd, path_address, 0, times);
}

Result<uint64_t> sys_utimes(Task& task, const SyscallArguments& arguments) {
  return set_file_times_in_microseconds(task, at_fdcwd, arguments[0], arguments[1]);
}

Result<uint64_t> sys_futimesat(Task& task, const SyscallArguments& arguments) {
  return set_file_times_in_microseconds(task, arguments.as_int(0), arguments[1], arguments[2]);
}

// Extended attributes. No file system here stores any yet.
// TODO: keep user.* and security.* attributes in memfs, as tmpfs does, and
// reject trusted.* writes from a guest without CAP_SYS_ADMIN with EPERM.

// Reads the name argument of an xattr call as Linux copies it, before it
// looks up the file: an empty name, or one longer than 255 bytes, fails
// with `erange`.
Result<std::string> read_xattr_name(uint64_t address) {
  constexpr size_t max_name_length = 255;
  auto name = read_guest_string(address, max_name_length);
  if (!name) {
    return fail(name.error() == Errno::enametoolong ? Errno::erange : name.error());
  }
  if (name->empty()) {
    return fail(Errno::erange);
  }
  return name;
}

// Checks a request for attribute `name` of a file with mode `mode` in
// Linux's order. First the access check: user.* attributes exist only on
// regular files and directories, so elsewhere a read finds nothing
// (`enodata`) and a write fails with `eperm`. Then the namespace: a name
// outside user., trusted., security. and the two POSIX ACL names of
// system. fails with `eopnotsupp`, and a bare prefix with `einval`.
Result<void> check_xattr_request(uint32_t mode, std::string_view name, bool write) {
  constexpr std::string_view user_prefix = "user.";
  fs::FileType type = fs::file_type_of(mode);
  if (name.starts_with(user_prefix) && type != fs::FileType::regular &&
      type != fs::FileType::directory) {
    return fail(write ? Errno::eperm : Errno::enodata);
  }

  constexpr std::array<std::string_view, 3> prefixes = {user_prefix, "trusted.", "security."};
  for (std::string_view prefix : prefixes) {
    if (name.starts_with(prefix)) {
      return name.size() == prefix.size() ? fail(Errno::einval) : Result<void>{};
    }
  }
  if (name == "system.posix_acl_access" || name == "system.posix_acl_default") {
    return {};
  }
  return fail(enotsup);
}

// Resolves the path argument of the path-based xattr calls and returns the
// file's mode, so a missing file still fails with the errno Linux gives.
Result<uint32_t> mode_of_xattr_path(Task& task, uint64_t path_address, bool follow) {
  std::string path = TRY(read_guest_path(path_address));

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, at_fdcwd, path));
  fs::Location location = TRY(task.kernel().vfs().resolve(
      context, start, path, follow ? 0u : uint32_t{fs::at_symlink_nofollow}));
  return TRY(location.inode->stat()).mode;
}

Result<uint32_t> mode_of_xattr_descriptor(Task& task, int32_t descriptor) {
  auto file = TRY(file_of(task, descriptor));
  return TRY(file->stat()).mode;
}

// Returns the mode of the file that an xattr call names: by the path in
// its first argument (following a final symlink when `follow` is true), or
// by the descriptor there when `follow` is empty.
Result<uint32_t> mode_of_xattr_target(Task& task, const SyscallArguments& arguments,
                                      std::optional<bool> follow) {
  if (follow) {
    return mode_of_xattr_path(task, arguments[0], *follow);
  }
  return mode_of_xattr_descriptor(task, arguments.as_int(0));
}

// Serves a read (`write` false) or a removal (`write` true) of an attribute
// of a file without attributes, which fails with `enodata` once the name
// passes check_xattr_request.
Result<uint64_t> access_absent_xattr(Task& task, const SyscallArguments& arguments,
                                     std::optional<bool> follow, bool write) {
  std::string name = TRY(read_xattr_name(arguments[1]));
  uint32_t mode = TRY(mode_of_xattr_target(task, arguments, follow));
  TRY_VOID(check_xattr_request(mode, name, write));
  return fail(Errno::enodata);
}

Result<uint64_t> sys_getxattr(Task& task, const SyscallArguments& arguments) {
  return access_absent_xattr(task, arguments, true, false);
}

Result<uint64_t> sys_lgetxattr(Task& task, const SyscallArguments& arguments) {
  return access_absent_xattr(task, arguments, false, false);
}

Result<uint64_t> sys_fgetxattr(Task& task, const SyscallArguments& arguments) {
  return access_absent_xattr(task, arguments, std::nullopt, false);
}

// listxattr(2) of a file without attributes: an empty list.
Result<uint64_t> sys_listxattr(Task& task, const SyscallArguments& arguments) {
  TRY(mode_of_xattr_path(task, arguments[0], true));
  return 0;
}

Result<uint64_t> sys_llistxattr(Task& task, const SyscallArguments& arguments) {
  TRY(mode_of_xattr_path(task, arguments[0], false));
  return 0;
}

Result<uint64_t> sys_flistxattr(Task& task, const SyscallArguments& arguments) {
  TRY(file_of(task, arguments.as_int(0)));
  return 0;
}

// Sets an attribute where none can be stored. Before it looks up the file,
// Linux checks the flags (XATTR_CREATE, XATTR_REPLACE) with `einval`, the
// name as read_xattr_name does, and a value of at most XATTR_SIZE_MAX
// (64 KiB) with `e2big`. A request that passes every check fails with
// `eopnotsupp`.
Result<uint64_t> set_unstored_xattr(Task& task, const SyscallArguments& arguments,
                                    std::optional<bool> follow) {
  constexpr uint32_t known_flags = 1 | 2;
  constexpr uint64_t max_value_size = 65536;
  if ((arguments.as_uint(4) & ~known_flags) != 0) {
    return fail(Errno::einval);
  }
  std::string name = TRY(read_xattr_name(arguments[1]));
  if (arguments[3] > max_value_size) {
    return fail(Errno::e2big);
  }

  uint32_t mode = TRY(mode_of_xattr_target(task, arguments, follow));
  TRY_VOID(check_xattr_request(mode, name, true));
  return fail(enotsup);
}

Result<uint64_t> sys_setxattr(Task& task, const SyscallArguments& arguments) {
  return set_unstored_xattr(task, arguments, true);
}

Result<uint64_t> sys_lsetxattr(Task& task, const SyscallArguments& arguments) {
  return set_unstored_xattr(task, arguments, false);
}

Result<uint64_t> sys_fsetxattr(Task& task, const SyscallArguments& arguments) {
  return set_unstored_xattr(task, arguments, std::nullopt);
}

Result<uint64_t> sys_removexattr(Task& task, const SyscallArguments& arguments) {
  return access_absent_xattr(task, arguments, true, true);
}

Result<uint64_t> sys_lremovexattr(Task& task, const SyscallArguments& arguments) {
  return access_absent_xattr(task, arguments, false, true);
}

Result<uint64_t> sys_fremovexattr(Task& task, const SyscallArguments& arguments) {
  return access_absent_xattr(task, arguments, std::nullopt, true);
}

}  // namespace

void register_stat_syscalls(SyscallTable& table) {
  table.add(nr::getxattr, sys_getxattr);
  table.add(nr::lgetxattr, sys_lgetxattr);
  table.add(nr::fgetxattr, sys_fgetxattr);
  table.add(nr::listxattr, sys_listxattr);
  table.add(nr::llistxattr, sys_llistxattr);
  table.add(nr::flistxattr, sys_flistxattr);
  table.add(nr::setxattr, sys_setxattr);
  table.add(nr::lsetxattr, sys_lsetxattr);
  table.add(nr::fsetxattr, sys_fsetxattr);
  table.add(nr::removexattr, sys_removexattr);
  table.add(nr::lremovexattr, sys_lremovexattr);
  table.add(nr::fremovexattr, sys_fremovexattr);
  table.add(nr::stat, sys_stat);
  table.add(nr::lstat, sys_lstat);
  table.add(nr::newfstatat, sys_newfstatat);
  table.add(nr::statx, sys_statx);
  table.add(nr::statfs, sys_statfs);
  table.add(nr::fstatfs, sys_fstatfs);
  table.add(nr::access, sys_access);
  table.add(nr::faccessat, sys_faccessat);
  table.add(nr::faccessat2, sys_faccessat2);
  table.add(nr::chmod, sys_chmod);
  table.add(nr::fchmod, sys_fchmod);
  table.add(nr::fchmodat, sys_fchmodat);
  table.add(nr::chown, sys_chown);
  table.add(nr::fchown, sys_fchown);
  table.add(nr::lchown, sys_lchown);
  table.add(nr::fchownat, sys_fchownat);
  table.add(nr::umask, sys_umask);
  table.add(nr::truncate, sys_truncate);
  table.add(nr::ftruncate, sys_ftruncate);
  table.add(nr::utimensat, sys_utimensat);
  table.add(nr::utime, sys_utime);
  table.add(nr::utimes, sys_utimes);
  table.add(nr::futimesat, sys_futimesat);
}

}  // namespace litebox::shim::linux_abi
