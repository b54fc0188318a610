// Process: the per-process state of a guest process (what threads of one
// thread group share and what fork(2) copies): ids, credentials, root and
// working directory, file descriptors, memory map, resource limits and
// signal dispositions.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "litebox/fd/descriptor_table.hpp"
#include "litebox/fs/vfs.hpp"
#include "litebox/mm/memory_map.hpp"
#include "litebox/platform/threads.hpp"
#include "litebox/sync/condition_variable.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/tty/pseudo_terminal.hpp"
#include "shim/linux/signal/signal_types.hpp"
#include "shim/linux/syscall_sites.hpp"

namespace litebox::shim::linux_abi {

class Kernel;
class ProcessTimers;
class Task;

// Real, effective and saved user and group ids plus supplementary groups.
struct ProcessCredentials {
  uint32_t uid = 0, euid = 0, suid = 0, fsuid = 0;
  uint32_t gid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<uint32_t> groups;

  // The identity that file-system permission checks use.
  fs::Credentials file_system() const { return {fsuid, fsgid, groups}; }
};

// struct rlimit; RLIM_INFINITY is all ones.
struct ResourceLimit {
  uint64_t current;
  uint64_t maximum;
};

inline constexpr uint64_t rlimit_infinity = ~uint64_t{0};

// The maximum number of open descriptors of a process, Linux's default
// fs.nr_open.
inline constexpr uint64_t max_open_files = uint64_t{1} << 20;

// RLIMIT_* resource numbers.
enum class Resource : uint32_t {
  cpu = 0,
  file_size = 1,
  data = 2,
  stack = 3,
  core = 4,
  resident_set = 5,
  processes = 6,
  open_files = 7,
  locked_memory = 8,
  address_space = 9,
  locks = 10,
  pending_signals = 11,
  message_queue = 12,
  nice = 13,
  realtime_priority = 14,
  realtime_time = 15,
};
inline constexpr size_t resource_count = 16;

// struct sigaction as rt_sigaction(2) passes it on x86-64 (the kernel
// layout: handler, flags, restorer, mask).
struct SignalAction {
  uint64_t handler = 0;  // SIG_DFL (0), SIG_IGN (1) or a guest address
  uint64_t flags = 0;
  uint64_t restorer = 0;
  uint64_t mask = 0;
};

class Process {
 public:
  Process(Kernel& kernel, int32_t pid, int32_t parent_pid, fs::PathContext path_context);

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // For fork(2): a process `pid` whose parent is this one, with a copy of
  // its credentials, paths, limits, signal actions, names, break and VMAs
  // and a copy of its descriptor table that shares the open file
  // descriptions.
  std::shared_ptr<Process> fork_copy(int32_t pid);

  Kernel& kernel() { return kernel_; }
  int32_t pid() const { return pid_; }
  int32_t parent_pid() const { return parent_pid_.load(std::memory_order_relaxed); }
  // Records that init adopted the process after its parent exited. Called
  // under the Kernel's process table lock.
  void set_parent_pid(int32_t parent_pid) {
    parent_pid_.store(parent_pid, std::memory_order_relaxed);
  }

  // Threads of this process that have not exited; the last one to exit
  // ends the process.
  std::atomic<int32_t> live_threads{1};

  // Process group and session ids; the first process leads both. They
  // change only under the Kernel's process table lock.
  int32_t process_group = 0;
  int32_t session = 0;
  // The pseudo-terminal this process took as its controlling terminal; it
  // still controls the process only while its session is the process's.
  // Changes under the process table lock and `lock`.
  std::shared_ptr<tty::PseudoTerminal> controlling_terminal;

  // The host process that runs this one, for interrupting its threads from
  // other processes; 0 until a forked child has recorded it.
  platform::ProcessId host_process = 0;

  // Guards credentials, paths, limits, signal actions, break and names.
  sync::Mutex lock;
  ProcessCredentials credentials;
  fs::PathContext paths;  // root, working directory, umask
  std::array<ResourceLimit, resource_count> limits;
  std::array<SignalAction, signal_count> signal_actions;
  // Signals sent to the process as a whole; any thread that does not block
  // one may take it.
  PendingSignals pending_signals;
  // The live threads, for signals that must find one. Tasks add and remove
  // themselves.
  std::vector<Task*> tasks;

  // Job control (the Stop and Cont actions of signal(7)); under `lock`.
  // While `stopped`, every thread that enters the libOS parks in
  // signal delivery until SIGCONT clears it or SIGKILL arrives. The flag is
  // atomic so a return to the guest can check it without the lock.
  std::atomic<bool> stopped{false};
  int32_t stop_signal = 0;
  // Threads parked for a stop. The last one to park completes the stop and
  // reports it to the parent.
  size_t parked_threads = 0;
  bool stop_reported = false;
  // SIGCONT ended a reported stop; the first thread to leave the stop sends
  // the parent its CLD_CONTINUED.
  bool continue_unreported = false;
  // What wait(2) of the parent has yet to take: the signal of the last stop
  // (WUNTRACED, 0 for none) and whether SIGCONT resumed the process since
  // (WCONTINUED).
  int32_t unwaited_stop = 0;
  bool unwaited_continue = false;
  // Notified when SIGCONT ends a stop.
  sync::ConditionVariable resumed;

  // Returns the live thread `tid` of this process, or null. `lock` held.
  Task* find_task_locked(int32_t tid);
  // The thread that runs execve while the others end, or null. Each other
  // thread exits when it next enters the libOS and then notifies
  // `thread_exited`. Written under `lock`; every entry into the libOS reads
  // it without the lock.
  std::atomic<Task*> exec_task{nullptr};
  sync::ConditionVariable thread_exited;

  // Shared with other processes that clone(CLONE_FILES) made.
  fd::DescriptorTable& descriptors() { return *descriptor_table_; }
  mm::MemoryMap memory;
  // The trampolines of the system call sites rewritten in `memory`.
  SyscallSites syscall_sites;

  // The program break: brk(2) moves `break_end` between `break_start` and
  // the next mapping.
  uint64_t break_start = 0;
  uint64_t break_end = 0;

  // PR_SET_DUMPABLE; under `lock`. Linux clears it when the effective or
  // file-system ids change (fs.suid_dumpable is 0 by default), and execve
  // sets it again while the real and effective ids agree. fork copies it.
  bool dumpable = true;
  // personality(2): stored and reported; under `lock`. fork copies it, and
  // execve clears READ_IMPLIES_EXEC as Linux does for 64-bit programs.
  // NOTE: no flag changes behaviour: PER_LINUX32 and UNAME26 leave uname(2)
  // as it is, READ_IMPLIES_EXEC leaves mmap(2) as it is, and
  // ADDR_NO_RANDOMIZE matches the sandbox, which never randomizes.
  uint32_t personality = 0;
  // PR_SET_CHILD_SUBREAPER; under `lock`. fork does not copy it.
  // TODO: orphans are not reparented to a subreaper yet; the flag is only
  // stored and reported.
  bool child_subreaper = false;

  // The path of the running executable (/proc/self/exe) and its name as
  // prctl(PR_GET_NAME) reports it (at most 15 bytes).
  std::string executable_path;
  std::string name;

  // When the process was created, on the platform's monotonic clock, for
  // the start time in /proc/<pid>/stat.
  std::chrono::nanoseconds start_time{0};

  // Guest addresses of the argument and environment strings, for
  // /proc/self/cmdline and /proc/self/environ.
  uint64_t arguments_start = 0, arguments_end = 0;
  uint64_t environment_start = 0, environment_end = 0;
  // Copies of those strings as execve passed them, each ending in a NUL,
  // under `lock`. Another process cannot read this one's memory, so its
  // /proc/<pid>/cmdline and environ come from here.
  std::string argument_strings;
  std::string environment_strings;

  // Interval and POSIX timers, made on first use under `lock`. fork(2)
  // does not copy them.
  std::shared_ptr<ProcessTimers> timers;

  // Returns the path context with the current credentials, for Vfs calls.
  fs::PathContext path_context();

  // The bytes of every guest mapping, the VmSize of /proc/<pid>/status.
  uint64_t mapped_bytes();

  ResourceLimit limit(Resource resource);

 private:
  Kernel& kernel_;
  std::shared_ptr<fd::DescriptorTable> descriptor_table_;
  int32_t pid_;
  std::atomic<int32_t> parent_pid_;
};

// The defaults a first process starts with, close to a Linux login shell's.
std::array<ResourceLimit, resource_count> default_resource_limits();

}  // namespace litebox::shim::linux_abi
