// Signal system calls: dispositions (rt_sigaction), the blocked mask
// (rt_sigprocmask), the alternate stack (sigaltstack), and signals a
// process sends to itself.
// TODO: delivering a signal to a guest handler (signal frames and
// rt_sigreturn) is not implemented; only default actions take effect.
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"

namespace litebox::shim::linux_abi {

namespace {

constexpr int signal_kill = 9;
constexpr int signal_stop = 19;
constexpr uint64_t sig_default = 0;
constexpr uint64_t sig_ignore = 1;

// The kernel's sigset_t is one 64-bit word on x86-64.
constexpr uint64_t sigset_size = 8;

constexpr uint64_t signal_bit(int signal) { return uint64_t{1} << (signal - 1); }

// SIGKILL and SIGSTOP can be neither blocked nor caught.
constexpr uint64_t unblockable = signal_bit(signal_kill) | signal_bit(signal_stop);

bool valid_signal(int signal) { return signal >= 1 && signal <= signal_count; }

// Whether the default action of `signal` ignores it (SIGCHLD, SIGCONT,
// SIGURG, SIGWINCH) instead of ending the process.
bool ignored_by_default(int signal) {
  return signal == 17 || signal == 18 || signal == 23 || signal == 28;
}

Result<uint64_t> sys_rt_sigaction(Task& task, const SyscallArguments& arguments) {
  const int signal = arguments.as_int(0);
  if (arguments[3] != sigset_size || !valid_signal(signal)) {
    return fail(Errno::einval);
  }
  std::optional<SignalAction> new_action;
  if (arguments[1] != 0) {
    if (signal == signal_kill || signal == signal_stop) {
      return fail(Errno::einval);
    }
    new_action = TRY(GuestPtr<SignalAction>(arguments[1]).read());
    new_action->mask &= ~unblockable;
  }

  SignalAction old_action;
  {
    Process& process = task.process();
    sync::LockGuard guard(process.lock);
    old_action = process.signal_actions[signal - 1];
    if (new_action) {
      process.signal_actions[signal - 1] = *new_action;
    }
  }

  if (arguments[2] != 0) {
    TRY_VOID(GuestPtr<SignalAction>(arguments[2]).write(old_action));
  }
  return 0;
}

Result<uint64_t> sys_rt_sigprocmask(Task& task, const SyscallArguments& arguments) {
  constexpr int32_t sig_block = 0;
  constexpr int32_t sig_unblock = 1;
  constexpr int32_t sig_setmask = 2;
  const int32_t how = arguments.as_int(0);
  if (arguments[3] != sigset_size) {
    return fail(Errno::einval);
  }

  const uint64_t old_mask = task.signal_mask;
  if (arguments[1] != 0) {
    uint64_t set = TRY(GuestPtr<uint64_t>(arguments[1]).read());
    switch (how) {
      case sig_block:
        task.signal_mask |= set;
        break;
      case sig_unblock:
        task.signal_mask &= ~set;
        break;
      case sig_setmask:
        task.signal_mask = set;
        break;
      default:
        return fail(Errno::einval);
    }
    task.signal_mask &= ~unblockable;
  }

  if (arguments[2] != 0) {
    TRY_VOID(GuestPtr<uint64_t>(arguments[2]).write(old_mask));
  }
  return 0;
}

Result<uint64_t> sys_sigaltstack(Task& task, const SyscallArguments& arguments) {
  constexpr int32_t ss_on_stack = 1;
  constexpr int32_t ss_disable = 2;
  constexpr uint32_t ss_auto_disarm = 1u << 31;
  // MINSIGSTKSZ on x86-64.
  constexpr uint64_t min_signal_stack_size = 2048;

  const SignalStack old_stack = task.alternate_stack;
  if (arguments[0] != 0) {
    SignalStack stack = TRY(GuestPtr<SignalStack>(arguments[0]).read());
    const auto flags = static_cast<uint32_t>(stack.flags);
    const uint32_t mode = flags & ~ss_auto_disarm;
    if (mode != 0 && mode != static_cast<uint32_t>(ss_disable) &&
        mode != static_cast<uint32_t>(ss_on_stack)) {
      return fail(Errno::einval);
    }
    if (mode == static_cast<uint32_t>(ss_disable)) {
      stack = SignalStack{};
      stack.flags = ss_disable;
    } else if (stack.size < min_signal_stack_size) {
      return fail(Errno::enomem);
    } else {
      stack.flags = static_cast<int32_t>(flags & ss_auto_disarm);
    }
    task.alternate_stack = stack;
  }

  if (arguments[1] != 0) {
    TRY_VOID(GuestPtr<SignalStack>(arguments[1]).write(old_stack));
  }
  return 0;
}

// Applies `signal` sent by the process to itself: a default action ends the
// process, as Linux does for the terminating signals.
Result<uint64_t> raise_in_self(Task& task, int signal) {
  if (signal == 0) {
    return 0;
  }
  if (!valid_signal(signal)) {
    return fail(Errno::einval);
  }
  SignalAction action;
  {
    sync::LockGuard guard(task.process().lock);
    action = task.process().signal_actions[signal - 1];
  }
  const bool blocked = (task.signal_mask & signal_bit(signal)) != 0;
  if (signal != signal_kill && (action.handler == sig_ignore || blocked ||
                                (action.handler == sig_default && ignored_by_default(signal)))) {
    // TODO: keep blocked signals pending until they are unblocked.
    return 0;
  }
  if (signal == signal_kill || action.handler == sig_default) {
    task.kernel().kill_process(task, signal);
  }
  // TODO: run the guest's handler.
  return fail(Errno::enosys);
}

Result<uint64_t> sys_kill(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  if (pid != task.process().pid() && pid != 0 && pid != -task.process().process_group) {
    return fail(Errno::esrch);
  }
  return raise_in_self(task, arguments.as_int(1));
}

Result<uint64_t> sys_tgkill(Task& task, const SyscallArguments& arguments) {
  if (arguments.as_int(0) <= 0 || arguments.as_int(1) <= 0) {
    return fail(Errno::einval);
  }
  if (arguments.as_int(0) != task.process().pid() || arguments.as_int(1) != task.tid()) {
    return fail(Errno::esrch);
  }
  return raise_in_self(task, arguments.as_int(2));
}

Result<uint64_t> sys_tkill(Task& task, const SyscallArguments& arguments) {
  if (arguments.as_int(0) <= 0) {
    return fail(Errno::einval);
  }
  if (arguments.as_int(0) != task.tid()) {
    return fail(Errno::esrch);
  }
  return raise_in_self(task, arguments.as_int(1));
}

}  // namespace

void register_signal_syscalls(SyscallTable& table) {
  table.add(nr::rt_sigaction, sys_rt_sigaction);
  table.add(nr::rt_sigprocmask, sys_rt_sigprocmask);
  table.add(nr::sigaltstack, sys_sigaltstack);
  table.add(nr::kill, sys_kill);
  table.add(nr::tgkill, sys_tgkill);
  table.add(nr::tkill, sys_tkill);
}

}  // namespace litebox::shim::linux_abi
