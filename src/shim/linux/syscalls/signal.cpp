// Signal system calls: dispositions (rt_sigaction), the blocked mask
// (rt_sigprocmask), pending signals, the alternate stack (sigaltstack),
// waiting for a signal (rt_sigsuspend, pause), returning from a handler
// (rt_sigreturn), and sending signals (kill, tgkill, tkill, sigqueue).
// Delivery itself lives in signal/delivery.cpp.
#include <atomic>
#include <chrono>
#include <optional>

#include "litebox/platform/platform.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/signal/delivery.hpp"
#include "shim/linux/signal/signal_frame.hpp"

namespace litebox::shim::linux_abi {

Result<void> wait_for_signal_until(std::optional<std::chrono::nanoseconds> timeout) {
  platform::Platform& host = platform::current();
  std::optional<std::chrono::nanoseconds> deadline;
  if (timeout) {
    deadline = host.clock.monotonic_now() + *timeout;
  }
  std::atomic<uint32_t> never_woken{0};
  while (true) {
    std::optional<std::chrono::nanoseconds> left;
    if (deadline) {
      left = *deadline - host.clock.monotonic_now();
      if (left->count() <= 0) {
        return fail(Errno::etimedout);
      }
    }
    auto waited = host.futex.wait(never_woken, 0, left, platform::FutexScope::process_private);
    if (!waited && waited.error() == Errno::eintr) {
      return fail(Errno::eintr);
    }
  }
}

namespace {

// The kernel's sigset_t is one 64-bit word on x86-64.
constexpr uint64_t sigset_size = 8;

// sigaltstack(2) flags as sigaltstack reports them.
constexpr int32_t ss_on_stack = 1;
constexpr int32_t ss_disable = 2;
constexpr uint32_t ss_auto_disarm = 1u << 31;

// Removes every pending instance of `signal` from `pending`.
void discard(PendingSignals& pending, int signal) {
  pending.set &= ~signal_bit(signal);
  std::erase_if(pending.queue, [signal](const SignalInfo& info) { return info.signo == signal; });
}

// Whether `action` makes the kernel drop `signal` at once.
bool discards(const SignalAction& action, int signal) {
  return action.handler == sig_ignore ||
         (action.handler == sig_default &&
          (signal == sig::child || signal == sig::urgent || signal == sig::window_change));
}

Result<uint64_t> sys_rt_sigaction(Task& task, const SyscallArguments& arguments) {
  const int signal = arguments.as_int(0);
  if (arguments[3] != sigset_size || !is_valid_signal(signal)) {
    return fail(Errno::einval);
  }
  std::optional<SignalAction> new_action;
  if (arguments[1] != 0) {
    if (signal == sig::kill || signal == sig::stop) {
      return fail(Errno::einval);
    }
    new_action = TRY(GuestPtr<SignalAction>(arguments[1]).read());
    new_action->mask &= ~unblockable_signals;
  }

  SignalAction old_action;
  {
    Process& process = task.process();
    sync::LockGuard guard(process.lock);
    old_action = process.signal_actions[signal - 1];
    if (new_action) {
      process.signal_actions[signal - 1] = *new_action;
      // POSIX: setting a pending signal to be ignored discards it.
      if (discards(*new_action, signal)) {
        discard(process.pending_signals, signal);
        for (Task* thread : process.tasks) {
          discard(thread->pending_signals, signal);
        }
      }
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
    const uint64_t set = TRY(GuestPtr<uint64_t>(arguments[1]).read());
    switch (how) {
      case sig_block:
        set_signal_mask(task, old_mask | set);
        break;
      case sig_unblock:
        set_signal_mask(task, old_mask & ~set);
        break;
      case sig_setmask:
        set_signal_mask(task, set);
        break;
      default:
        return fail(Errno::einval);
    }
  }

  if (arguments[2] != 0) {
    TRY_VOID(GuestPtr<uint64_t>(arguments[2]).write(old_mask));
  }
  return 0;
}

Result<uint64_t> sys_rt_sigpending(Task& task, const SyscallArguments& arguments) {
  if (arguments[1] > sigset_size) {
    return fail(Errno::einval);
  }
  const uint64_t pending = pending_signal_set(task) & task.signal_mask;
  // Safety: the low bytes of a little-endian word are its first bytes.
  TRY_VOID(copy_to_guest(arguments[0], {reinterpret_cast<const std::byte*>(&pending),
                                        static_cast<size_t>(arguments[1])}));
  return 0;
}

Result<uint64_t> sys_sigaltstack(Task& task, const SyscallArguments& arguments) {
  const uint64_t stack_pointer = task.registers->rsp;
  SignalStack old_stack = task.alternate_stack;
  if (old_stack.size == 0) {
    old_stack.flags = ss_disable;
  } else {
    old_stack.flags = (on_alternate_stack(task, stack_pointer) ? ss_on_stack : 0) |
                      static_cast<int32_t>(static_cast<uint32_t>(old_stack.flags) & ss_auto_disarm);
  }

  if (arguments[0] != 0) {
    const SignalStack requested = TRY(GuestPtr<SignalStack>(arguments[0]).read());
    TRY_VOID(change_alternate_stack(task, requested, stack_pointer));
  }

  if (arguments[1] != 0) {
    TRY_VOID(GuestPtr<SignalStack>(arguments[1]).write(old_stack));
  }
  return 0;
}

Result<uint64_t> sys_rt_sigreturn(Task& task, const SyscallArguments&) {
  auto restored = pop_signal_frame(task, *task.registers, task.extended_state);
  if (!restored) {
    force_signal(task, SignalInfo::from_sender(sig::segmentation_fault, si::kernel, 0, 0));
    return task.registers->rax;
  }
  return *restored;
}

// Sleeps until a signal arrives. Returns `eintr`; delivery then runs the
// handler, or restarts the call when no handler ran.
Result<uint64_t> wait_for_signal() {
  TRY_VOID(wait_for_signal_until(std::nullopt));
  return 0;
}

Result<uint64_t> sys_rt_sigsuspend(Task& task, const SyscallArguments& arguments) {
  if (arguments[1] != sigset_size) {
    return fail(Errno::einval);
  }
  const uint64_t mask = TRY(GuestPtr<uint64_t>(arguments[0]).read());

  {
    sync::LockGuard guard(task.process().lock);
    task.saved_signal_mask = task.signal_mask;
    task.signal_mask = mask & ~unblockable_signals;
  }
  if ((pending_signal_set(task) & ~task.signal_mask) != 0) {
    return fail(Errno::eintr);
  }
  return wait_for_signal();
}

Result<uint64_t> sys_pause(Task& task, const SyscallArguments&) {
  if ((pending_signal_set(task) & ~task.signal_mask) != 0) {
    return fail(Errno::eintr);
  }
  return wait_for_signal();
}

// struct timespec.
struct WaitTimeout {
  int64_t seconds;
  int64_t nanoseconds;
};

Result<uint64_t> sys_rt_sigtimedwait(Task& task, const SyscallArguments& arguments) {
  if (arguments[3] != sigset_size) {
    return fail(Errno::einval);
  }
  const uint64_t set = TRY(GuestPtr<uint64_t>(arguments[0]).read()) & ~unblockable_signals;
  std::optional<std::chrono::nanoseconds> timeout;
  if (arguments[2] != 0) {
    const WaitTimeout value = TRY(GuestPtr<WaitTimeout>(arguments[2]).read());
    if (value.seconds < 0 || value.nanoseconds < 0 || value.nanoseconds >= 1'000'000'000) {
      return fail(Errno::einval);
    }
    // Timeouts past ~292 years wait forever.
    constexpr int64_t max_seconds = INT64_MAX / 1'000'000'000 - 1;
    if (value.seconds <= max_seconds) {
      timeout = std::chrono::seconds(value.seconds) + std::chrono::nanoseconds(value.nanoseconds);
    }
  }

  std::optional<SignalInfo> taken = take_pending_signal(task, set);
  if (!taken && (!timeout || timeout->count() > 0)) {
    // The signals of `set` are unblocked during the wait, so that sending
    // one wakes this thread; they stay pending and are taken below.
    const uint64_t blocked = task.signal_mask;
    set_signal_mask(task, blocked & ~set);
    taken = take_pending_signal(task, set);
    Result<void> waited;
    if (!taken) {
      waited = wait_for_signal_until(timeout);
    }
    set_signal_mask(task, blocked);
    if (!taken) {
      taken = take_pending_signal(task, set);
    }
    if (!taken && !waited) {
      return fail(waited.error() == Errno::etimedout ? Errno::eagain : waited.error());
    }
  }
  if (!taken) {
    return fail(Errno::eagain);
  }

  if (arguments[1] != 0) {
    TRY_VOID(GuestPtr<SignalInfo>(arguments[1]).write(*taken));
  }
  return static_cast<uint64_t>(taken->signo);
}

// Reads the siginfo of rt_sigqueueinfo and rt_tgsigqueueinfo. Only the
// kernel may claim SI_USER, SI_KERNEL or SI_TKILL for a signal to another
// process (`eperm`).
Result<SignalInfo> read_queued_info(Task& task, int32_t pid, int signal, uint64_t address) {
  SignalInfo info = TRY(GuestPtr<SignalInfo>(address).read());
  if ((info.code >= 0 || info.code == si::tkill) && pid != task.process().pid()) {
    return fail(Errno::eperm);
  }
  info.signo = signal;
  return info;
}

Result<uint64_t> sys_rt_sigqueueinfo(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  const int signal = arguments.as_int(1);
  if (signal < 0 || signal > signal_count) {
    return fail(Errno::einval);
  }
  if (pid <= 0) {
    return fail(Errno::esrch);
  }
  const SignalInfo info = TRY(read_queued_info(task, pid, signal, arguments[2]));
  TRY_VOID(task.kernel().kill(task, pid, info));
  return 0;
}

Result<uint64_t> sys_rt_tgsigqueueinfo(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  const int32_t tid = arguments.as_int(1);
  if (pid <= 0 || tid <= 0) {
    return fail(Errno::einval);
  }
  const SignalInfo info = TRY(read_queued_info(task, pid, arguments.as_int(2), arguments[3]));
  TRY_VOID(task.kernel().kill_thread(task, pid, tid, info));
  return 0;
}

SignalInfo sender_info(Task& task, int signal, int32_t code) {
  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  return SignalInfo::from_sender(signal, code, process.pid(), process.credentials.uid);
}

Result<uint64_t> sys_kill(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  const int signal = arguments.as_int(1);
  if (signal < 0 || signal > signal_count) {
    return fail(Errno::einval);
  }
  // Linux negates INT_MIN to itself, which no process group has.
  if (pid == INT32_MIN) {
    return fail(Errno::esrch);
  }
  TRY_VOID(task.kernel().kill(task, pid, sender_info(task, signal, si::user)));
  return 0;
}

Result<uint64_t> send_to_thread(Task& task, int32_t pid, int32_t tid, int signal) {
  TRY_VOID(task.kernel().kill_thread(task, pid, tid, sender_info(task, signal, si::tkill)));
  return 0;
}

Result<uint64_t> sys_tgkill(Task& task, const SyscallArguments& arguments) {
  if (arguments.as_int(0) <= 0 || arguments.as_int(1) <= 0) {
    return fail(Errno::einval);
  }
  return send_to_thread(task, arguments.as_int(0), arguments.as_int(1), arguments.as_int(2));
}

Result<uint64_t> sys_tkill(Task& task, const SyscallArguments& arguments) {
  if (arguments.as_int(0) <= 0) {
    return fail(Errno::einval);
  }
  return send_to_thread(task, 0, arguments.as_int(0), arguments.as_int(1));
}

}  // namespace

void register_signal_syscalls(SyscallTable& table) {
  table.add(nr::rt_sigaction, sys_rt_sigaction);
  table.add(nr::rt_sigprocmask, sys_rt_sigprocmask);
  table.add(nr::rt_sigpending, sys_rt_sigpending);
  table.add(nr::sigaltstack, sys_sigaltstack);
  table.add(nr::rt_sigreturn, sys_rt_sigreturn);
  table.add(nr::rt_sigsuspend, sys_rt_sigsuspend);
  table.add(nr::pause, sys_pause);
  table.add(nr::rt_sigtimedwait, sys_rt_sigtimedwait);
  table.add(nr::rt_sigqueueinfo, sys_rt_sigqueueinfo);
  table.add(nr::rt_tgsigqueueinfo, sys_rt_tgsigqueueinfo);
  table.add(nr::kill, sys_kill);
  table.add(nr::tgkill, sys_tgkill);
  table.add(nr::tkill, sys_tkill);
}

}  // namespace litebox::shim::linux_abi
