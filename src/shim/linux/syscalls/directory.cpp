// Directory system calls: listing (getdents64), the working directory
// (getcwd, chdir, fchdir) and the name space operations mkdir, mknod,
// rmdir, unlink, rename, link, symlink and readlink, with their *at forms.
#include <algorithm>
#include <cstring>
#include <vector>

#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/syscalls/file_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

// renameat2(2) flags.
constexpr uint32_t rename_whiteout = 4;
constexpr uint32_t rename_known_flags =
    fs::rename_noreplace | fs::rename_exchange | rename_whiteout;

// The fixed part of struct linux_dirent64: d_ino, d_off, d_reclen, d_type.
constexpr size_t dirent64_header_size = 19;

size_t dirent64_record_length(size_t name_length) {
  // The name is NUL-terminated and each record is 8-byte aligned.
  return (dirent64_header_size + name_length + 1 + 7) & ~size_t{7};
}

Result<uint64_t> sys_getdents64(Task& task, const SyscallArguments& arguments) {
  const uint64_t address = arguments[1];
  const size_t capacity = std::min<uint64_t>(arguments.as_uint(2), 1 << 20);
  auto file = TRY(file_of(task, arguments.as_int(0)));

  std::vector<std::byte> buffer;
  buffer.reserve(std::min<size_t>(capacity, 64 * 1024));
  bool too_small = false;
  TRY_VOID(file->read_directory([&](const fs::DirectoryEntry& entry, uint64_t next_position) {
    size_t length = dirent64_record_length(entry.name.size());
    if (buffer.size() + length > capacity) {
      too_small = buffer.empty();
      return false;
    }

    size_t start = buffer.size();
    buffer.resize(start + length);
    std::byte* record = buffer.data() + start;
    uint64_t inode = entry.inode;
    auto offset = static_cast<int64_t>(next_position);
    auto record_length = static_cast<uint16_t>(length);
    uint8_t type = fs::directory_entry_type(entry.type);
    std::memcpy(record, &inode, 8);
    std::memcpy(record + 8, &offset, 8);
    std::memcpy(record + 16, &record_length, 2);
    std::memcpy(record + 18, &type, 1);
    std::memcpy(record + dirent64_header_size, entry.name.data(), entry.name.size());
    return true;
  }));

  if (too_small) {
    return fail(Errno::einval);
  }
  TRY_VOID(copy_to_guest(address, buffer));
  return buffer.size();
}

Result<uint64_t> sys_getcwd(Task& task, const SyscallArguments& arguments) {
  const uint64_t address = arguments[0];
  const uint64_t size = arguments[1];

  fs::PathContext context = task.process().path_context();
  std::string path = TRY(task.kernel().vfs().path_of(context, context.working_directory));

  if (path.size() + 1 > size) {
    return fail(Errno::erange);
  }
  path.push_back('\0');
  TRY_VOID(copy_to_guest(address, std::as_bytes(std::span(path))));
  return path.size();
}

// Makes `location` the working directory after checking that it is a
// directory the caller may search.
Result<uint64_t> change_directory(Task& task, const fs::PathContext& context,
                                  fs::Location location) {
  fs::Stat status = TRY(location.inode->stat());
  if (fs::file_type_of(status.mode) != fs::FileType::directory) {
    return fail(Errno::enotdir);
  }
  TRY_VOID(fs::Vfs::check_permission(context.credentials, status, fs::access_execute));

  sync::LockGuard guard(task.process().lock);
  task.process().paths.working_directory = std::move(location);
  return 0;
}

Result<uint64_t> sys_chdir(Task& task, const SyscallArguments& arguments) {
  std::string path = TRY(read_guest_path(arguments[0]));

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, at_fdcwd, path));
  fs::Location location = TRY(task.kernel().vfs().resolve(context, start, path, 0));
  return change_directory(task, context, std::move(location));
}

Result<uint64_t> sys_fchdir(Task& task, const SyscallArguments& arguments) {
  fs::Location location = TRY(directory_of_descriptor(task, arguments.as_int(0)));

  fs::PathContext context = task.process().path_context();
  return change_directory(task, context, std::move(location));
}

Result<uint64_t> make_directory_at(Task& task, int32_t directory_fd, uint64_t path_address,
                                   uint32_t mode) {
  std::string path = TRY(read_guest_path(path_address));

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, directory_fd, path));
  TRY_VOID(task.kernel().vfs().make_directory(context, start, path, mode));
  return 0;
}

Result<uint64_t> sys_mkdir(Task& task, const SyscallArguments& arguments) {
  return make_directory_at(task, at_fdcwd, arguments[0], arguments.as_uint(1));
}

Result<uint64_t> sys_mkdirat(Task& task, const SyscallArguments& arguments) {
  return make_directory_at(task, arguments.as_int(0), arguments[1], arguments.as_uint(2));
}

Result<uint64_t> make_node_at(Task& task, int32_t directory_fd, uint64_t path_address,
                              uint32_t mode, uint64_t device) {
  std::string path = TRY(read_guest_path(path_address));

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, directory_fd, path));
  TRY_VOID(task.kernel().vfs().make_node(context, start, path, mode, device));
  return 0;
}

Result<uint64_t> sys_mknod(Task& task, const SyscallArguments& arguments) {
  return make_node_at(task, at_fdcwd, arguments[0], arguments.as_uint(1), arguments[2]);
}

Result<uint64_t> sys_mknodat(Task& task, const SyscallArguments& arguments) {
  return make_node_at(task, arguments.as_int(0), arguments[1], arguments.as_uint(2), arguments[3]);
}

Result<uint64_t> unlink_at(Task& task, int32_t directory_fd, uint64_t path_address,
                           uint32_t flags) {
  if (flags & ~uint32_t{fs::at_remove_directory}) {
    return fail(Errno::einval);
  }
  std::string path = TRY(read_guest_path(path_address));

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, directory_fd, path));
  TRY_VOID(task.kernel().vfs().unlink(context, start, path, flags));
  return 0;
}

Result<uint64_t> sys_unlink(Task& task, const SyscallArguments& arguments) {
  return unlink_at(task, at_fdcwd, arguments[0], 0);
}

Result<uint64_t> sys_rmdir(Task& task, const SyscallArguments& arguments) {
  return unlink_at(task, at_fdcwd, arguments[0], fs::at_remove_directory);
}

Result<uint64_t> sys_unlinkat(Task& task, const SyscallArguments& arguments) {
  return unlink_at(task, arguments.as_int(0), arguments[1], arguments.as_uint(2));
}

Result<uint64_t> rename_at(Task& task, int32_t old_directory_fd, uint64_t old_address,
                           int32_t new_directory_fd, uint64_t new_address, uint32_t flags) {
  if (flags & ~rename_known_flags) {
    return fail(Errno::einval);
  }
  if ((flags & fs::rename_exchange) && (flags & (fs::rename_noreplace | rename_whiteout))) {
    return fail(Errno::einval);
  }
  if (flags & rename_whiteout) {
    // TODO: RENAME_WHITEOUT (used by overlay file systems) is not supported.
    return fail(Errno::einval);
  }
  std::string old_path = TRY(read_guest_path(old_address));
  std::string new_path = TRY(read_guest_path(new_address));

  fs::PathContext context = task.process().path_context();
  fs::Location old_start = TRY(start_of(task, context, old_directory_fd, old_path));
  fs::Location new_start = TRY(start_of(task, context, new_directory_fd, new_path));
  TRY_VOID(task.kernel().vfs().rename(context, old_start, old_path, new_start, new_path, flags));
  return 0;
}

Result<uint64_t> sys_rename(Task& task, const SyscallArguments& arguments) {
  return rename_at(task, at_fdcwd, arguments[0], at_fdcwd, arguments[1], 0);
}

Result<uint64_t> sys_renameat(Task& task, const SyscallArguments& arguments) {
  return rename_at(task, arguments.as_int(0), arguments[1], arguments.as_int(2), arguments[3], 0);
}

Result<uint64_t> sys_renameat2(Task& task, const SyscallArguments& arguments) {
  return rename_at(task, arguments.as_int(0), arguments[1], arguments.as_int(2), arguments[3],
                   arguments.as_uint(4));
}

Result<uint64_t> link_at(Task& task, int32_t old_directory_fd, uint64_t old_address,
                         int32_t new_directory_fd, uint64_t new_address, uint32_t flags) {
  if (flags & ~uint32_t{fs::at_symlink_follow | fs::at_empty_path}) {
    return fail(Errno::einval);
  }
  std::string old_path = TRY(read_guest_path(old_address));
  std::string new_path = TRY(read_guest_path(new_address));

  fs::PathContext context = task.process().path_context();
  fs::Location old_start = TRY(start_of(task, context, old_directory_fd, old_path));
  fs::Location new_start = TRY(start_of(task, context, new_directory_fd, new_path));
  TRY_VOID(task.kernel().vfs().link(context, old_start, old_path, new_start, new_path, flags));
  return 0;
}

Result<uint64_t> sys_link(Task& task, const SyscallArguments& arguments) {
  return link_at(task, at_fdcwd, arguments[0], at_fdcwd, arguments[1], 0);
}

Result<uint64_t> sys_linkat(Task& task, const SyscallArguments& arguments) {
  return link_at(task, arguments.as_int(0), arguments[1], arguments.as_int(2), arguments[3],
                 arguments.as_uint(4));
}

Result<uint64_t> symlink_at(Task& task, uint64_t target_address, int32_t directory_fd,
                            uint64_t path_address) {
  std::string target = TRY(read_guest_path(target_address));
  std::string path = TRY(read_guest_path(path_address));

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, directory_fd, path));
  TRY_VOID(task.kernel().vfs().make_symlink(context, target, start, path));
  return 0;
}

Result<uint64_t> sys_symlink(Task& task, const SyscallArguments& arguments) {
  return symlink_at(task, arguments[0], at_fdcwd, arguments[1]);
}

Result<uint64_t> sys_symlinkat(Task& task, const SyscallArguments& arguments) {
  return symlink_at(task, arguments[0], arguments.as_int(1), arguments[2]);
}

Result<uint64_t> read_link_at(Task& task, int32_t directory_fd, uint64_t path_address,
                              uint64_t buffer_address, int32_t size) {
  if (size <= 0) {
    return fail(Errno::einval);
  }
  std::string path = TRY(read_guest_path(path_address));

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, directory_fd, path));
  std::string target = TRY(task.kernel().vfs().read_link(context, start, path));

  // readlink(2) truncates silently and never adds a NUL.
  size_t length = std::min(target.size(), static_cast<size_t>(size));
  TRY_VOID(copy_to_guest(buffer_address, std::as_bytes(std::span(target.data(), length))));
  return length;
}

Result<uint64_t> sys_readlink(Task& task, const SyscallArguments& arguments) {
  return read_link_at(task, at_fdcwd, arguments[0], arguments[1], arguments.as_int(2));
}

Result<uint64_t> sys_readlinkat(Task& task, const SyscallArguments& arguments) {
  return read_link_at(task, arguments.as_int(0), arguments[1], arguments[2], arguments.as_int(3));
}

}  // namespace

void register_directory_syscalls(SyscallTable& table) {
  table.add(nr::getdents64, sys_getdents64);
  table.add(nr::getcwd, sys_getcwd);
  table.add(nr::chdir, sys_chdir);
  table.add(nr::fchdir, sys_fchdir);
  table.add(nr::mkdir, sys_mkdir);
  table.add(nr::mkdirat, sys_mkdirat);
  table.add(nr::mknod, sys_mknod);
  table.add(nr::mknodat, sys_mknodat);
  table.add(nr::unlink, sys_unlink);
  table.add(nr::unlinkat, sys_unlinkat);
  table.add(nr::rmdir, sys_rmdir);
  table.add(nr::rename, sys_rename);
  table.add(nr::renameat, sys_renameat);
  table.add(nr::renameat2, sys_renameat2);
  table.add(nr::link, sys_link);
  table.add(nr::linkat, sys_linkat);
  table.add(nr::symlink, sys_symlink);
  table.add(nr::symlinkat, sys_symlinkat);
  table.add(nr::readlink, sys_readlink);
  table.add(nr::readlinkat, sys_readlinkat);
}

}  // namespace litebox::shim::linux_abi
