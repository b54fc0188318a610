// Guest signal generation and delivery: the pending sets, the choice of a
// thread for a process-wide signal, default actions, running handlers when
// a thread returns to the guest, and restarting interrupted system calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "litebox/platform/execution.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/deadline.hpp"
#include "shim/linux/signal/signal_types.hpp"
#include "shim/linux/syscall_table.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

// Makes `info` pending for `process`, which may be another process of the
// sandbox, and wakes one of its threads that does not block it. SIGKILL to
// the sender's own process ends it at once; SIGKILL to another process wakes
// all its threads, which then end it. An ignored signal is dropped; `eagain`
// when too many real-time signals are queued. Permission checks are the
// caller's.
Result<void> send_process_signal(Task& sender, Process& process, const SignalInfo& info);

// The same for the thread `tid` of `process` (tgkill, SIGPIPE): `esrch`
// when there is none, then `einval` for a bad signal number. Signal 0 only
// checks that the thread exists.
Result<void> send_thread_signal(Task& sender, Process& process, int32_t tid,
                                const SignalInfo& info);

// RWF_NOSIGNAL, the pwritev2(2) flag that turns off SIGPIPE for the write.
inline constexpr uint32_t rwf_no_signal = 0x100;

// Makes `signal` pending for `task`, the calling thread, as Linux does for
// SIGPIPE and SIGXFSZ: si_code SI_USER with the process's own pid and uid.
void send_signal_to_self(Task& task, int signal);

// Queues the signal of an expired timer of `process` for its thread `tid`,
// or for the whole process when `tid` is 0, and wakes a thread that does
// not block it. A POSIX timer has at most one signal queued: while that
// one is pending, further expiries only raise its si_overrun, as on Linux.
// Runs on the timer thread, which is no guest thread, so there is no sender.
// Returns the si_overrun of the timer's queued signal.
int32_t send_timer_signal(Process& process, int32_t tid, const SignalInfo& info);

// Drops the queued signal of POSIX timer `timer_id` of `process`, as Linux
// does when the timer is armed again or deleted.
void discard_timer_signal(Process& process, int32_t timer_id);

// Makes `info` pending for `task` even when it is blocked or ignored: the
// action is reset to the default and the signal unblocked, as Linux does
// for faults and unusable signal frames.
void force_signal(Task& task, const SignalInfo& info);

// Runs after each system call of `task`, with its result already in rax:
// sends SIGPIPE for an EPIPE from a write, decides whether a call that a
// signal interrupted returns EINTR or restarts, and delivers every pending
// signal that `task` does not block.
void deliver_after_syscall(Task& task, platform::GuestRegisters& registers,
                           platform::ExtendedState extended_state,
                           const SyscallArguments& arguments, const Result<uint64_t>& result);

// Delivers the signal for a fault of guest code at `registers`.
void deliver_fault(Task& task, platform::GuestRegisters& registers,
                   platform::ExtendedState extended_state, const platform::GuestFault& fault);

// Delivers the signals pending for `task`, which was stopped in guest code
// at `registers` (not at a system call).
void deliver_interrupted(Task& task, platform::GuestRegisters& registers,
                         platform::ExtendedState extended_state);

// Removes and returns the first pending signal of `task` in `set` (its own
// before its process's, faults first, then the lowest number), whether
// blocked or not, for rt_sigtimedwait.
std::optional<SignalInfo> take_pending_signal(Task& task, uint64_t set);

// Sleeps until Threads::interrupt wakes the calling thread, which a new
// signal for it does, or until `timeout` has passed: `eintr` or
// `etimedout` (syscalls/signal.cpp).
Result<void> wait_for_signal_until(std::optional<std::chrono::nanoseconds> timeout);

// Pending signals of `task` and its process, blocked ones included.
uint64_t pending_signal_set(Task& task);

// Replaces the blocked mask of `task` (SIGKILL and SIGSTOP stay unblocked).
void set_signal_mask(Task& task, uint64_t mask);

// Blocks `mask` instead of the current mask for one waiting system call
// (ppoll, pselect6, epoll_pwait), atomically with respect to senders.
// Returns false when a signal that `mask` leaves unblocked is already
// pending.
bool begin_temporary_signal_mask(Task& task, uint64_t mask);

// Ends the temporary mask of a call that returns `result`. The old mask
// comes back at once, except after EINTR: then delivery restores it once a
// handler's frame has recorded it, so the handler runs with the temporary
// mask, as on Linux.
void end_temporary_signal_mask(Task& task, const Result<uint64_t>& result);

// Runs `wait(deadline)`, which returns a count of ready descriptors, with
// `mask` (when given) blocked instead of the current mask. As in Linux, a
// signal already pending makes the call check its descriptors without
// sleeping and return EINTR when none is ready.
template <typename Wait>
Result<uint64_t> wait_with_signal_mask(Task& task, std::optional<uint64_t> mask,
                                       sync::Deadline deadline, Wait&& wait) {
  if (!mask) {
    return wait(deadline);
  }
  const bool signal_pending = !begin_temporary_signal_mask(task, *mask);
  Result<uint64_t> result = wait(signal_pending ? sync::Deadline::after({}) : deadline);
  if (signal_pending && result && *result == 0) {
    result = fail(Errno::eintr);
  }
  end_temporary_signal_mask(task, result);
  return result;
}

// Whether `task` has an alternate signal stack, and whether
// `stack_pointer` lies on it (never, with SS_AUTODISARM).
bool alternate_stack_enabled(const Task& task);
bool on_alternate_stack(const Task& task, uint64_t stack_pointer);

// Installs `requested` as the alternate signal stack (sigaltstack(2)):
// `eperm` while `stack_pointer` is on the current one, `einval` for
// unknown flags, `enomem` below MINSIGSTKSZ.
Result<void> change_alternate_stack(Task& task, const SignalStack& requested,
                                    uint64_t stack_pointer);

}  // namespace litebox::shim::linux_abi
