// Task: the per-thread state of a guest thread: its id, the process it
// belongs to, the futex-wake address for thread exit, the robust futex list,
// the signal mask and the alternate signal stack.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "litebox/platform/execution.hpp"
#include "shim/linux/process.hpp"

namespace litebox::shim::linux_abi {

class TraceLine;

// The scheduling policy of sched_setscheduler(2) and sched_setattr(2).
struct SchedulingPolicy {
  uint32_t policy = 0;  // SCHED_OTHER
  // 1 to 99 for SCHED_FIFO and SCHED_RR, 0 for the other policies.
  uint32_t priority = 0;
  // SCHED_FLAG_RESET_ON_FORK: children of a real-time thread start with
  // SCHED_OTHER, and every child starts with a nice value of at least 0
  // and without the flag.
  bool reset_on_fork = false;
  // The time slice in nanoseconds that sched_setattr(2) set for a fair
  // policy (sched_runtime), or 0 for the kernel's base slice.
  uint64_t custom_slice = 0;
};

// The largest CPU affinity mask, in 64-bit words: 1024 CPUs, the size of
// the C library's cpu_set_t and the most the sandbox shows.
inline constexpr size_t max_affinity_words = 16;

constexpr std::array<uint64_t, max_affinity_words> all_processors() {
  std::array<uint64_t, max_affinity_words> mask{};
  mask.fill(~uint64_t{0});
  return mask;
}

// stack_t as sigaltstack(2) passes it.
struct SignalStack {
  uint64_t base = 0;
  int32_t flags = 2;  // SS_DISABLE until the guest installs one
  int32_t padding = 0;
  uint64_t size = 0;
};

// The sleep that restart_syscall(2) resumes: a relative nanosleep or
// clock_nanosleep that a signal interrupted.
struct SleepRestart {
  // The system call that slept, which --trace names as strace does.
  uint64_t number = 0;
  // The end of the sleep on the guest's monotonic clock.
  std::chrono::nanoseconds deadline{0};
  // The guest's timespec for the time left, or 0.
  uint64_t remaining_address = 0;
};

class Task;

// Copies the nice value, the scheduling policy, the I/O priority and the
// CPU affinity of `parent` to a new thread or process, and applies
// SCHED_FLAG_RESET_ON_FORK as Linux does. Takes the lock of the parent's
// process, because other threads may change these fields.
void inherit_scheduling(Task& child, Task& parent);

class Task {
 public:
  Task(int32_t tid, std::shared_ptr<Process> process);

  ~Task();

  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  int32_t tid() const { return tid_; }
  // Takes the process id as thread id, as the thread that runs execve does
  // once the other threads, the leader among them, have ended.
  void take_leader_id() { tid_ = process_->pid(); }
  Process& process() { return *process_; }
  const std::shared_ptr<Process>& shared_process() { return process_; }
  Kernel& kernel() { return process_->kernel(); }

  // set_tid_address(2): zeroed and futex-woken when the thread exits.
  uint64_t clear_child_tid = 0;

  // set_robust_list(2).
  uint64_t robust_list_head = 0;
  uint64_t robust_list_length = 0;

  // PR_SET_KEEPCAPS: the thread's SECURE_KEEP_CAPS bit, which fork and
  // clone copy and execve clears.
  // TODO: the sandbox keeps no capability sets (see credentials.cpp), so
  // setuid does not consult the bit; it is only stored and reported.
  bool keep_capabilities = false;

  // The nice value of getpriority(2) and setpriority(2), -20 to 19.
  int32_t nice = 0;
  // Stored and reported; like the nice value, it does not reach the host
  // scheduler.
  SchedulingPolicy scheduling;
  // The I/O priority of ioprio_set(2) as the kernel stores it (16 bits),
  // reported back by ioprio_get(2); no host I/O uses it.
  uint16_t io_priority = 0;
  // The CPU affinity mask of sched_setaffinity(2), bit n for CPU n, already
  // limited to the sandbox's CPUs except that it starts with every bit set.
  // Like the nice value, it does not reach the host scheduler.
  std::array<uint64_t, max_affinity_words> affinity = all_processors();
  // Other threads change the nice value, the policy, the I/O priority and
  // the affinity only while they hold the process lock.

  // Blocked signals; bit n-1 stands for signal n. Other threads read it
  // to pick a target for a process-wide signal, so it changes only under
  // the process lock.
  uint64_t signal_mask = 0;
  SignalStack alternate_stack;
  // Signals sent to this thread (tgkill, faults, SIGPIPE); process lock.
  PendingSignals pending_signals;
  // The mask to restore once a signal handler has been set up, while
  // rt_sigsuspend runs with a temporary mask.
  std::optional<uint64_t> saved_signal_mask;
  // Set by an interrupted relative sleep. Signal delivery restarts the
  // call as restart_syscall(2) while it is set, and clears it when a
  // handler runs, so that the sleep then returns EINTR.
  std::optional<SleepRestart> sleep_restart;
  // The host thread, which Threads::interrupt wakes for a new signal.
  platform::ThreadId host_thread = 0;

  // The registers of the system call being served, or null between calls.
  // Handlers that change the guest's context (arch_prctl, execve,
  // rt_sigreturn) write through it.
  platform::GuestRegisters* registers = nullptr;
  // The extended state of that call (empty between calls), which signal
  // delivery and rt_sigreturn rewrite.
  platform::ExtendedState extended_state{};
  // The trace of that call when tracing is on, so exit paths can finish it.
  TraceLine* pending_trace = nullptr;

 private:
  int32_t tid_;
  std::shared_ptr<Process> process_;
};

}  // namespace litebox::shim::linux_abi
