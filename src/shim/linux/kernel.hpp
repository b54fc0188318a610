// Kernel: the Linux personality's entry point. It receives every trapped
// guest system call from the platform, finds the calling thread's Task,
// dispatches through the system call table and stores the result in rax
// (-errno on failure), tracing the call when asked.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "litebox/event/pollable.hpp"
#include "litebox/fs/vfs.hpp"
#include "litebox/platform/clock.hpp"
#include "litebox/platform/execution.hpp"
#include "litebox/sync/condition_variable.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/tty/pseudo_terminal.hpp"
#include "shim/linux/signal/signal_types.hpp"
#include "shim/linux/syscall_table.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

struct KernelOptions {
  // Print each system call to standard error, as strace does.
  bool trace = false;
  // Map LiteBox's vDSO into every guest and serve the clock system calls
  // from the same TSC-based clock (shim/linux/vdso/).
  bool vdso = false;
  // Rewrite the site of each guest system call that traps, when it has the
  // usual form, so later calls from it skip the trap (syscall_sites.hpp).
  bool rewrite_syscall_sites = false;
  // The number of processors shown to the guest as online and in its
  // affinity mask (CPUs 0 to processor_count - 1). `litebox run` sets it to
  // the count of the host's affinity mask.
  uint32_t processor_count = 1;
  // The resource limits of the first process. `litebox run` gives the
  // host's, because a process inherits the limits of its parent.
  std::array<ResourceLimit, resource_count> resource_limits = default_resource_limits();
  // The nice value (-20 to 19) and the I/O priority (as ioprio_get(2)
  // returns it) of the first thread. `litebox run` gives the host's, which
  // a process inherits from its parent.
  int32_t nice = 0;
  uint16_t io_priority = 0;
};

class Kernel;

// The session side of the sandbox's pseudo-terminals: core calls it to
// signal process groups and to find the caller's controlling terminal.
class TerminalSessionHooks final : public tty::SessionHooks {
 public:
  explicit TerminalSessionHooks(Kernel& kernel) : kernel_(kernel) {}

  void signal_process_group(int32_t group, tty::TerminalSignal signal) override;
  void signal_session_leader(int32_t session, tty::TerminalSignal signal) override;
  std::shared_ptr<tty::PseudoTerminal> controlling_terminal() override;
  fs::Credentials caller_credentials() override;
  Result<void> check_background_access(tty::PseudoTerminal& terminal,
                                       tty::TerminalSignal signal) override;

 private:
  Kernel& kernel_;
};

class Kernel final : public platform::SyscallHandler {
 public:
  // Installs `execution` for guest memory access. `vfs` serves every
  // path-based call; unit tests that make none may pass null.
  Kernel(platform::Execution& execution, fs::Vfs* vfs, KernelOptions options = {});

  ~Kernel() override;

  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  void handle_syscall(platform::GuestRegisters& registers,
                      platform::ExtendedState extended_state) override;

  // Delivers the guest signal for a fault of guest code.
  bool handle_fault(platform::GuestRegisters& registers, platform::ExtendedState extended_state,
                    const platform::GuestFault& fault) override;

  // Delivers the signals pending for the thread that the interrupt stopped
  // in guest code.
  void handle_interrupt(platform::GuestRegisters& registers,
                        platform::ExtendedState extended_state) override;

  // Serves the system call in `registers` (number in rax) for `task`,
  // stores the result in rax and delivers the signals pending for `task`.
  void serve(Task& task, platform::GuestRegisters& registers,
             platform::ExtendedState extended_state = {});

  platform::Execution& execution() { return execution_; }
  fs::Vfs& vfs() { return *vfs_; }
  // The tmpfs instance that contains memfd_create(2) files, and its mount,
  // which is attached nowhere, as Linux's internal shm mount.
  const std::shared_ptr<fs::FileSystem>& memfd_file_system() const { return memfd_file_system_; }
  const std::shared_ptr<fs::Mount>& memfd_mount() const { return memfd_mount_; }
  const KernelOptions& options() const { return options_; }
  // Notified each time a signal becomes pending for any process or thread
  // of the sandbox, for the signalfd(2) descriptors that poll(2), select(2)
  // and epoll watch. A signalfd reports the signals of whichever process
  // reads or polls it, and forked processes share it, so one Pollable
  // serves them all: a waiter checks its own process's signals again, and
  // another process's signal costs it one spurious wake-up.
  event::Pollable& signal_readiness() { return signal_readiness_; }
  // Notified each time a process of the sandbox exits or is reaped, for the
  // readiness of pidfds. Every pidfd waiter checks its own process again.
  event::Pollable& process_exits() { return process_exits_; }

  // Creates a process with the next free pid and the root, working
  // directory and umask of `paths`, with one task whose tid equals the pid.
  std::unique_ptr<Task> create_first_task(fs::PathContext paths);
  // The pid of the task create_first_task made.
  int32_t first_pid() const { return first_pid_; }

  // Ends the whole guest process with `exit_code`, reporting it in the
  // trace. The host gets the low 8 bits as the exit status.
  [[noreturn]] void exit_process(Task& task, int exit_code);

  // Ends the whole guest process as the default action of `signal` does;
  // the host gets exit status 128 + signal, as a shell reports it.
  [[noreturn]] void kill_process(Task& task, int signal);

  // Creates a thread of `parent`'s process that starts with `registers`
  // (clone(2) with CLONE_THREAD) and returns its tid. Nonzero
  // `set_parent_tid` and `set_child_tid` receive the tid before the thread
  // runs, because a short-lived thread may clear its tid word at once.
  Result<int32_t> spawn_thread(Task& parent, const platform::GuestRegisters& registers,
                               uint64_t clear_child_tid, uint64_t set_parent_tid,
                               uint64_t set_child_tid);

  // Copies the process of `parent` into a new guest process on a new host
  // process (fork(2); vfork(2) is the same here). Returns the child's pid
  // in the parent and 0 in the child, where only the calling thread goes
  // on, as a new Task that becomes the current one.
  Result<int32_t> fork_process(Task& parent);

  // What wait4(2) and waitid(2) report about one child.
  struct ChildExit {
    int32_t pid;  // 0: no child has changed state yet
    // The wait status: exit code << 8, the number of the killing signal,
    // stop signal << 8 | 0x7f for a stop, or 0xffff after SIGCONT.
    int32_t wait_status;
    // The usage of an exited child, its waited-for children's included, as
    // wait4(2) reports it. It reads zeros for a stop or a continue.
    platform::ResourceUsage usage{};
  };

  // The state changes a wait reports, from its options.
  struct WaitFilter {
    bool exited = true;      // WEXITED (always for wait4)
    bool stopped = false;    // WUNTRACED, WSTOPPED
    bool continued = false;  // WCONTINUED
    bool block = true;       // not WNOHANG
    bool keep = false;       // WNOWAIT: report without reaping or consuming
  };

  // Which children a wait accepts: pid > 0 that child, 0 the caller's
  // process group, -1 any child, < -1 the process group -pid.
  // Reaps (or, with `keep`, only reports) an exited child of the process
  // of `task`, the calling thread, or takes the report of a stop or a
  // continue that `filter` selects. Returns pid 0 when children match but
  // none has changed state and `block` is false, and `echild` when no child
  // matches.
  Result<ChildExit> wait_child(Task& task, int32_t selector, WaitFilter filter);

  // The usage of the reaped children of the process of `task` and of their
  // own waited-for children (getrusage(2) RUSAGE_CHILDREN). A child that
  // the parent's SIGCHLD disposition reaps at its exit does not count,
  // because on Linux only a wait adds to it.
  platform::ResourceUsage children_usage(Task& task);

  // Tells the parent of the process of `task` that it stopped
  // (CLD_STOPPED with the stop signal) or continued (CLD_CONTINUED with
  // SIGCONT): SIGCHLD unless the parent ignores it or set SA_NOCLDSTOP, and
  // a wake-up of its waits.
  void report_job_change(Task& task, int32_t code, int32_t signal);

  // Whether the process group `group` is orphaned: no member has a parent
  // in another group of the same session. The first process's parent is
  // outside the sandbox and counts as such a parent, as a login shell would.
  bool process_group_orphaned(int32_t group);

  // The job-control check of a background access to `terminal`, the
  // caller's controlling terminal: a read (`signal` SIGTTIN), or a write
  // with TOSTOP or a change of settings (SIGTTOU). Succeeds for the
  // foreground group, for a terminal that does not control the caller, and
  // for a write or change that blocks or ignores SIGTTOU. Fails with `eio`
  // for a read that blocks or ignores SIGTTIN and for an orphaned group.
  // Otherwise the signal goes to the caller's group and the call fails with
  // `eintr`, so it restarts once the group is continued.
  Result<void> check_terminal_access(Task& task, tty::PseudoTerminal& terminal, int signal);

  // Sends `info` to the processes that kill(2)'s `pid` selects: pid > 0
  // that process, 0 the sender's process group, -1 every process but init
  // (pid 1) and the sender, < -1 the process group -pid. Signal 0 only
  // checks. `esrch` when none exists, `eperm` when the sender may signal
  // none of them.
  Result<void> kill(Task& sender, int32_t pid, const SignalInfo& info);

  // Sends `info` to the thread `tid` of the process `pid`, or of any
  // process when `pid` is 0 (tgkill(2), tkill(2)): `esrch` when there is no
  // such thread, `eperm` as kill.
  Result<void> kill_thread(Task& sender, int32_t pid, int32_t tid, const SignalInfo& info);

  // setpgid(2), getpgid(2), setsid(2) and getsid(2); pid 0 is the caller.
  Result<void> set_process_group(Task& task, int32_t pid, int32_t group);
  Result<int32_t> process_group_of(Task& task, int32_t pid);
  Result<int32_t> create_session(Task& task);
  Result<int32_t> session_of(Task& task, int32_t pid);

  // The threads that the calls acting on other threads name (the sched_*
  // calls, getpriority(2), ioprio_get(2) and their setters): one thread by
  // id, every thread of a process group, or every thread of the processes
  // whose real user id is the id.
  enum class ThreadSelector { thread, process_group, user };

  // Calls `visit` for each live thread that `selector` and `id` name and
  // returns how many it visited. A thread id names that thread, and a
  // process id names the process's leader (or, once the leader has
  // exited, its first live thread). `visit` runs with the process table
  // lock and the lock of the thread's process held, so it may read and
  // change the thread's fields and its process's credentials and limits,
  // but must take neither lock itself.
  size_t visit_threads(ThreadSelector selector, int64_t id,
                       const std::function<void(Task&)>& visit);

  // The pids of the guest processes that have not been reaped, zombies
  // included, in increasing order, as /proc lists them.
  std::vector<int32_t> process_ids();

  // The fields that /proc shows of a process that has exited but is not
  // reaped yet.
  struct ZombieView {
    std::string name;
    int32_t parent_pid = 0;
    int32_t process_group = 0;
    int32_t session = 0;
    int32_t nice = 0;
  };
  // The zombie `pid`; `esrch` when no process has that pid or it still
  // runs.
  Result<ZombieView> zombie(int32_t pid);

  // The life stage of the process `pid`, as a pidfd reports it: still
  // running, exited but not reaped (a zombie), or reaped. A pid that no
  // process has also reads as reaped. `caller`, when not null, first
  // collects the children that the host ended, as wait_child does.
  enum class ProcessState { running, zombie, reaped };
  ProcessState process_state(Task* caller, int32_t pid);

  // Calls `visit` with the running process `pid` while the process table
  // lock keeps it from exiting; `esrch` when no such process runs. `visit`
  // may take the process's own lock and the locks below it, but neither
  // the process table lock nor a file system lock.
  Result<void> visit_process(int32_t pid, const std::function<void(Process&)>& visit);

  // The terminal's foreground process group (TIOCSPGRP, TIOCGPGRP). The
  // sandbox's terminal is the standard streams' one. Until a process sets a
  // group, the caller's own group is reported.
  Result<void> set_terminal_foreground(Task& task, int32_t group);
  int32_t terminal_foreground(Task& task);

  // The session whose controlling terminal the standard streams' terminal
  // is: the first process's. A session that setsid(2) creates later has no
  // controlling terminal, so /dev/tty fails there with ENXIO, as on Linux.
  int32_t terminal_session() const { return first_pid_; }
  bool has_controlling_terminal(Task& task) const;

  // Pseudo-terminals as controlling terminals (terminal_sessions.cpp).
  // The pseudo-terminal that controls the caller's session, or null.
  std::shared_ptr<tty::PseudoTerminal> controlling_pseudo_terminal(Task& task);
  // open(2) of a replica without O_NOCTTY: a session leader without a
  // controlling terminal acquires it if no session has it and the
  // description can read.
  void acquire_terminal_on_open(Task& task, const std::shared_ptr<tty::PseudoTerminal>& terminal,
                                bool readable);
  // TIOCSCTTY: as open, but failing with `eperm` where open only declines;
  // `steal` (argument 1) takes it from another session for root.
  Result<void> set_controlling_terminal(Task& task,
                                        const std::shared_ptr<tty::PseudoTerminal>& terminal,
                                        bool steal, bool readable);
  // TIOCNOTTY: `enotty` unless the terminal controls the caller's session.
  // A session leader ends the association for the whole session and sends
  // SIGHUP and SIGCONT to the foreground group.
  Result<void> release_controlling_terminal(Task& task,
                                            const std::shared_ptr<tty::PseudoTerminal>& terminal);
  // TIOCSPGRP on a pseudo-terminal that controls the caller's session.
  Result<void> set_pseudo_terminal_foreground(Task& task,
                                              const std::shared_ptr<tty::PseudoTerminal>& terminal,
                                              int32_t group);
  // Sends `signal` from the terminal (si_code SI_KERNEL) to every process
  // of `group`, or to the leader of `session`.
  void signal_group_from_terminal(int32_t group, int signal);
  void signal_leader_from_terminal(int32_t session, int signal);

  // Ends every other thread of the process of `task` and waits until they
  // have exited, as execve(2) does before it replaces the image; `task`
  // then takes the process id as its thread id.
  void end_other_threads(Task& task);

  // Notes that the process of `task` has run execve, after which its parent
  // may no longer change its process group (setpgid returns EACCES).
  void record_exec(Task& task);

  // Ends the calling guest thread (exit(2)): clears and wakes its
  // clear_child_tid word, and ends the process when it was the last thread.
  [[noreturn]] void exit_thread(Task& task, int exit_code);

  // The Task of the calling host thread (null outside guest threads).
  static Task* current_task();
  static void set_current_task(Task* task);

 private:
  // The Task of the calling host thread, registering a thread that
  // spawn_thread started on its first entry; null for other threads.
  Task* find_current_task();
  // Exits `task` when another thread of its process runs execve.
  void exit_if_exec_pending(Task& task);
  Result<uint64_t> invoke(Task& task, const SyscallArguments& arguments);

  platform::Execution& execution_;
  fs::Vfs* vfs_;
  std::shared_ptr<fs::FileSystem> memfd_file_system_;
  std::shared_ptr<fs::Mount> memfd_mount_;
  KernelOptions options_;
  event::Pollable signal_readiness_;
  event::Pollable process_exits_;
  std::atomic<int32_t> next_id_{1};
  int32_t first_pid_ = 0;
  // Threads that spawn_thread started, by host thread id. A new thread looks
  // itself up here on its first system call; the lock makes it wait until
  // spawn_thread has registered it.
  sync::Mutex threads_lock_;
  std::map<platform::ThreadId, std::unique_ptr<Task>> threads_;
  // Records how the calling process ended, closes its descriptors (so
  // pipe peers in other processes see it go) and wakes waiting parents.
  void record_exit(Task& task, int32_t wait_status);
  // A session leader's exit ends its session's hold on its pseudo-terminal
  // and sends SIGHUP to the foreground group.
  void release_terminal_at_exit(Task& task);
  // Whether `process` has a controlling terminal, the host's or a
  // pseudo-terminal. Process table lock held.
  bool has_any_controlling_terminal_locked(Process& process);
  // The setpgid and TIOCSPGRP rule: `group` must exist (`esrch`) in the
  // caller's session (`eperm`). Process table lock held.
  Result<void> check_foreground_group_locked(Task& task, int32_t group);
  TerminalSessionHooks terminal_hooks_{*this};

  // Every guest process that has not been reaped, by pid. The Kernel lives
  // in the kernel heap, so all processes of the sandbox share the table.
  struct ProcessRecord {
    int32_t parent_pid;
    int32_t process_group;
    int32_t session;
    // The running process; null once it has exited.
    Process* process;
    bool exited = false;
    bool executed = false;  // has run execve
    // Adopted by init after its parent exited. Init then does not keep the
    // process group from being orphaned, because on Linux init is in a
    // session of its own.
    bool reparented = false;
    int32_t wait_status = 0;
    // The summed usage of the children it has reaped (RUSAGE_CHILDREN).
    platform::ResourceUsage children_usage;
    // Once exited, its own usage plus children_usage, for its parent's wait.
    platform::ResourceUsage exit_usage;
    // The host process that runs it, to match what reap_children reports.
    platform::ProcessId host_process = 0;
    // The process's name and the nice value of its last thread as it
    // exited, for /proc/<pid> of the zombie.
    std::string name;
    int32_t nice = 0;
  };
  // A copy of the record of `pid`, zombies included; `esrch` when none.
  Result<ProcessRecord> find_record(int32_t pid);
  // Whether `sender` may send `signal` to `target` (kill(2) EPERM rules).
  // Process table lock held.
  static bool may_signal(const ProcessCredentials& sender, int32_t sender_session, Process& target,
                         int signal);
  // Sends SIGCHLD for the exited child `record` (whose uid is `uid`) to its
  // parent, or reaps the child at once when the parent ignores SIGCHLD or
  // set SA_NOCLDWAIT. `sender` is the calling thread. Process table lock
  // held.
  void notify_parent(Task& sender, uint32_t uid, std::map<int32_t, ProcessRecord>::iterator record);
  // process_group_orphaned with the process table lock held.
  bool process_group_orphaned_locked(int32_t group);
  // Sends SIGHUP and then SIGCONT to each process group in `groups` that
  // is orphaned now and has a stopped member, as Linux does when an exit
  // orphans a group. Process table lock held.
  void hang_up_orphaned_groups_locked(Task& sender, const std::vector<int32_t>& groups);
  // Marks the guest processes that the host ended without record_exit
  // (killed by a host signal) as exited, as reap_children reports them.
  // `task` is the calling thread; the second form holds the table lock.
  void reap_host_children(Task& task);
  void relay_host_signals(Task& task);
  void reap_host_children_locked(Task& task);
  sync::Mutex process_table_lock_;
  sync::ConditionVariable process_exited_;
  std::map<int32_t, ProcessRecord> process_table_;
  int32_t terminal_foreground_ = 0;  // guarded by process_table_lock_; 0: unset

  // One flag per number, so an unimplemented call is logged once.
  std::array<std::atomic<bool>, syscall_count> reported_missing_{};
};

}  // namespace litebox::shim::linux_abi
