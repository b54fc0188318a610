// Descriptor table system calls: dup, dup2, dup3, fcntl, close_range, pipe
// and pipe2.
#include <array>

#include "litebox/ipc/pipe.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/syscalls/file_support.hpp"
#include "shim/linux/syscalls/lock.hpp"
#include "shim/linux/syscalls/memfd.hpp"

namespace litebox::shim::linux_abi {

namespace {

// fcntl(2) commands other than the record lock ones (RecordLockCommand).
enum FcntlCommand : uint32_t {
  f_dupfd = 0,
  f_getfd = 1,
  f_setfd = 2,
  f_getfl = 3,
  f_setfl = 4,
  f_setown = 8,
  f_getown = 9,
  f_dupfd_cloexec = 1030,
  f_setpipe_sz = 1031,
  f_getpipe_sz = 1032,
};

constexpr uint64_t fd_cloexec = 1;

// pipe2(2) flags: O_DIRECT selects packet mode.
constexpr uint32_t pipe_known_flags =
    fd::open_close_on_exec | fd::open_non_blocking | fd::open_direct;

Result<uint64_t> sys_dup(Task& task, const SyscallArguments& arguments) {
  return TRY(task.process().descriptors().dup(arguments.as_int(0)));
}

Result<uint64_t> sys_dup2(Task& task, const SyscallArguments& arguments) {
  return TRY(task.process().descriptors().dup2(arguments.as_int(0), arguments.as_int(1)));
}

Result<uint64_t> sys_dup3(Task& task, const SyscallArguments& arguments) {
  return TRY(task.process().descriptors().dup3(arguments.as_int(0), arguments.as_int(1),
                                               arguments.as_uint(2)));
}

// F_GETPIPE_SZ and F_SETPIPE_SZ. Linux takes the size as an unsigned int and
// fails with EBADF on a descriptor that is not a pipe or fifo.
Result<uint64_t> pipe_size(Task& task, int32_t descriptor, uint32_t command, uint32_t size) {
  auto file = TRY(file_of(task, descriptor));
  auto* end = dynamic_cast<ipc::PipeEnd*>(file.get());
  if (end == nullptr) {
    return fail(Errno::ebadf);
  }
  if (command == f_getpipe_sz) {
    return end->pipe().capacity();
  }
  bool privileged = false;
  {
    Process& process = task.process();
    sync::LockGuard guard(process.lock);
    // CAP_SYS_RESOURCE: see the TODO on capability sets in credentials.cpp.
    privileged = process.credentials.euid == 0;
  }
  return TRY(end->pipe().set_capacity(size, privileged));
}

Result<uint64_t> sys_fcntl(Task& task, const SyscallArguments& arguments) {
  const int32_t descriptor = arguments.as_int(0);
  const uint32_t command = arguments.as_uint(1);
  const uint64_t argument = arguments[2];
  fd::DescriptorTable& descriptors = task.process().descriptors();

  switch (command) {
    case f_dupfd:
    case f_dupfd_cloexec:
      return TRY(descriptors.duplicate_from(descriptor, static_cast<int32_t>(argument),
                                            command == f_dupfd_cloexec));
    case f_getfd:
      return TRY(descriptors.close_on_exec(descriptor)) ? fd_cloexec : 0;
    case f_setfd:
      TRY_VOID(descriptors.set_close_on_exec(descriptor, (argument & fd_cloexec) != 0));
      return 0;
    case f_getfl: {
      auto file = TRY(file_of(task, descriptor));
      return file->status_flags() & ~open_only_flags;
    }
    case f_setfl: {
      auto file = TRY(file_of(task, descriptor));
      file->set_status_flags(static_cast<uint32_t>(argument));
      return 0;
    }
    case f_getlk:
    case f_setlk:
    case f_setlkw:
    case f_ofd_getlk:
    case f_ofd_setlk:
    case f_ofd_setlkw:
      return fcntl_record_lock(task, descriptor, command, argument);
    case f_getown:
      TRY(file_of(task, descriptor));
      return 0;
    case f_setown:
      // TODO: SIGIO delivery to an owner is not supported; the owner is
      // accepted and forgotten.
      TRY(file_of(task, descriptor));
      return 0;
    case f_getpipe_sz:
    case f_setpipe_sz:
      return pipe_size(task, descriptor, command, arguments.as_uint(2));
    case f_add_seals:
    case f_get_seals:
      return fcntl_seals(task, descriptor, command, arguments.as_uint(2));
    default:
      TRY(file_of(task, descriptor));
      return fail(Errno::einval);
  }
}

Result<uint64_t> sys_close_range(Task& task, const SyscallArguments& arguments) {
  const uint32_t first = arguments.as_uint(0);
  const uint32_t last = arguments.as_uint(1);
  const uint32_t flags = arguments.as_uint(2);
  if (flags & ~uint32_t{fd::close_range_unshare | fd::close_range_cloexec}) {
    return fail(Errno::einval);
  }
  if (first > last) {
    return fail(Errno::einval);
  }
  TRY_VOID(task.process().descriptors().close_range(first, last, flags));
  return 0;
}

Result<uint64_t> create_pipe_at(Task& task, uint64_t address, uint32_t flags) {
  if (flags & ~pipe_known_flags) {
    return fail(Errno::einval);
  }
  // TODO: O_DIRECT (packet mode) is accepted but pipes stay byte streams.
  flags &= ~uint32_t{fd::open_direct};

  ipc::PipeEnds ends = TRY(ipc::create_pipe(flags, task.process().credentials.file_system()));
  bool close_on_exec = flags & fd::open_close_on_exec;
  fd::DescriptorTable& descriptors = task.process().descriptors();

  int read_descriptor = TRY(descriptors.allocate(ends.read_end, close_on_exec));
  auto write_descriptor = descriptors.allocate(ends.write_end, close_on_exec);
  if (!write_descriptor) {
    (void)descriptors.close(read_descriptor);
    return fail(write_descriptor.error());
  }

  std::array<int32_t, 2> numbers{read_descriptor, *write_descriptor};
  if (auto written = GuestPtr<int32_t>(address).write_array(numbers); !written) {
    (void)descriptors.close(read_descriptor);
    (void)descriptors.close(*write_descriptor);
    return fail(written.error());
  }
  return 0;
}

Result<uint64_t> sys_pipe(Task& task, const SyscallArguments& arguments) {
  return create_pipe_at(task, arguments[0], 0);
}

Result<uint64_t> sys_pipe2(Task& task, const SyscallArguments& arguments) {
  return create_pipe_at(task, arguments[0], arguments.as_uint(1));
}

}  // namespace

void register_descriptor_syscalls(SyscallTable& table) {
  table.add(nr::dup, sys_dup);
  table.add(nr::dup2, sys_dup2);
  table.add(nr::dup3, sys_dup3);
  table.add(nr::fcntl, sys_fcntl);
  table.add(nr::close_range, sys_close_range);
  table.add(nr::pipe, sys_pipe);
  table.add(nr::pipe2, sys_pipe2);
}

}  // namespace litebox::shim::linux_abi
