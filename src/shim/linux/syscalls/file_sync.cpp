// Write-back and access advice: fsync(2), fdatasync(2), sync(2),
// syncfs(2), sync_file_range(2), fadvise64(2) and readahead(2). File data
// lives in memory, so there is nothing to write back or read ahead, and
// each call only checks its descriptor and arguments as Linux does. The
// exception is fsync and fdatasync of a host file redirected to a standard
// stream, which reach the host.
#include "shim/linux/kernel.hpp"
#include "shim/linux/syscalls/file_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

// The descriptor's open file description, or `ebadf` also for an O_PATH
// descriptor, which these calls do not accept.
Result<std::shared_ptr<fd::File>> open_file_of(Task& task, int32_t descriptor) {
  auto file = TRY(file_of(task, descriptor));
  if (file->flags() & fd::open_path) {
    return fail(Errno::ebadf);
  }
  return file;
}

Result<fs::FileType> file_type_of(fd::File& file) {
  fs::Stat status = TRY(file.stat());
  return fs::file_type_of(status.mode);
}

// fsync(2) and fdatasync(2): Linux syncs regular files and directories and
// rejects other files (pipes, sockets, devices) with `einval`.
Result<uint64_t> sync_file(Task& task, int32_t descriptor, bool data_only) {
  auto file = TRY(open_file_of(task, descriptor));
  const fs::FileType type = TRY(file_type_of(*file));
  if (type != fs::FileType::regular && type != fs::FileType::directory) {
    return fail(Errno::einval);
  }
  TRY_VOID(file->sync(data_only));
  return 0;
}

Result<uint64_t> sys_fsync(Task& task, const SyscallArguments& arguments) {
  return sync_file(task, arguments.as_int(0), false);
}

Result<uint64_t> sys_fdatasync(Task& task, const SyscallArguments& arguments) {
  return sync_file(task, arguments.as_int(0), true);
}

Result<uint64_t> sys_sync(Task&, const SyscallArguments&) { return 0; }

// syncfs(2) accepts any open descriptor, pipes and sockets included.
Result<uint64_t> sys_syncfs(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(open_file_of(task, arguments.as_int(0)));
  return 0;
}

// sync_file_range(2) flags: SYNC_FILE_RANGE_WAIT_BEFORE, _WRITE, _WAIT_AFTER.
constexpr uint32_t sync_file_range_flags = 0x1 | 0x2 | 0x4;

Result<uint64_t> sys_sync_file_range(Task& task, const SyscallArguments& arguments) {
  auto file = TRY(open_file_of(task, arguments.as_int(0)));
  const auto offset = static_cast<int64_t>(arguments[1]);
  // The end wraps as in the kernel, which builds without signed overflow.
  const auto end = static_cast<int64_t>(arguments[1] + arguments[2]);
  if ((arguments.as_uint(3) & ~sync_file_range_flags) != 0 || offset < 0 || end < 0 ||
      end < offset) {
    return fail(Errno::einval);
  }

  const fs::FileType type = TRY(file_type_of(*file));
  if (type != fs::FileType::regular && type != fs::FileType::directory &&
      type != fs::FileType::symlink && type != fs::FileType::block_device) {
    return fail(Errno::espipe);
  }
  return 0;
}

// posix_fadvise(2) advice values: POSIX_FADV_NORMAL to POSIX_FADV_NOREUSE.
constexpr int32_t fadvise_normal = 0;
constexpr int32_t fadvise_noreuse = 5;

// Checks the arguments of fadvise64(2): pipes fail with `espipe` whatever
// the other arguments are, then a negative length or an unknown advice
// fails with `einval`. Linux accepts any offset.
Result<void> check_advice(fd::File& file, int64_t length, int32_t advice) {
  if (TRY(file_type_of(file)) == fs::FileType::fifo) {
    return fail(Errno::espipe);
  }
  if (length < 0 || advice < fadvise_normal || advice > fadvise_noreuse) {
    return fail(Errno::einval);
  }
  return {};
}

Result<uint64_t> sys_fadvise64(Task& task, const SyscallArguments& arguments) {
  auto file = TRY(open_file_of(task, arguments.as_int(0)));
  TRY_VOID(check_advice(*file, static_cast<int64_t>(arguments[2]), arguments.as_int(3)));
  return 0;
}

// readahead(2) reads ahead only in regular files opened for reading, then
// checks the range as fadvise64(2) with POSIX_FADV_WILLNEED does.
Result<uint64_t> sys_readahead(Task& task, const SyscallArguments& arguments) {
  constexpr int32_t fadvise_willneed = 3;
  auto file = TRY(open_file_of(task, arguments.as_int(0)));
  if (!fd::readable(file->flags())) {
    return fail(Errno::ebadf);
  }
  if (TRY(file_type_of(*file)) != fs::FileType::regular) {
    return fail(Errno::einval);
  }
  TRY_VOID(check_advice(*file, static_cast<int64_t>(arguments[2]), fadvise_willneed));
  return 0;
}

}  // namespace

void register_file_sync_syscalls(SyscallTable& table) {
  table.add(nr::fsync, sys_fsync);
  table.add(nr::fdatasync, sys_fdatasync);
  table.add(nr::sync, sys_sync);
  table.add(nr::syncfs, sys_syncfs);
  table.add(nr::sync_file_range, sys_sync_file_range);
  table.add(nr::fadvise64, sys_fadvise64);
  table.add(nr::readahead, sys_readahead);
}

}  // namespace litebox::shim::linux_abi
