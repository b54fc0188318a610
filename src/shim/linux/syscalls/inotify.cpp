// File change notification: inotify_init, inotify_init1, inotify_add_watch
// and inotify_rm_watch. The instances and watches are fs::InotifyInstance
// and the VFS's fs::WatchRegistry.
#include "litebox/fs/inotify.hpp"
#include "litebox/fs/vfs.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/syscall_table.hpp"
#include "shim/linux/syscalls/file_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

// Every bit inotify_add_watch(2) accepts in a mask.
constexpr uint32_t watch_flag_bits = fs::in_only_directory | fs::in_dont_follow |
                                     fs::in_exclude_unlinked | fs::in_mask_create |
                                     fs::in_mask_add | fs::in_one_shot;

Result<uint64_t> create_instance(Task& task, uint32_t flags) {
  auto instance = TRY(fs::InotifyInstance::create(task.kernel().vfs().watch_registry(), flags));
  const bool close_on_exec = (flags & fs::in_close_on_exec) != 0;
  return TRY(task.process().descriptors().allocate(std::move(instance), close_on_exec));
}

// The inotify instance behind `descriptor`: `ebadf` for a closed one,
// `einval` for any other kind of file.
Result<std::shared_ptr<fs::InotifyInstance>> instance_of(Task& task, int32_t descriptor) {
  std::shared_ptr<fd::File> file = TRY(file_of(task, descriptor));
  auto instance = std::dynamic_pointer_cast<fs::InotifyInstance>(file);
  if (!instance) {
    return fail(Errno::einval);
  }
  return instance;
}

Result<uint64_t> sys_inotify_init(Task& task, const SyscallArguments&) {
  return create_instance(task, 0);
}

Result<uint64_t> sys_inotify_init1(Task& task, const SyscallArguments& arguments) {
  return create_instance(task, arguments.as_uint(0));
}

Result<uint64_t> sys_inotify_add_watch(Task& task, const SyscallArguments& arguments) {
  const uint32_t mask = arguments.as_uint(2);
  if ((mask & fs::in_mask_add) && (mask & fs::in_mask_create)) {
    return fail(Errno::einval);
  }
  if ((mask & (fs::in_all_events | watch_flag_bits)) == 0) {
    return fail(Errno::einval);
  }
  auto instance = TRY(instance_of(task, arguments.as_int(0)));
  std::string path = TRY(read_guest_path(arguments[1]));

  // The watched inode must be readable, and IN_ONLYDIR requires a
  // directory.
  fs::PathContext context = task.process().path_context();
  const uint32_t resolve_flags =
      (mask & fs::in_dont_follow) ? uint32_t{fs::at_symlink_nofollow} : 0u;
  fs::Location location =
      TRY(task.kernel().vfs().resolve(context, context.working_directory, path, resolve_flags));
  fs::Stat status = TRY(location.inode->stat());
  if ((mask & fs::in_only_directory) && fs::file_type_of(status.mode) != fs::FileType::directory) {
    return fail(Errno::enotdir);
  }
  TRY_VOID(fs::Vfs::check_permission(context.credentials, status, fs::access_read));

  const int32_t descriptor =
      TRY(instance->registry().add_watch(*instance, fs::inode_id_of(status), mask));
  return static_cast<uint64_t>(descriptor);
}

Result<uint64_t> sys_inotify_rm_watch(Task& task, const SyscallArguments& arguments) {
  auto instance = TRY(instance_of(task, arguments.as_int(0)));
  TRY_VOID(instance->registry().remove_watch(*instance, arguments.as_int(1)));
  return 0;
}

}  // namespace

void register_inotify_syscalls(SyscallTable& table) {
  table.add(nr::inotify_init, sys_inotify_init);
  table.add(nr::inotify_init1, sys_inotify_init1);
  table.add(nr::inotify_add_watch, sys_inotify_add_watch);
  table.add(nr::inotify_rm_watch, sys_inotify_rm_watch);
}

}  // namespace litebox::shim::linux_abi
