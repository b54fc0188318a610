#include "shim/linux/signal/delivery.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "litebox/platform/platform.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/signal/signal_frame.hpp"
#include "shim/linux/timers.hpp"
#include "shim/linux/trace.hpp"

namespace litebox::shim::linux_abi {

namespace {

// sigaltstack(2) flags.
constexpr int32_t ss_on_stack = 1;
constexpr int32_t ss_disable = 2;
constexpr uint32_t ss_auto_disarm = 1u << 31;
// MINSIGSTKSZ on x86-64.
constexpr uint64_t min_signal_stack_size = 2048;

// The maximum number of signals queued in one pending set, as the shim's
// default RLIMIT_SIGPENDING.
constexpr size_t max_queued_signals = 4096;

// Signals that a fault raises; Linux delivers them before any other.
constexpr uint64_t synchronous_signals =
    signal_bit(sig::segmentation_fault) | signal_bit(sig::bus_error) |
    signal_bit(sig::illegal_instruction) | signal_bit(sig::trap) | signal_bit(sig::floating_point) |
    signal_bit(sig::bad_system_call);

enum class DefaultAction { terminate, ignore, stop, resume };

DefaultAction default_action(int signal) {
  switch (signal) {
    case sig::child:
    case sig::urgent:
    case sig::window_change:
      return DefaultAction::ignore;
    case sig::cont:
      return DefaultAction::resume;
    case sig::stop:
    case sig::terminal_stop:
    case sig::terminal_input:
    case sig::terminal_output:
      return DefaultAction::stop;
    default:
      // Core-dumping signals end the process the same way: no core file is
      // written.
      return DefaultAction::terminate;
  }
}

// Whether delivering `signal` with `action` would do nothing, so that
// sending it may drop it.
bool is_ignored(const SignalAction& action, int signal) {
  if (action.handler == sig_ignore) {
    return true;
  }
  // SIGCONT resumes the process when it is sent, so its delivery has
  // nothing left to do.
  const DefaultAction kind = default_action(signal);
  return action.handler == sig_default &&
         (kind == DefaultAction::ignore || kind == DefaultAction::resume);
}

// The continuation of a system call that a signal interrupted (the
// kernel's ERESTARTSYS versus ERESTARTNOHAND): either it restarts when the
// handler has SA_RESTART, or it always returns EINTR once a handler runs.
// Without a handler every interrupted call restarts.
enum class RestartPolicy { with_sa_restart, never_after_handler };

RestartPolicy restart_policy(const SyscallArguments& arguments) {
  switch (arguments.number) {
    case nr::read:
    case nr::readv:
    case nr::pread64:
    case nr::preadv:
    case nr::preadv2:
    case nr::write:
    case nr::writev:
    case nr::pwrite64:
    case nr::pwritev:
    case nr::pwritev2:
    case nr::ioctl:
    case nr::open:
    case nr::openat:
    case nr::openat2:
    case nr::creat:
    case nr::wait4:
    case nr::waitid:
    case nr::accept:
    case nr::accept4:
    case nr::connect:
    case nr::recvfrom:
    case nr::recvmsg:
    case nr::sendto:
    case nr::sendmsg:
    case nr::flock:
    case nr::fcntl:
    case nr::getrandom:
    case nr::splice:
    case nr::tee:
    case nr::vmsplice:
    case nr::sendfile:
    case nr::copy_file_range:
      return RestartPolicy::with_sa_restart;
    case nr::futex:
      // A wait with a timeout returns EINTR, as in Linux.
      return arguments[3] == 0 ? RestartPolicy::with_sa_restart
                               : RestartPolicy::never_after_handler;
    default:
      // poll, select, epoll_wait, nanosleep, rt_sigsuspend, pause, ...
      return RestartPolicy::never_after_handler;
  }
}

// Whether an EPIPE from this call comes with SIGPIPE: writes without
// RWF_NOSIGNAL, and socket sends without MSG_NOSIGNAL.
bool raises_sigpipe(const SyscallArguments& arguments) {
  constexpr uint32_t msg_no_signal = 0x4000;
  switch (arguments.number) {
    case nr::write:
    case nr::writev:
    case nr::pwrite64:
    case nr::pwritev:
    case nr::splice:
    case nr::tee:
    case nr::vmsplice:
    case nr::sendfile:
      return true;
    case nr::pwritev2:
      return (arguments.as_uint(5) & rwf_no_signal) == 0;
    case nr::sendto:
      return (arguments.as_uint(3) & msg_no_signal) == 0;
    case nr::sendmsg:
    case nr::sendmmsg:
      return (arguments.as_uint(arguments.number == nr::sendmsg ? 2 : 3) & msg_no_signal) == 0;
    default:
      return false;
  }
}

// Sends the thread back to the system call instruction with its number in
// rax, so it runs the call again. The arguments are still in place.
// NOTE: assumes a 2-byte `syscall` instruction, which both trap backends
// report; a rewritten call site needs its own restart address.
void restart_syscall(platform::GuestRegisters& registers, uint64_t number) {
  registers.rip -= 2;
  registers.rax = number;
}

// Restarts a call that a signal interrupted without running a handler. A
// relative sleep resumes through restart_syscall(2), so that it ends at its
// first deadline, and any other call runs again with the same arguments.
// restart_syscall(2) without a sleep to resume returns EINTR, as on Linux.
void restart_interrupted(Task& task, platform::GuestRegisters& registers,
                         const SyscallArguments& interrupted) {
  // TODO: poll and a futex wait with a timeout run again with their whole
  // timeout, where Linux resumes them through restart_syscall(2) too.
  if (task.sleep_restart) {
    restart_syscall(registers, nr::restart_syscall);
  } else if (interrupted.number != nr::restart_syscall) {
    restart_syscall(registers, interrupted.number);
  }
}

// Adds `info` to `pending`; a standard signal that is already pending is
// merged. Process lock held.
Result<void> enqueue(PendingSignals& pending, const SignalInfo& info) {
  const uint64_t bit = signal_bit(info.signo);
  if (info.signo < sig::realtime_min && (pending.set & bit) != 0) {
    return {};
  }
  if (pending.queue.size() >= max_queued_signals) {
    return fail(Errno::eagain);
  }
  pending.set |= bit;
  pending.queue.push_back(info);
  return {};
}

// Notifies the signalfd descriptors when it goes out of scope after a
// signal was queued for the process, so that the notification comes after
// the process lock is released (declare it before the lock guard).
class QueuedSignalNotice {
 public:
  explicit QueuedSignalNotice(Process& process) : process_(process) {}
  QueuedSignalNotice(const QueuedSignalNotice&) = delete;
  QueuedSignalNotice& operator=(const QueuedSignalNotice&) = delete;
  ~QueuedSignalNotice() {
    if (queued_) {
      process_.kernel().signal_readiness().notify(event::pollin | event::pollrdnorm);
    }
  }

  void record() { queued_ = true; }

 private:
  Process& process_;
  bool queued_ = false;
};

// Removes the queued signals that `discard` selects from `pending` and
// recomputes its set. Process lock held.
template <typename Predicate>
void discard_queued(PendingSignals& pending, Predicate discard) {
  if (std::erase_if(pending.queue, discard) == 0) {
    return;
  }
  pending.set = 0;
  for (const SignalInfo& queued : pending.queue) {
    pending.set |= signal_bit(queued.signo);
  }
}

// Discards the pending signals in `set` of `process` and of each of its
// threads. Process lock held.
void discard_pending(Process& process, uint64_t set) {
  const auto selected = [set](const SignalInfo& queued) {
    return (set & signal_bit(queued.signo)) != 0;
  };
  discard_queued(process.pending_signals, selected);
  for (Task* thread : process.tasks) {
    discard_queued(thread->pending_signals, selected);
  }
}

// Applies what generating `signal` does to `process` before it is queued,
// as Linux does. A stop signal discards a pending SIGCONT. SIGCONT discards
// pending stop signals and ends a stop, even when the process blocks,
// catches or ignores it. Process lock held.
void apply_job_control_on_send(Process& process, int signal) {
  if ((stop_signals & signal_bit(signal)) != 0) {
    discard_pending(process, signal_bit(sig::cont));
    return;
  }
  if (signal != sig::cont) {
    return;
  }
  discard_pending(process, stop_signals);
  if (!process.stopped.load(std::memory_order_relaxed)) {
    return;
  }
  process.stopped.store(false, std::memory_order_release);
  if (process.stop_reported) {
    process.unwaited_stop = 0;
    process.unwaited_continue = true;
    process.continue_unreported = true;
  }
  process.resumed.notify_all();
}

// Starts a group stop of the process of `task` for `signal` and returns
// the host threads of its other threads, which the caller interrupts so
// that they park when they enter the libOS. Process lock held.
std::vector<platform::ThreadId> begin_group_stop(Task& task, int signal) {
  Process& process = task.process();
  process.stopped.store(true, std::memory_order_release);
  process.stop_signal = signal;
  process.stop_reported = false;
  process.unwaited_continue = false;
  std::vector<platform::ThreadId> others;
  for (Task* thread : process.tasks) {
    if (thread != &task && thread->host_thread != 0) {
      others.push_back(thread->host_thread);
    }
  }
  return others;
}

// Blocks the calling thread while its process is stopped. The last thread
// to park completes the stop and reports it to the parent; a thread that
// exits meanwhile wakes the parked ones, so one of them can. The first
// thread to leave after SIGCONT reports the continue. SIGKILL ends a
// stopped process from here.
void park_while_stopped(Task& task) {
  Process& process = task.process();
  if (!process.stopped.load(std::memory_order_acquire)) {
    return;
  }
  Kernel& kernel = task.kernel();
  const uint64_t kill_bit = signal_bit(sig::kill);
  bool parked = false;
  bool killed = false;
  bool report_continue = false;
  while (true) {
    int32_t stop_to_report = 0;
    {
      sync::LockGuard guard(process.lock);
      if (!parked) {
        ++process.parked_threads;
        parked = true;
      }
      const bool kill_pending =
          ((process.pending_signals.set | task.pending_signals.set) & kill_bit) != 0;
      if (!process.stopped.load(std::memory_order_relaxed) || kill_pending) {
        --process.parked_threads;
        killed = process.stopped.load(std::memory_order_relaxed);
        report_continue = !killed && process.continue_unreported;
        if (report_continue) {
          process.continue_unreported = false;
        }
        break;
      }
      if (!process.stop_reported && process.parked_threads >= process.tasks.size()) {
        process.stop_reported = true;
        process.unwaited_stop = process.stop_signal;
        stop_to_report = process.stop_signal;
      } else {
        // SIGCONT and thread exits notify `resumed`; SIGKILL interrupts
        // every thread, which ends the wait with EINTR.
        (void)process.resumed.wait(process.lock);
      }
    }
    if (stop_to_report != 0) {
      kernel.report_job_change(task, si::child_stopped, stop_to_report);
    }
  }
  if (killed) {
    kernel.kill_process(task, sig::kill);
  }
  if (report_continue) {
    kernel.report_job_change(task, si::child_continued, sig::cont);
  }
}

// Removes the oldest `signal` from `pending`. Process lock held.
std::optional<SignalInfo> dequeue(PendingSignals& pending, int signal) {
  std::optional<SignalInfo> taken;
  bool more = false;
  for (auto entry = pending.queue.begin(); entry != pending.queue.end();) {
    if (entry->signo != signal) {
      ++entry;
    } else if (!taken) {
      taken = *entry;
      entry = pending.queue.erase(entry);
    } else {
      more = true;
      break;
    }
  }
  if (!more) {
    pending.set &= ~signal_bit(signal);
  }
  return taken;
}

// Picks the next signal of `task` in `set`: faults first, then the lowest
// number; a signal sent to the thread before one sent to the process.
// Process lock held.
std::optional<SignalInfo> take_from_set(Task& task, uint64_t set) {
  Process& process = task.process();
  const uint64_t thread_ready = task.pending_signals.set & set;
  const uint64_t process_ready = process.pending_signals.set & set;
  uint64_t ready = thread_ready | process_ready;
  if (ready == 0) {
    return std::nullopt;
  }
  if ((ready & synchronous_signals) != 0) {
    ready &= synchronous_signals;
  }
  const int signal = __builtin_ctzll(ready) + 1;
  PendingSignals& pending =
      (thread_ready & signal_bit(signal)) != 0 ? task.pending_signals : process.pending_signals;
  std::optional<SignalInfo> dequeued = dequeue(pending, signal);

  // timer_getoverrun(2) reports the overruns of the timer signal a thread
  // took last, not of one queued after it.
  if (dequeued && dequeued->code == si::timer && process.timers != nullptr) {
    process.timers->note_delivered(dequeued->timer_id(), dequeued->timer_overrun());
  }
  return dequeued;
}

// Picks the next signal `task` does not block. Process lock held.
std::optional<SignalInfo> take_deliverable(Task& task) {
  return take_from_set(task, ~task.signal_mask);
}

// Prints the delivery of `info` as strace does ("--- SIGSEGV {...} ---").
void trace_delivery(Task& task, const SignalInfo& info) {
  if (!task.kernel().options().trace) {
    return;
  }
  std::string code;
  const bool from_child = info.signo == sig::child && info.code > 0;
  switch (info.code) {
    case si::child_exited:
    case si::child_killed:
    case si::child_stopped:
    case si::child_continued: {
      constexpr std::array<std::string_view, 7> child_codes = {
          "", "CLD_EXITED", "CLD_KILLED", "", "", "CLD_STOPPED", "CLD_CONTINUED"};
      code = from_child ? std::string(child_codes[static_cast<size_t>(info.code)])
                        : fmt::format("{}", info.code);
      break;
    }
    case si::user:
      code = "SI_USER";
      break;
    case si::kernel:
      code = "SI_KERNEL";
      break;
    case si::tkill:
      code = "SI_TKILL";
      break;
    default:
      code = fmt::format("{}", info.code);
      break;
  }
  std::string details;
  if (from_child) {
    // si_status is the exit code, or the signal that killed the child.
    // si_utime and si_stime stay 0 because the sandbox keeps no CPU times.
    const auto status = static_cast<int32_t>(info.fields[1]);
    details = fmt::format(
        ", si_pid={}, si_uid={}, si_status={}, si_utime=0, si_stime=0",
        static_cast<int32_t>(info.fields[0]), static_cast<uint32_t>(info.fields[0] >> 32),
        info.code == si::child_exited ? fmt::format("{}", status) : signal_name(status));
  } else if ((synchronous_signals & signal_bit(info.signo)) != 0 && info.code > 0 &&
             info.code != si::kernel) {
    details = fmt::format(", si_addr={:#x}", info.fields[0]);
  } else if (info.code <= 0) {
    details = fmt::format(", si_pid={}, si_uid={}", static_cast<int32_t>(info.fields[0]),
                          static_cast<uint32_t>(info.fields[0] >> 32));
  }
  write_trace(fmt::format("--- {} {{si_signo={}, si_code={}{}}} ---", signal_name(info.signo),
                          signal_name(info.signo), code, details));
}

// The outcome of delivering one signal.
enum class Delivery { none, ignored, stopped, handler };

// Whether a stop signal that `task` does not block is pending and the
// process group of `task` is orphaned, so the default action of SIGTSTP,
// SIGTTIN and SIGTTOU is discarded. Checked before the process lock is
// taken, because the process table lock comes first.
bool terminal_stops_discarded(Task& task) {
  const uint64_t pending = task.pending_signals.set.load(std::memory_order_acquire) |
                           task.process().pending_signals.set.load(std::memory_order_acquire);
  if ((pending & stop_signals & ~signal_bit(sig::stop) & ~task.signal_mask) == 0) {
    return false;
  }
  return task.kernel().process_group_orphaned(task.process().process_group);
}

// Takes one deliverable signal of `task` and acts on it: drops an ignored
// one, ends the process for a terminating default action, starts a group
// stop for a stopping one, or builds the handler's frame. For the first
// handler after an interrupted call, `interrupted` decides between EINTR
// and a restart.
Delivery deliver_one(Task& task, platform::GuestRegisters& registers,
                     platform::ExtendedState extended_state, const SyscallArguments* interrupted,
                     const platform::GuestFault* fault) {
  Process& process = task.process();
  const bool orphaned = terminal_stops_discarded(task);
  std::optional<SignalInfo> info;
  SignalAction action;
  uint64_t saved_mask = 0;
  std::vector<platform::ThreadId> stopped_threads;
  platform::ProcessId host_process = 0;
  {
    sync::LockGuard guard(process.lock);
    info = take_deliverable(task);
    if (!info) {
      return Delivery::none;
    }
    action = process.signal_actions[info->signo - 1];
    if (action.handler == sig_ignore) {
      return Delivery::ignored;
    }
    const DefaultAction kind = default_action(info->signo);
    if (action.handler == sig_default && kind == DefaultAction::stop) {
      if (info->signo != sig::stop && orphaned) {
        return Delivery::ignored;
      }
      stopped_threads = begin_group_stop(task, info->signo);
      host_process = process.host_process;
    } else if (action.handler == sig_default && kind != DefaultAction::terminate) {
      return Delivery::ignored;
    }
    if (action.handler != sig_default) {
      saved_mask = task.saved_signal_mask.value_or(task.signal_mask);
      task.saved_signal_mask.reset();
      uint64_t handler_mask = task.signal_mask | action.mask;
      if ((action.flags & sa::no_defer) == 0) {
        handler_mask |= signal_bit(info->signo);
      }
      task.signal_mask = handler_mask & ~unblockable_signals;
      if ((action.flags & sa::reset_hand) != 0) {
        process.signal_actions[info->signo - 1].handler = sig_default;
      }
    }
  }

  trace_delivery(task, *info);
  if (action.handler == sig_default && default_action(info->signo) == DefaultAction::stop) {
    for (platform::ThreadId thread : stopped_threads) {
      platform::current().threads.interrupt(host_process, thread);
    }
    if (task.kernel().options().trace) {
      write_trace(fmt::format("--- stopped by {} ---", signal_name(info->signo)));
    }
    return Delivery::stopped;
  }
  if (action.handler == sig_default) {
    task.kernel().kill_process(task, info->signo);
  }

  if (interrupted != nullptr) {
    if (restart_policy(*interrupted) == RestartPolicy::with_sa_restart &&
        (action.flags & sa::restart) != 0) {
      restart_syscall(registers, interrupted->number);
    }
  }

  FrameContext context;
  context.saved_mask = saved_mask;
  if (fault != nullptr) {
    context.trap_number = fault->trap_number;
    context.error_code = fault->error_code;
    context.fault_address = fault->address;
  }
  const SignalStack stack_before = task.alternate_stack;
  if (!push_signal_frame(task, registers, extended_state, *info, action, context)) {
    // The guest cannot take the signal on this stack: SIGSEGV, with its
    // default action if SIGSEGV itself failed.
    {
      sync::LockGuard guard(process.lock);
      task.signal_mask = saved_mask;
      if (info->signo == sig::segmentation_fault) {
        process.signal_actions[sig::segmentation_fault - 1].handler = sig_default;
      }
    }
    force_signal(task, SignalInfo::from_sender(sig::segmentation_fault, si::kernel, 0, 0));
    return Delivery::ignored;
  }
  if ((stack_before.flags & static_cast<int32_t>(ss_auto_disarm)) != 0) {
    task.alternate_stack = SignalStack{};
  }
  return Delivery::handler;
}

// Delivers every signal `task` may take now, nesting one frame per handler
// as Linux does on consecutive returns to user mode.
void deliver_pending(Task& task, platform::GuestRegisters& registers,
                     platform::ExtendedState extended_state, const SyscallArguments* interrupted,
                     const platform::GuestFault* fault) {
  // Most system calls return with nothing to deliver, and this check spares
  // them the process lock. The masks change only on this thread. A signal
  // that another thread makes pending just after the check also interrupts
  // this thread, as it would one that came just after a locked check.
  if (interrupted == nullptr && fault == nullptr && !task.saved_signal_mask) {
    const uint64_t pending = task.pending_signals.set.load(std::memory_order_acquire) |
                             task.process().pending_signals.set.load(std::memory_order_acquire);
    if ((pending & ~task.signal_mask) == 0 &&
        !task.process().stopped.load(std::memory_order_acquire)) {
      return;
    }
  }

  bool handler_ran = false;
  // Each round removes one pending signal, so the queue bounds the loop.
  while (true) {
    park_while_stopped(task);
    const Delivery delivery =
        deliver_one(task, registers, extended_state, handler_ran ? nullptr : interrupted, fault);
    if (delivery == Delivery::none) {
      break;
    }
    if (delivery == Delivery::handler) {
      handler_ran = true;
      fault = nullptr;
    }
  }

  if (handler_ran) {
    task.sleep_restart.reset();
  } else {
    if (interrupted != nullptr) {
      restart_interrupted(task, registers, *interrupted);
    }
    // rt_sigsuspend's temporary mask ends with the call.
    sync::LockGuard guard(task.process().lock);
    if (task.saved_signal_mask) {
      task.signal_mask = *task.saved_signal_mask;
      task.saved_signal_mask.reset();
    }
  }
}

}  // namespace

Result<void> send_process_signal(Task& sender, Process& process, const SignalInfo& info) {
  const bool to_self = &sender.process() == &process;
  if (info.signo == sig::kill && to_self) {
    sender.kernel().kill_process(sender, sig::kill);
  }

  std::vector<platform::ThreadId> woken_threads;
  platform::ProcessId host_process = 0;
  QueuedSignalNotice notice(process);
  {
    sync::LockGuard guard(process.lock);
    apply_job_control_on_send(process, info.signo);
    const SignalAction& action = process.signal_actions[info.signo - 1];
    const uint64_t bit = signal_bit(info.signo);
    // Linux drops an ignored signal unless the receiving thread blocks it;
    // for another process that thread is its first one.
    uint64_t receiver_mask = sender.signal_mask;
    if (!to_self) {
      receiver_mask = process.tasks.empty() ? 0 : process.tasks.front()->signal_mask;
    }
    if (is_ignored(action, info.signo) && (receiver_mask & bit) == 0) {
      return {};
    }
    TRY_VOID(enqueue(process.pending_signals, info));
    notice.record();

    // The sender takes the signal on its way back to the guest unless it
    // blocks it. Otherwise the first thread that does not block it is
    // interrupted, so a wait it is blocked in returns EINTR. SIGKILL
    // interrupts every thread, so that none stays blocked.
    if (to_self && (sender.signal_mask & bit) == 0) {
      return {};
    }
    for (Task* task : process.tasks) {
      if ((task->signal_mask & bit) == 0 && task->host_thread != 0) {
        woken_threads.push_back(task->host_thread);
        if (info.signo != sig::kill) {
          break;
        }
      }
    }
    host_process = process.host_process;
  }
  for (platform::ThreadId thread : woken_threads) {
    platform::current().threads.interrupt(host_process, thread);
  }
  return {};
}

int32_t send_timer_signal(Process& process, int32_t tid, const SignalInfo& info) {
  // Overruns saturate at DELAYTIMER_MAX, which is INT_MAX on Linux.
  constexpr int64_t overrun_limit = 0x7fff'ffff;
  const uint64_t bit = signal_bit(info.signo);
  std::optional<platform::ThreadId> woken_thread;
  QueuedSignalNotice notice(process);
  {
    sync::LockGuard guard(process.lock);
    Task* target = nullptr;
    if (tid != 0) {
      target = process.find_task_locked(tid);
      if (target == nullptr) {
        return info.timer_overrun();
      }
    }
    PendingSignals& pending = target != nullptr ? target->pending_signals : process.pending_signals;
    apply_job_control_on_send(process, info.signo);

    if (info.code == si::timer) {
      for (SignalInfo& queued : pending.queue) {
        if (queued.signo == info.signo && queued.code == si::timer &&
            queued.timer_id() == info.timer_id()) {
          const int64_t overrun =
              int64_t{queued.timer_overrun()} + 1 + int64_t{info.timer_overrun()};
          queued.set_timer_overrun(static_cast<int32_t>(std::min(overrun, overrun_limit)));
          return queued.timer_overrun();
        }
      }
    }

    // An ignored signal is dropped unless the receiving thread blocks it;
    // for the process as a whole that is its first thread.
    uint64_t receiver_mask = 0;
    if (target != nullptr) {
      receiver_mask = target->signal_mask;
    } else if (!process.tasks.empty()) {
      receiver_mask = process.tasks.front()->signal_mask;
    }
    if (is_ignored(process.signal_actions[info.signo - 1], info.signo) &&
        (receiver_mask & bit) == 0) {
      return info.timer_overrun();
    }
    // A full queue drops the signal; Linux counts that as an overrun too.
    if (!enqueue(pending, info)) {
      return info.timer_overrun();
    }
    notice.record();

    if (target != nullptr) {
      if ((target->signal_mask & bit) == 0) {
        woken_thread = target->host_thread;
      }
    } else {
      for (Task* thread : process.tasks) {
        if ((thread->signal_mask & bit) == 0) {
          woken_thread = thread->host_thread;
          break;
        }
      }
    }
  }
  if (woken_thread) {
    platform::current().threads.interrupt(*woken_thread);
  }
  return info.timer_overrun();
}

void discard_timer_signal(Process& process, int32_t timer_id) {
  const auto selected = [timer_id](const SignalInfo& queued) {
    return queued.code == si::timer && queued.timer_id() == timer_id;
  };
  sync::LockGuard guard(process.lock);
  discard_queued(process.pending_signals, selected);
  for (Task* thread : process.tasks) {
    discard_queued(thread->pending_signals, selected);
  }
}

Result<void> send_thread_signal(Task& sender, Process& process, int32_t tid,
                                const SignalInfo& info) {
  platform::ThreadId woken_thread = 0;
  platform::ProcessId host_process = 0;
  QueuedSignalNotice notice(process);
  {
    // The lookup and the queueing share one critical section, because a
    // Task leaves `process.tasks` under this lock before it is destroyed.
    sync::LockGuard guard(process.lock);
    Task* target = process.find_task_locked(tid);
    if (target == nullptr) {
      return fail(Errno::esrch);
    }
    if (info.signo != 0 && !is_valid_signal(info.signo)) {
      return fail(Errno::einval);
    }
    if (info.signo == 0) {
      return {};
    }

    const uint64_t bit = signal_bit(info.signo);
    apply_job_control_on_send(process, info.signo);
    const SignalAction& action = process.signal_actions[info.signo - 1];
    const bool kill_self = info.signo == sig::kill && &sender.process() == &process;
    if (!kill_self) {
      if (is_ignored(action, info.signo) && (target->signal_mask & bit) == 0) {
        return {};
      }
      TRY_VOID(enqueue(target->pending_signals, info));
      notice.record();
      if ((target->signal_mask & bit) != 0 || target == &sender) {
        return {};
      }
      woken_thread = target->host_thread;
      host_process = process.host_process;
    }
  }
  // SIGKILL to the sender's own process ends it here. That takes the process
  // lock, so it happens outside the critical section.
  if (woken_thread == 0 && info.signo == sig::kill && &sender.process() == &process) {
    sender.kernel().kill_process(sender, sig::kill);
  }
  // Interrupting a thread that has exited meanwhile does nothing; a forked
  // child that has not recorded its host thread yet takes the signal when
  // its fork returns.
  if (woken_thread != 0) {
    platform::current().threads.interrupt(host_process, woken_thread);
  }
  return {};
}

void force_signal(Task& task, const SignalInfo& info) {
  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  SignalAction& action = process.signal_actions[info.signo - 1];
  const uint64_t bit = signal_bit(info.signo);
  if (action.handler == sig_ignore || (task.signal_mask & bit) != 0) {
    action.handler = sig_default;
    task.signal_mask &= ~bit;
  }
  // A fault signal is never merged away: the faulting instruction would
  // run again without it.
  if (!enqueue(task.pending_signals, info)) {
    task.pending_signals.set |= bit;
    task.pending_signals.queue.push_back(info);
  }
}

void send_signal_to_self(Task& task, int signal) {
  Process& process = task.process();
  uint32_t uid = 0;
  {
    sync::LockGuard guard(process.lock);
    uid = process.credentials.uid;
  }
  (void)send_thread_signal(task, process, task.tid(),
                           SignalInfo::from_sender(signal, si::user, process.pid(), uid));
}

void deliver_after_syscall(Task& task, platform::GuestRegisters& registers,
                           platform::ExtendedState extended_state,
                           const SyscallArguments& arguments, const Result<uint64_t>& result) {
  if (!result && result.error() == Errno::epipe && raises_sigpipe(arguments)) {
    send_signal_to_self(task, sig::pipe);
  }

  const bool interrupted =
      !result && result.error() == Errno::eintr && arguments.number != nr::rt_sigreturn;
  deliver_pending(task, registers, extended_state, interrupted ? &arguments : nullptr, nullptr);
}

void deliver_fault(Task& task, platform::GuestRegisters& registers,
                   platform::ExtendedState extended_state, const platform::GuestFault& fault) {
  force_signal(task, SignalInfo::from_fault(fault.signal, fault.code, fault.address));
  deliver_pending(task, registers, extended_state, nullptr, &fault);
}

void deliver_interrupted(Task& task, platform::GuestRegisters& registers,
                         platform::ExtendedState extended_state) {
  deliver_pending(task, registers, extended_state, nullptr, nullptr);
}

std::optional<SignalInfo> take_pending_signal(Task& task, uint64_t set) {
  sync::LockGuard guard(task.process().lock);
  return take_from_set(task, set);
}

uint64_t pending_signal_set(Task& task) {
  sync::LockGuard guard(task.process().lock);
  return task.pending_signals.set | task.process().pending_signals.set;
}

void set_signal_mask(Task& task, uint64_t mask) {
  sync::LockGuard guard(task.process().lock);
  task.signal_mask = mask & ~unblockable_signals;
}

bool begin_temporary_signal_mask(Task& task, uint64_t mask) {
  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  task.saved_signal_mask = task.signal_mask;
  task.signal_mask = mask & ~unblockable_signals;
  const uint64_t pending = task.pending_signals.set | process.pending_signals.set;
  return (pending & ~task.signal_mask) == 0;
}

void end_temporary_signal_mask(Task& task, const Result<uint64_t>& result) {
  if (!result && result.error() == Errno::eintr) {
    return;
  }
  sync::LockGuard guard(task.process().lock);
  if (task.saved_signal_mask) {
    task.signal_mask = *task.saved_signal_mask;
    task.saved_signal_mask.reset();
  }
}

bool alternate_stack_enabled(const Task& task) {
  return task.alternate_stack.flags != ss_disable && task.alternate_stack.size != 0;
}

bool on_alternate_stack(const Task& task, uint64_t stack_pointer) {
  const SignalStack& stack = task.alternate_stack;
  if ((static_cast<uint32_t>(stack.flags) & ss_auto_disarm) != 0) {
    return false;
  }
  return stack_pointer > stack.base && stack_pointer - stack.base <= stack.size;
}

Result<void> change_alternate_stack(Task& task, const SignalStack& requested,
                                    uint64_t stack_pointer) {
  const auto flags = static_cast<uint32_t>(requested.flags);
  const uint32_t mode = flags & ~ss_auto_disarm;
  if (mode != 0 && mode != static_cast<uint32_t>(ss_disable) &&
      mode != static_cast<uint32_t>(ss_on_stack)) {
    return fail(Errno::einval);
  }
  if (on_alternate_stack(task, stack_pointer)) {
    return fail(Errno::eperm);
  }

  SignalStack stack;
  if (mode == static_cast<uint32_t>(ss_disable)) {
    stack.flags = ss_disable;
  } else {
    if (requested.size < min_signal_stack_size) {
      return fail(Errno::enomem);
    }
    stack = requested;
    stack.flags = static_cast<int32_t>(flags & ss_auto_disarm);
    stack.padding = 0;
  }
  task.alternate_stack = stack;
  return {};
}

}  // namespace litebox::shim::linux_abi
