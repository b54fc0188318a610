// Thread and process creation: clone for new threads and new processes,
// fork, vfork, futex, and thread exit.
// TODO: clone3 is not implemented; glibc falls back from clone3 to clone on
// ENOSYS.
#include <chrono>

#include "litebox/platform/platform.hpp"
#include "shim/linux/futex.hpp"
#include "shim/linux/guest_clock.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"

namespace litebox::shim::linux_abi {

namespace {

using std::chrono::nanoseconds;

// clone(2) flags.
enum CloneFlag : uint64_t {
  clone_vm = 0x100,
  clone_fs = 0x200,
  clone_files = 0x400,
  clone_sighand = 0x800,
  clone_vfork = 0x4000,
  clone_parent = 0x8000,
  clone_thread = 0x10000,
  clone_sysvsem = 0x40000,
  clone_settls = 0x80000,
  clone_parent_settid = 0x100000,
  clone_child_cleartid = 0x200000,
  clone_detached = 0x400000,
  clone_child_settid = 0x1000000,
};

// The flags a thread-creating clone may carry, as glibc's pthread_create
// passes them.
constexpr uint64_t thread_flags = clone_vm | clone_fs | clone_files | clone_sighand | clone_thread |
                                  clone_sysvsem | clone_settls | clone_parent_settid |
                                  clone_child_cleartid | clone_detached | clone_child_settid;
constexpr uint64_t thread_required =
    clone_vm | clone_fs | clone_files | clone_sighand | clone_thread;

// The flags a process-creating clone may carry: glibc's fork passes the
// tid ones, posix_spawn CLONE_VM | CLONE_VFORK with a stack of its own.
constexpr uint64_t process_flags = clone_vm | clone_vfork | clone_settls | clone_parent_settid |
                                   clone_child_cleartid | clone_child_settid;

// A clone without CLONE_THREAD: a new process on a new host process.
// NOTE: CLONE_VM and CLONE_VFORK do not share memory or suspend the parent;
// the child gets a copy, as from fork, which is what a vfork child that only
// calls execve or _exit can tell apart from sharing.
Result<uint64_t> clone_process(Task& task, uint64_t clone_bits, uint64_t stack, uint64_t parent_tid,
                               uint64_t child_tid, uint64_t tls) {
  if ((clone_bits & ~process_flags) != 0) {
    // TODO: CLONE_FS, CLONE_FILES and the namespace flags for new processes.
    return fail(Errno::enosys);
  }
  if ((clone_bits & clone_vm) && !(clone_bits & clone_vfork)) {
    return fail(Errno::enosys);
  }

  const int32_t pid = TRY(task.kernel().fork_process(task));
  if (pid != 0) {
    if (clone_bits & clone_parent_settid) {
      TRY_VOID(GuestPtr<int32_t>(parent_tid).write(pid));
    }
    return static_cast<uint64_t>(pid);
  }

  // The child, on its own Task.
  Task& child = *Kernel::current_task();
  platform::GuestRegisters& registers = *child.registers;
  if (stack != 0) {
    registers.rsp = stack;
  }
  if (clone_bits & clone_settls) {
    registers.fs_base = tls;
  }
  if (clone_bits & clone_child_settid) {
    (void)GuestPtr<int32_t>(child_tid).write(child.tid());
  }
  if (clone_bits & clone_child_cleartid) {
    child.clear_child_tid = child_tid;
  }
  return 0;
}

Result<uint64_t> sys_fork(Task& task, const SyscallArguments&) {
  return TRY(task.kernel().fork_process(task));
}

Result<uint64_t> sys_clone(Task& task, const SyscallArguments& arguments) {
  const uint64_t flags = arguments[0];
  const uint64_t stack = arguments[1];
  const uint64_t parent_tid = arguments[2];
  const uint64_t child_tid = arguments[3];
  const uint64_t tls = arguments[4];

  // The low byte is the exit signal, which threads do not send.
  const uint64_t clone_bits = flags & ~uint64_t{0xff};
  if ((clone_bits & clone_thread) && !(clone_bits & clone_sighand)) {
    return fail(Errno::einval);
  }
  if ((clone_bits & clone_sighand) && !(clone_bits & clone_vm)) {
    return fail(Errno::einval);
  }
  if (!(clone_bits & clone_thread)) {
    return clone_process(task, clone_bits, stack, parent_tid, child_tid, tls);
  }
  if ((clone_bits & thread_required) != thread_required || (clone_bits & ~thread_flags) != 0) {
    return fail(Errno::enosys);
  }

  platform::GuestRegisters registers = *task.registers;
  registers.rax = 0;
  if (stack != 0) {
    registers.rsp = stack;
  }
  if (clone_bits & clone_settls) {
    registers.fs_base = tls;
  }

  const int32_t tid = TRY(task.kernel().spawn_thread(
      task, registers, (clone_bits & clone_child_cleartid) ? child_tid : 0,
      (clone_bits & clone_parent_settid) ? parent_tid : 0,
      (clone_bits & clone_child_settid) ? child_tid : 0));
  return static_cast<uint64_t>(tid);
}

Result<uint64_t> sys_clone3(Task&, const SyscallArguments&) { return fail(Errno::enosys); }

Result<uint64_t> sys_exit(Task& task, const SyscallArguments& arguments) {
  task.kernel().exit_thread(task, arguments.as_int(0));
}

Result<std::optional<nanoseconds>> read_timeout(uint64_t address, bool absolute, bool realtime) {
  if (address == 0) {
    return std::optional<nanoseconds>();
  }
  LinuxTimespec value = TRY(GuestPtr<LinuxTimespec>(address).read());
  if (value.seconds < 0 || value.nanoseconds < 0 || value.nanoseconds >= 1'000'000'000) {
    return fail(Errno::einval);
  }
  constexpr int64_t max_seconds = INT64_MAX / 1'000'000'000 - 1;
  if (value.seconds > max_seconds) {
    return std::optional<nanoseconds>();
  }
  nanoseconds duration(value.seconds * 1'000'000'000 + value.nanoseconds);
  if (absolute) {
    platform::Clock& clock = platform::current().clock;
    nanoseconds now = clock.monotonic_now();
    if (realtime) {
      platform::Timespec wall = clock.realtime_now();
      now = nanoseconds(wall.seconds * 1'000'000'000 + wall.nanoseconds);
    }
    duration = duration > now ? duration - now : nanoseconds(0);
  }
  return std::optional<nanoseconds>(duration);
}

Result<uint64_t> sys_futex(Task& task, const SyscallArguments& arguments) {
  constexpr uint32_t futex_wait = 0;
  constexpr uint32_t futex_wake = 1;
  constexpr uint32_t futex_wait_bitset = 9;
  constexpr uint32_t futex_wake_bitset = 10;
  constexpr uint32_t futex_private = 128;
  constexpr uint32_t futex_clock_realtime = 256;

  const uint64_t address = arguments[0];
  const uint32_t operation = arguments.as_uint(1);
  const uint32_t command = operation & ~(futex_private | futex_clock_realtime);
  const uint32_t value = arguments.as_uint(2);
  const platform::FutexScope scope = (operation & futex_private)
                                         ? platform::FutexScope::process_private
                                         : platform::FutexScope::shared;

  if ((operation & futex_clock_realtime) && command != futex_wait_bitset && command != futex_wait) {
    return fail(Errno::enosys);
  }

  switch (command) {
    case futex_wait:
    case futex_wait_bitset: {
      if (command == futex_wait_bitset && arguments.as_uint(5) == 0) {
        return fail(Errno::einval);
      }
      // NOTE: a wait's bitset is not recorded, so a FUTEX_WAKE_BITSET for
      // other bits may wake it early; futex users re-check their condition.
      auto timeout = TRY(read_timeout(arguments[3], command == futex_wait_bitset,
                                      (operation & futex_clock_realtime) != 0));
      auto waited = wait_guest_futex(task, address, value, timeout, scope);
      if (!waited) {
        return fail(waited.error());
      }
      return 0;
    }
    case futex_wake:
    case futex_wake_bitset:
      if (command == futex_wake_bitset && arguments.as_uint(5) == 0) {
        return fail(Errno::einval);
      }
      return TRY(wake_guest_futex(task, address, value, scope));
    default:
      // TODO: requeue, priority-inheritance and wake-op futexes.
      return fail(Errno::enosys);
  }
}

}  // namespace

void register_thread_syscalls(SyscallTable& table) {
  table.add(nr::clone, sys_clone);
  table.add(nr::clone3, sys_clone3);
  table.add(nr::fork, sys_fork);
  // vfork is fork here: the parent goes on at once and the memory is copied.
  table.add(nr::vfork, sys_fork);
  table.add(nr::exit, sys_exit);
  table.add(nr::futex, sys_futex);
}

}  // namespace litebox::shim::linux_abi
