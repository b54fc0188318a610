// Process system calls: exit, ids, thread bookkeeping, prctl and
// arch_prctl, uname, sysinfo, getrandom, resource limits and scheduling.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "litebox/platform/platform.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/kernel_identity.hpp"
#include "shim/linux/loader/loader.hpp"
#include "shim/linux/resource_usage.hpp"
#include "shim/linux/signal/signal_frame.hpp"
#include "shim/linux/syscalls/file_support.hpp"
#include "shim/linux/syscalls/pidfd.hpp"
#include "shim/linux/timers.hpp"

namespace litebox::shim::linux_abi {

namespace {

Result<uint64_t> sys_exit_group(Task& task, const SyscallArguments& arguments) {
  task.kernel().exit_process(task, arguments.as_int(0));
}

// MAX_ARG_STRLEN (32 pages): the maximum size of one argument or
// environment string of execve(2), NUL included.
constexpr size_t max_exec_string_bytes = size_t{32} * 4096;

// Returns the maximum size of the strings of execve(2) (the program's path,
// the arguments and the environment, NULs included) plus one pointer per
// argument and environment string. It is a quarter of RLIMIT_STACK, which
// Linux caps at 6 MiB (three quarters of its 8 MiB _STK_LIM) and raises to
// at least ARG_MAX (128 KiB).
size_t exec_strings_limit(Task& task) {
  constexpr uint64_t cap = uint64_t{6} << 20;
  constexpr uint64_t floor = uint64_t{128} << 10;
  const uint64_t stack = task.process().limit(Resource::stack).current;
  return std::max(std::min(stack / 4, cap), floor);
}

// Reads the argv and envp arrays of execve(2) and execveat(2) into
// `request`, whose path is set, and applies Linux's limits to them.
Result<void> read_exec_strings(Task& task, ExecRequest& request, uint64_t arguments,
                               uint64_t environment) {
  const size_t limit = exec_strings_limit(task);
  request.arguments = TRY(read_guest_string_array(arguments, limit / sizeof(uint64_t), limit));
  request.environment = TRY(read_guest_string_array(environment, limit / sizeof(uint64_t), limit));

  // Linux counts a pointer for argv[0] even when argv is empty.
  const size_t pointers =
      std::max<size_t>(request.arguments.size(), 1) + request.environment.size();
  size_t total = request.path.size() + 1 + pointers * sizeof(uint64_t);
  for (const auto* strings : {&request.arguments, &request.environment}) {
    for (const std::string& string : *strings) {
      if (string.size() + 1 > max_exec_string_bytes) {
        return fail(Errno::e2big);
      }
      total += string.size() + 1;
    }
  }
  if (total > limit) {
    return fail(Errno::e2big);
  }
  return {};
}

// Replaces the image of the calling process with the program `request`
// names; returns only on an error found before the point of no return.
Result<uint64_t> execute(Task& task, const ExecRequest& request) {
  constexpr int signal_segmentation_fault = 11;

  auto prepared = prepare_program(task, request);
  if (!prepared) {
    return fail(prepared.error().error);
  }

  // The point of no return: the other threads end, then the old image goes
  // away.
  task.kernel().end_other_threads(task);
  Process& process = task.process();
  process.memory.clear();
  process.syscall_sites.clear();
  process.descriptors().close_on_exec_descriptors();
  {
    sync::LockGuard guard(process.lock);
    const ProcessCredentials& credentials = process.credentials;
    process.dumpable = credentials.euid == credentials.uid && credentials.egid == credentials.gid;
    constexpr uint32_t read_implies_exec = 0x0400000;
    process.personality &= ~read_implies_exec;
    for (SignalAction& action : process.signal_actions) {
      // Handlers are reset to the default action; ignored signals stay ignored.
      if (action.handler > 1) {
        action = SignalAction{};
      }
    }
  }
  task.kernel().record_exec(task);
  if (process.timers != nullptr) {
    process.timers->remove_posix_timers();
  }
  task.alternate_stack = SignalStack{};
  task.clear_child_tid = 0;
  task.robust_list_head = 0;
  task.keep_capabilities = false;

  auto loaded = map_program(task, *prepared);
  if (!loaded) {
    // Linux kills a process whose new image fails to map with SIGSEGV.
    task.kernel().kill_process(task, signal_segmentation_fault);
  }

  if (task.extended_state.data != nullptr) {
    reset_extended_state(task.extended_state);
  }
  platform::GuestRegisters& registers = *task.registers;
  registers = platform::GuestRegisters{};
  registers.rip = loaded->entry;
  registers.rsp = loaded->stack_pointer;
  registers.rflags = 0x202;
  return 0;
}

Result<uint64_t> sys_execve(Task& task, const SyscallArguments& arguments) {
  ExecRequest request;
  request.path = TRY(read_guest_path(arguments[0]));
  TRY_VOID(read_exec_strings(task, request, arguments[1], arguments[2]));
  if (request.path.empty()) {
    return fail(Errno::enoent);
  }
  return execute(task, request);
}

// execveat(2): the program is `path` relative to `directory_fd`, or, with
// AT_EMPTY_PATH and an empty path, the file open on `directory_fd`, as
// fexecve(3) uses it. A path relative to a descriptor runs under its
// absolute path in the sandbox, where Linux names it /dev/fd/N/PATH.
Result<uint64_t> sys_execveat(Task& task, const SyscallArguments& arguments) {
  const int32_t directory_fd = arguments.as_int(0);
  const uint32_t flags = arguments.as_uint(4);
  if ((flags & ~uint32_t{fs::at_empty_path | fs::at_symlink_nofollow}) != 0) {
    return fail(Errno::einval);
  }

  const std::string path = TRY(read_guest_path(arguments[1]));
  fs::Vfs& vfs = task.kernel().vfs();
  fs::PathContext context = task.process().path_context();
  ExecRequest request;
  if (path.empty()) {
    if (!(flags & fs::at_empty_path)) {
      return fail(Errno::enoent);
    }
    // Linux names such a program /dev/fd/N.
    request.file = TRY(location_of_descriptor(task, directory_fd));
    request.path = fmt::format("/dev/fd/{}", directory_fd);
  } else {
    fs::Location start = TRY(start_of(task, context, directory_fd, path));
    fs::Location location = TRY(vfs.resolve(context, start, path, flags & fs::at_symlink_nofollow));
    const fs::Stat status = TRY(location.inode->stat());
    if (fs::file_type_of(status.mode) == fs::FileType::symlink) {
      return fail(Errno::eloop);
    }
    request.path = path;
    if (!path.starts_with('/') && directory_fd != at_fdcwd) {
      request.path = TRY(vfs.path_of(context, start)) + "/" + path;
    }
  }
  TRY_VOID(read_exec_strings(task, request, arguments[2], arguments[3]));
  return execute(task, request);
}

// wait4(2) and waitid(2) options.
constexpr uint32_t wait_no_hang = 1;
constexpr uint32_t wait_untraced = 2;
constexpr uint32_t wait_exited = 4;
constexpr uint32_t wait_continued = 8;
constexpr uint32_t wait_no_wait = 0x01000000;
constexpr uint32_t wait_no_thread = 0x20000000;
constexpr uint32_t wait_all = 0x40000000;
constexpr uint32_t wait_clone = 0x80000000;

Result<uint64_t> sys_wait4(Task& task, const SyscallArguments& arguments) {
  const int32_t selector = arguments.as_int(0);
  const uint32_t options = arguments.as_uint(2);
  constexpr uint32_t known =
      wait_no_hang | wait_untraced | wait_continued | wait_no_thread | wait_all | wait_clone;
  if ((options & ~known) != 0 || selector == INT32_MIN) {
    return fail(Errno::einval);
  }

  Kernel::WaitFilter filter;
  filter.stopped = (options & wait_untraced) != 0;
  filter.continued = (options & wait_continued) != 0;
  filter.block = (options & wait_no_hang) == 0;
  auto reaped = TRY(task.kernel().wait_child(task, selector, filter));
  if (reaped.pid == 0) {
    return 0;
  }
  if (arguments[1] != 0) {
    TRY_VOID(GuestPtr<int32_t>(arguments[1]).write(reaped.wait_status));
  }
  if (arguments[3] != 0) {
    TRY_VOID(
        GuestPtr<LinuxResourceUsage>(arguments[3]).write(to_linux_resource_usage(reaped.usage)));
  }
  return static_cast<uint64_t>(reaped.pid);
}

// The start of siginfo_t as waitid(2) fills it for SIGCHLD.
struct ChildSignalInfo {
  int32_t signal_number;
  int32_t error_number;
  int32_t code;
  int32_t padding;
  int32_t pid;
  uint32_t uid;
  int32_t status;
};

// The si_code and si_status of waitid(2) for the wait status of `reaped`.
ChildSignalInfo child_signal_info(const Kernel::ChildExit& reaped) {
  const int32_t status = reaped.wait_status;
  int32_t code = si::child_killed;
  int32_t value = status & 0x7f;
  if (status == 0xffff) {
    code = si::child_continued;
    value = sig::cont;
  } else if ((status & 0xff) == 0x7f) {
    code = si::child_stopped;
    value = (status >> 8) & 0xff;
  } else if ((status & 0x7f) == 0) {
    code = si::child_exited;
    value = (status >> 8) & 0xff;
  }
  return ChildSignalInfo{sig::child, 0, code, 0, reaped.pid, 0, value};
}

Result<uint64_t> sys_waitid(Task& task, const SyscallArguments& arguments) {
  constexpr uint32_t id_all = 0;
  constexpr uint32_t id_pid = 1;
  constexpr uint32_t id_process_group = 2;
  constexpr uint32_t id_pidfd = 3;
  const uint32_t id_type = arguments.as_uint(0);
  const int32_t id = arguments.as_int(1);
  const uint32_t options = arguments.as_uint(3);
  constexpr uint32_t known = wait_no_hang | wait_untraced | wait_exited | wait_continued |
                             wait_no_wait | wait_no_thread | wait_all | wait_clone;
  if ((options & ~known) != 0 || (options & (wait_exited | wait_untraced | wait_continued)) == 0) {
    return fail(Errno::einval);
  }
  int32_t selector = -1;
  bool non_blocking_pidfd = false;
  if (id_type == id_pidfd) {
    if (id < 0) {
      return fail(Errno::einval);
    }
    const std::shared_ptr<PidFile> pidfd = TRY(pidfd_of(task, id));
    selector = pidfd->pid();
    non_blocking_pidfd = (pidfd->flags() & fd::open_non_blocking) != 0;
  } else if (id_type == id_pid) {
    if (id <= 0) {
      return fail(Errno::einval);
    }
    selector = id;
  } else if (id_type == id_process_group) {
    if (id < 0) {
      return fail(Errno::einval);
    }
    selector = id == 0 ? 0 : -id;
  } else if (id_type != id_all) {
    return fail(Errno::einval);
  }

  Kernel::WaitFilter filter;
  filter.exited = (options & wait_exited) != 0;
  filter.stopped = (options & wait_untraced) != 0;  // WSTOPPED
  filter.continued = (options & wait_continued) != 0;
  // A non-blocking pidfd turns the wait into WNOHANG, but one that finds
  // nothing fails with EAGAIN unless the caller asked for WNOHANG itself.
  filter.block = (options & wait_no_hang) == 0 && !non_blocking_pidfd;
  filter.keep = (options & wait_no_wait) != 0;
  const Kernel::ChildExit reaped = TRY(task.kernel().wait_child(task, selector, filter));
  if (reaped.pid == 0 && non_blocking_pidfd && (options & wait_no_hang) == 0) {
    return fail(Errno::eagain);
  }
  if (arguments[2] != 0) {
    // siginfo_t is 128 bytes; with WNOHANG and no changed child it is zeroed.
    std::array<std::byte, 128> info{};
    if (reaped.pid != 0) {
      const ChildSignalInfo child = child_signal_info(reaped);
      std::memcpy(info.data(), &child, sizeof(child));
    }
    TRY_VOID(copy_to_guest(arguments[2], std::span(info)));
  }
  if (arguments[4] != 0 && reaped.pid != 0) {
    TRY_VOID(
        GuestPtr<LinuxResourceUsage>(arguments[4]).write(to_linux_resource_usage(reaped.usage)));
  }
  return 0;
}

Result<uint64_t> sys_getpid(Task& task, const SyscallArguments&) {
  return static_cast<uint64_t>(task.process().pid());
}

Result<uint64_t> sys_getppid(Task& task, const SyscallArguments&) {
  return static_cast<uint64_t>(task.process().parent_pid());
}

Result<uint64_t> sys_gettid(Task& task, const SyscallArguments&) {
  return static_cast<uint64_t>(task.tid());
}

Result<uint64_t> sys_getpgrp(Task& task, const SyscallArguments&) {
  return static_cast<uint64_t>(task.process().process_group);
}

Result<uint64_t> sys_getpgid(Task& task, const SyscallArguments& arguments) {
  return static_cast<uint64_t>(TRY(task.kernel().process_group_of(task, arguments.as_int(0))));
}

Result<uint64_t> sys_setpgid(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(task.kernel().set_process_group(task, arguments.as_int(0), arguments.as_int(1)));
  return 0;
}

Result<uint64_t> sys_getsid(Task& task, const SyscallArguments& arguments) {
  return static_cast<uint64_t>(TRY(task.kernel().session_of(task, arguments.as_int(0))));
}

Result<uint64_t> sys_setsid(Task& task, const SyscallArguments&) {
  return static_cast<uint64_t>(TRY(task.kernel().create_session(task)));
}

Result<uint64_t> sys_set_tid_address(Task& task, const SyscallArguments& arguments) {
  task.clear_child_tid = arguments[0];
  return static_cast<uint64_t>(task.tid());
}

// sizeof(struct robust_list_head) on x86-64.
constexpr uint64_t robust_list_head_size = 24;

Result<uint64_t> sys_set_robust_list(Task& task, const SyscallArguments& arguments) {
  if (arguments[1] != robust_list_head_size) {
    return fail(Errno::einval);
  }
  task.robust_list_head = arguments[0];
  task.robust_list_length = arguments[1];
  return 0;
}

// get_robust_list(2) of the calling thread: the length goes out first, so
// a bad length pointer leaves the head pointer unwritten, as on Linux.
// TODO: other threads are never found (ESRCH).
Result<uint64_t> sys_get_robust_list(Task& task, const SyscallArguments& arguments) {
  const int32_t tid = arguments.as_int(0);
  if (tid != 0 && tid != task.tid()) {
    return fail(Errno::esrch);
  }
  TRY_VOID(GuestPtr<uint64_t>(arguments[2]).write(robust_list_head_size));
  TRY_VOID(GuestPtr<uint64_t>(arguments[1]).write(task.robust_list_head));
  return 0;
}

// personality(2): 0xffffffff only queries. Linux stores any other value.
Result<uint64_t> sys_personality(Task& task, const SyscallArguments& arguments) {
  constexpr uint32_t query = 0xffff'ffff;
  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  const uint32_t previous = process.personality;
  if (arguments.as_uint(0) != query) {
    process.personality = arguments.as_uint(0);
  }
  return previous;
}

Result<uint64_t> sys_rseq(Task&, const SyscallArguments&) {
  // Restartable sequences are optional: glibc falls back when they fail.
  return fail(Errno::enosys);
}

Result<uint64_t> sys_prctl(Task& task, const SyscallArguments& arguments) {
  constexpr int32_t pr_set_pdeathsig = 1;
  constexpr int32_t pr_get_pdeathsig = 2;
  constexpr int32_t pr_get_dumpable = 3;
  constexpr int32_t pr_set_dumpable = 4;
  constexpr int32_t pr_get_keepcaps = 7;
  constexpr int32_t pr_set_keepcaps = 8;
  constexpr int32_t pr_set_name = 15;
  constexpr int32_t pr_get_name = 16;
  constexpr int32_t pr_capbset_read = 23;
  constexpr int32_t pr_set_child_subreaper = 36;
  constexpr int32_t pr_get_child_subreaper = 37;
  constexpr int32_t pr_set_no_new_privs = 38;
  constexpr int32_t pr_get_no_new_privs = 39;
  // The thread name buffer, TASK_COMM_LEN.
  constexpr size_t name_length = 16;

  Process& process = task.process();
  switch (arguments.as_int(0)) {
    case pr_set_name: {
      std::array<char, name_length> buffer{};
      // Linux copies at most 15 bytes and ignores what follows.
      auto name = read_guest_string(arguments[1], name_length - 1);
      if (!name && name.error() != Errno::enametoolong) {
        return fail(name.error());
      }
      std::string value;
      if (name) {
        value = *name;
      } else {
        TRY_VOID(copy_from_guest(std::as_writable_bytes(std::span(buffer).first(name_length - 1)),
                                 arguments[1]));
        value.assign(buffer.data(), name_length - 1);
      }
      sync::LockGuard guard(process.lock);
      process.name = value;
      return 0;
    }
    case pr_get_name: {
      std::array<char, name_length> buffer{};
      {
        sync::LockGuard guard(process.lock);
        std::copy_n(process.name.begin(), std::min(process.name.size(), name_length - 1),
                    buffer.begin());
      }
      TRY_VOID(copy_to_guest(arguments[1], std::as_bytes(std::span(buffer))));
      return 0;
    }
    case pr_set_pdeathsig:
      if (arguments[1] > static_cast<uint64_t>(signal_count)) {
        return fail(Errno::einval);
      }
      return 0;
    case pr_get_pdeathsig:
      TRY_VOID(GuestPtr<int32_t>(arguments[1]).write(0));
      return 0;
    case pr_get_dumpable: {
      sync::LockGuard guard(process.lock);
      return process.dumpable ? 1 : 0;
    }
    case pr_set_dumpable: {
      if (arguments[1] > 1) {
        return fail(Errno::einval);
      }
      sync::LockGuard guard(process.lock);
      process.dumpable = arguments[1] == 1;
      return 0;
    }
    case pr_get_keepcaps:
      return task.keep_capabilities ? 1 : 0;
    case pr_set_keepcaps:
      if (arguments[1] > 1) {
        return fail(Errno::einval);
      }
      task.keep_capabilities = arguments[1] == 1;
      return 0;
    case pr_set_child_subreaper: {
      sync::LockGuard guard(process.lock);
      process.child_subreaper = arguments[1] != 0;
      return 0;
    }
    case pr_get_child_subreaper: {
      int32_t subreaper = 0;
      {
        sync::LockGuard guard(process.lock);
        subreaper = process.child_subreaper ? 1 : 0;
      }
      TRY_VOID(GuestPtr<int32_t>(arguments[1]).write(subreaper));
      return 0;
    }
    case pr_capbset_read:
      // Root in the sandbox has every capability Linux 6.1 defines (0..40).
      if (arguments[1] > 40) {
        return fail(Errno::einval);
      }
      return 1;
    case pr_set_no_new_privs:
      if (arguments[1] != 1 || arguments[2] != 0 || arguments[3] != 0 || arguments[4] != 0) {
        return fail(Errno::einval);
      }
      return 0;
    case pr_get_no_new_privs:
      // The sandbox itself runs with no_new_privs set.
      return 1;
    default:
      return fail(Errno::einval);
  }
}

Result<uint64_t> sys_arch_prctl(Task& task, const SyscallArguments& arguments) {
  constexpr int32_t arch_set_gs = 0x1001;
  constexpr int32_t arch_set_fs = 0x1002;
  constexpr int32_t arch_get_fs = 0x1003;
  constexpr int32_t arch_get_gs = 0x1004;
  // Canonical user addresses end below 2^47.
  constexpr uint64_t user_address_limit = uint64_t{1} << 47;

  platform::GuestRegisters& registers = *task.registers;
  switch (arguments.as_int(0)) {
    case arch_set_fs:
      if (arguments[1] >= user_address_limit) {
        return fail(Errno::eperm);
      }
      registers.fs_base = arguments[1];
      return 0;
    case arch_set_gs:
      if (arguments[1] >= user_address_limit) {
        return fail(Errno::eperm);
      }
      registers.gs_base = arguments[1];
      return 0;
    case arch_get_fs:
      TRY_VOID(GuestPtr<uint64_t>(arguments[1]).write(registers.fs_base));
      return 0;
    case arch_get_gs:
      TRY_VOID(GuestPtr<uint64_t>(arguments[1]).write(registers.gs_base));
      return 0;
    default:
      return fail(Errno::einval);
  }
}

// struct utsname: six fields of 65 bytes.
struct Utsname {
  std::array<char, 65> sysname, nodename, release, version, machine, domainname;
};

void set_field(std::array<char, 65>& field, std::string_view value) {
  field.fill('\0');
  std::copy_n(value.begin(), std::min(value.size(), field.size() - 1), field.begin());
}

Result<uint64_t> sys_uname(Task&, const SyscallArguments& arguments) {
  Utsname name;
  set_field(name.sysname, "Linux");
  set_field(name.nodename, kernel_host_name);
  set_field(name.release, kernel_release);
  set_field(name.version, kernel_version);
  set_field(name.machine, "x86_64");
  set_field(name.domainname, "(none)");
  TRY_VOID(GuestPtr<Utsname>(arguments[0]).write(name));
  return 0;
}

// struct sysinfo on x86-64.
struct Sysinfo {
  int64_t uptime;
  uint64_t loads[3];
  uint64_t total_ram, free_ram, shared_ram, buffer_ram, total_swap, free_swap;
  uint16_t processes;
  uint16_t padding;
  uint32_t padding2;
  uint64_t total_high, free_high;
  uint32_t memory_unit;
  uint32_t padding3;
};
static_assert(sizeof(Sysinfo) == 112);

Result<uint64_t> sys_sysinfo(Task&, const SyscallArguments& arguments) {
  Sysinfo info{};
  info.uptime =
      std::chrono::duration_cast<std::chrono::seconds>(platform::current().clock.monotonic_now())
          .count();
  // NOTE: the platform does not report host memory, so the sandbox claims a
  // fixed 4 GiB with 3 GiB free. Programs size caches from these numbers.
  info.total_ram = uint64_t{4} << 30;
  info.free_ram = uint64_t{3} << 30;
  info.processes = 1;
  info.memory_unit = 1;
  TRY_VOID(GuestPtr<Sysinfo>(arguments[0]).write(info));
  return 0;
}

Result<uint64_t> sys_getrandom(Task&, const SyscallArguments& arguments) {
  constexpr uint32_t grnd_non_block = 1;
  constexpr uint32_t grnd_random = 2;
  constexpr uint32_t grnd_insecure = 4;
  // Linux returns at most this many bytes per call (INT_MAX >> 6).
  constexpr uint64_t max_bytes = 33554431;

  const uint32_t flags = arguments.as_uint(2);
  if ((flags & ~(grnd_non_block | grnd_random | grnd_insecure)) != 0 ||
      ((flags & grnd_random) && (flags & grnd_insecure))) {
    return fail(Errno::einval);
  }

  const uint64_t length = std::min(arguments[1], max_bytes);
  std::array<std::byte, 256> chunk;
  uint64_t done = 0;
  while (done < length) {
    const size_t count = std::min<uint64_t>(chunk.size(), length - done);
    platform::current().random.fill(std::span(chunk).first(count));
    if (auto copied = copy_to_guest(arguments[0] + done, std::span(chunk).first(count)); !copied) {
      if (done != 0) {
        break;
      }
      return fail(copied.error());
    }
    done += count;
  }
  return done;
}

// Whether `caller` may read and change the resource limits of a process
// with `target`'s credentials, as Linux's prlimit(2) checks for another
// process: the target's real, effective and saved user ids all equal the
// caller's real user id, and likewise for the group ids, or the caller
// has CAP_SYS_RESOURCE, which only root has here.
bool may_access_limits(const ProcessCredentials& caller, const ProcessCredentials& target) {
  const bool same_user =
      target.uid == caller.uid && target.euid == caller.uid && target.suid == caller.uid;
  const bool same_group =
      target.gid == caller.gid && target.egid == caller.gid && target.sgid == caller.gid;
  return (same_user && same_group) || caller.euid == 0;
}

// Reads the limit `resource` of `process` and replaces it with `new_limit`
// unless that is null, and returns the old limit. `caller` is the
// credentials of the calling process, or is null when `process` is the
// caller's own. The limits that the descriptor table and the memory map
// enforce follow the change; the CPU-time limit is the caller's to arm.
Result<ResourceLimit> exchange_limit(Process& process, uint32_t resource,
                                     const ResourceLimit* new_limit,
                                     const ProcessCredentials* caller) {
  ResourceLimit old_limit;
  {
    sync::LockGuard guard(process.lock);
    if (caller != nullptr && !may_access_limits(*caller, process.credentials)) {
      return fail(Errno::eperm);
    }
    if (resource >= resource_count) {
      return fail(Errno::einval);
    }
    if (new_limit != nullptr && new_limit->current > new_limit->maximum) {
      return fail(Errno::einval);
    }
    old_limit = process.limits[resource];
    if (new_limit != nullptr) {
      // Raising the hard limit needs CAP_SYS_RESOURCE, which only root has here.
      const uint32_t euid = caller != nullptr ? caller->euid : process.credentials.euid;
      if (new_limit->maximum > old_limit.maximum && euid != 0) {
        return fail(Errno::eperm);
      }
      process.limits[resource] = *new_limit;
    }
  }
  if (new_limit != nullptr && resource == static_cast<uint32_t>(Resource::open_files)) {
    process.descriptors().set_limit(
        static_cast<size_t>(std::min(new_limit->current, max_open_files)));
  }
  if (new_limit != nullptr && resource == static_cast<uint32_t>(Resource::address_space)) {
    process.memory.set_size_limit(new_limit->current);
  }
  return old_limit;
}

// getrlimit(2), setrlimit(2) and prlimit(2) on the caller's own process.
Result<ResourceLimit> apply_own_limit(Task& task, uint32_t resource,
                                      const ResourceLimit* new_limit) {
  const ResourceLimit old_limit = TRY(exchange_limit(task.process(), resource, new_limit, nullptr));
  if (new_limit != nullptr && resource == static_cast<uint32_t>(Resource::cpu)) {
    // NOTE: setrlimit(2) does not fail for this on Linux, so when the timer
    // thread cannot start (EAGAIN), the limit is stored but not enforced.
    (void)timers_of(task).limit_cpu_time(new_limit->current, new_limit->maximum);
  }
  return old_limit;
}

// prlimit(2) on another process of the sandbox. Processes share the kernel
// heap, so the caller changes the target's Process object directly, while
// the process table keeps the target from exiting.
Result<ResourceLimit> apply_other_limit(Task& task, int32_t pid, uint32_t resource,
                                        const ResourceLimit* new_limit) {
  ProcessCredentials caller;
  {
    sync::LockGuard guard(task.process().lock);
    caller = task.process().credentials;
  }
  Result<ResourceLimit> result = fail(Errno::esrch);
  TRY_VOID(task.kernel().visit_process(pid, [&](Process& target) {
    result = exchange_limit(target, resource, new_limit, &caller);
  }));
  // TODO: a new RLIMIT_CPU of another process is stored but not armed,
  // because the timer that enforces it must run in the target process.
  return result;
}

// The pid of the process that thread or process `id` belongs to; `esrch`
// when no such thread runs.
Result<int32_t> process_of_thread(Task& task, int32_t id) {
  std::optional<int32_t> pid;
  task.kernel().visit_threads(Kernel::ThreadSelector::thread, id,
                              [&](Task& thread) { pid = thread.process().pid(); });
  if (!pid) {
    return fail(Errno::esrch);
  }
  return *pid;
}

Result<uint64_t> sys_prlimit64(Task& task, const SyscallArguments& arguments) {
  const int32_t id = arguments.as_int(0);
  const uint32_t resource = arguments.as_uint(1);

  std::optional<ResourceLimit> new_limit;
  if (arguments[2] != 0) {
    new_limit = TRY(GuestPtr<ResourceLimit>(arguments[2]).read());
  }
  const ResourceLimit* requested = new_limit ? &*new_limit : nullptr;

  // Like Linux, prlimit(2) takes any thread id and acts on its process.
  const int32_t pid = id == 0 ? task.process().pid() : TRY(process_of_thread(task, id));
  const ResourceLimit old_limit = pid == task.process().pid()
                                      ? TRY(apply_own_limit(task, resource, requested))
                                      : TRY(apply_other_limit(task, pid, resource, requested));

  if (arguments[3] != 0) {
    TRY_VOID(GuestPtr<ResourceLimit>(arguments[3]).write(old_limit));
  }
  return 0;
}

Result<uint64_t> sys_getrlimit(Task& task, const SyscallArguments& arguments) {
  ResourceLimit limit = TRY(apply_own_limit(task, arguments.as_uint(0), nullptr));
  TRY_VOID(GuestPtr<ResourceLimit>(arguments[1]).write(limit));
  return 0;
}

Result<uint64_t> sys_setrlimit(Task& task, const SyscallArguments& arguments) {
  ResourceLimit limit = TRY(GuestPtr<ResourceLimit>(arguments[1]).read());
  TRY_VOID(apply_own_limit(task, arguments.as_uint(0), &limit));
  return 0;
}

Result<uint64_t> sys_sched_yield(Task&, const SyscallArguments&) {
  platform::current().threads.yield();
  return 0;
}

Result<uint64_t> sys_getcpu(Task&, const SyscallArguments& arguments) {
  if (arguments[0] != 0) {
    TRY_VOID(GuestPtr<uint32_t>(arguments[0]).write(0));
  }
  if (arguments[1] != 0) {
    TRY_VOID(GuestPtr<uint32_t>(arguments[1]).write(0));
  }
  return 0;
}

Result<uint64_t> sys_getuid(Task& task, const SyscallArguments&) {
  sync::LockGuard guard(task.process().lock);
  return task.process().credentials.uid;
}

Result<uint64_t> sys_geteuid(Task& task, const SyscallArguments&) {
  sync::LockGuard guard(task.process().lock);
  return task.process().credentials.euid;
}

Result<uint64_t> sys_getgid(Task& task, const SyscallArguments&) {
  sync::LockGuard guard(task.process().lock);
  return task.process().credentials.gid;
}

Result<uint64_t> sys_getegid(Task& task, const SyscallArguments&) {
  sync::LockGuard guard(task.process().lock);
  return task.process().credentials.egid;
}

Result<uint64_t> sys_getresuid(Task& task, const SyscallArguments& arguments) {
  ProcessCredentials credentials;
  {
    sync::LockGuard guard(task.process().lock);
    credentials = task.process().credentials;
  }
  TRY_VOID(GuestPtr<uint32_t>(arguments[0]).write(credentials.uid));
  TRY_VOID(GuestPtr<uint32_t>(arguments[1]).write(credentials.euid));
  TRY_VOID(GuestPtr<uint32_t>(arguments[2]).write(credentials.suid));
  return 0;
}

Result<uint64_t> sys_getresgid(Task& task, const SyscallArguments& arguments) {
  ProcessCredentials credentials;
  {
    sync::LockGuard guard(task.process().lock);
    credentials = task.process().credentials;
  }
  TRY_VOID(GuestPtr<uint32_t>(arguments[0]).write(credentials.gid));
  TRY_VOID(GuestPtr<uint32_t>(arguments[1]).write(credentials.egid));
  TRY_VOID(GuestPtr<uint32_t>(arguments[2]).write(credentials.sgid));
  return 0;
}

Result<uint64_t> sys_getgroups(Task& task, const SyscallArguments& arguments) {
  const int32_t size = arguments.as_int(0);
  if (size < 0) {
    return fail(Errno::einval);
  }
  std::vector<uint32_t> groups;
  {
    sync::LockGuard guard(task.process().lock);
    groups = task.process().credentials.groups;
  }
  if (size == 0) {
    return groups.size();
  }
  if (static_cast<size_t>(size) < groups.size()) {
    return fail(Errno::einval);
  }
  TRY_VOID(GuestPtr<uint32_t>(arguments[1]).write_array(groups));
  return groups.size();
}

Result<uint64_t> sys_umask(Task& task, const SyscallArguments& arguments) {
  sync::LockGuard guard(task.process().lock);
  const uint32_t previous = task.process().paths.umask;
  task.process().paths.umask = arguments.as_uint(0) & 0777;
  return previous;
}

}  // namespace

void register_process_syscalls(SyscallTable& table) {
  table.add(nr::exit_group, sys_exit_group);
  table.add(nr::execve, sys_execve);
  table.add(nr::execveat, sys_execveat);
  table.add(nr::wait4, sys_wait4);
  table.add(nr::waitid, sys_waitid);
  table.add(nr::getpid, sys_getpid);
  table.add(nr::getppid, sys_getppid);
  table.add(nr::gettid, sys_gettid);
  table.add(nr::getpgrp, sys_getpgrp);
  table.add(nr::getpgid, sys_getpgid);
  table.add(nr::getsid, sys_getsid);
  table.add(nr::setpgid, sys_setpgid);
  table.add(nr::setsid, sys_setsid);
  table.add(nr::set_tid_address, sys_set_tid_address);
  table.add(nr::set_robust_list, sys_set_robust_list);
  table.add(nr::get_robust_list, sys_get_robust_list);
  table.add(nr::personality, sys_personality);
  table.add(nr::rseq, sys_rseq);
  table.add(nr::prctl, sys_prctl);
  table.add(nr::arch_prctl, sys_arch_prctl);
  table.add(nr::uname, sys_uname);
  table.add(nr::sysinfo, sys_sysinfo);
  table.add(nr::getrandom, sys_getrandom);
  table.add(nr::prlimit64, sys_prlimit64);
  table.add(nr::getrlimit, sys_getrlimit);
  table.add(nr::setrlimit, sys_setrlimit);
  table.add(nr::sched_yield, sys_sched_yield);
  table.add(nr::getcpu, sys_getcpu);
  table.add(nr::getuid, sys_getuid);
  table.add(nr::geteuid, sys_geteuid);
  table.add(nr::getgid, sys_getgid);
  table.add(nr::getegid, sys_getegid);
  table.add(nr::getresuid, sys_getresuid);
  table.add(nr::getresgid, sys_getresgid);
  table.add(nr::getgroups, sys_getgroups);
  table.add(nr::umask, sys_umask);
}

}  // namespace litebox::shim::linux_abi
