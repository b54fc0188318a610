#include "shim/linux/kernel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <utility>

#include "litebox/fs/memfs.hpp"
#include "litebox/platform/platform.hpp"
#include "shim/linux/futex.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/resource_usage.hpp"
#include "shim/linux/signal/delivery.hpp"
#include "shim/linux/timers.hpp"
#include "shim/linux/trace.hpp"
#include "shim/linux/vdso/vdso.hpp"

namespace litebox::shim::linux_abi {

namespace {

thread_local Task* current_thread_task = nullptr;

uint64_t encode_result(const Result<uint64_t>& result) {
  if (result) {
    return *result;
  }
  return static_cast<uint64_t>(-static_cast<int64_t>(errno_value(result.error())));
}

}  // namespace

Kernel::Kernel(platform::Execution& execution, fs::Vfs* vfs, KernelOptions options)
    : execution_(execution),
      vfs_(vfs),
      memfd_file_system_(fs::memfs::create()),
      memfd_mount_(std::make_shared<fs::Mount>(memfd_file_system_, fs::Location{})),
      options_(options) {
  set_guest_execution(execution);
  tty::install_session_hooks(&terminal_hooks_);
}

Kernel::~Kernel() {
  if (tty::session_hooks() == &terminal_hooks_) {
    tty::install_session_hooks(nullptr);
  }
}

Task* Kernel::current_task() { return current_thread_task; }

void Kernel::set_current_task(Task* task) { current_thread_task = task; }

Task* Kernel::find_current_task() {
  Task* task = current_task();
  if (task == nullptr) {
    // A thread that spawn_thread started makes its first system call.
    sync::LockGuard guard(threads_lock_);
    auto found = threads_.find(platform::current().threads.current());
    if (found != threads_.end()) {
      task = found->second.get();
      set_current_task(task);
    }
  }
  return task;
}

void Kernel::handle_syscall(platform::GuestRegisters& registers,
                            platform::ExtendedState extended_state) {
  Task* task = find_current_task();
  if (task == nullptr) [[unlikely]] {
    // A trapped system call from a thread the shim never started is a
    // libOS bug; there is no guest to return an errno to.
    platform::current().log.write(platform::LogLevel::error,
                                  "system call from a thread without a guest task");
    std::abort();
  }
  serve(*task, registers, extended_state);
}

bool Kernel::handle_fault(platform::GuestRegisters& registers,
                          platform::ExtendedState extended_state,
                          const platform::GuestFault& fault) {
  Task* task = find_current_task();
  if (task == nullptr) {
    return false;
  }
  exit_if_exec_pending(*task);
  deliver_fault(*task, registers, extended_state, fault);
  return true;
}

void Kernel::handle_interrupt(platform::GuestRegisters& registers,
                              platform::ExtendedState extended_state) {
  Task* task = find_current_task();
  if (task != nullptr) {
    exit_if_exec_pending(*task);
    reap_host_children(*task);
    relay_host_signals(*task);
    deliver_interrupted(*task, registers, extended_state);
  }
}

void Kernel::serve(Task& task, platform::GuestRegisters& registers,
                   platform::ExtendedState extended_state) {
  exit_if_exec_pending(task);
  SyscallArguments arguments;
  arguments.number = registers.rax;
  arguments.values = {registers.rdi, registers.rsi, registers.rdx,
                      registers.r10, registers.r8,  registers.r9};

  std::optional<TraceLine> trace;
  if (options_.trace) {
    trace.emplace(arguments, registers.rsp);
    if (arguments.number == nr::restart_syscall && task.sleep_restart) {
      trace->show_resumed(task.sleep_restart->number);
    }
    task.pending_trace = &*trace;
  }

  task.registers = &registers;
  task.extended_state = extended_state;
  if (options_.rewrite_syscall_sites) {
    task.process().syscall_sites.note_trap(task.process(), registers);
  }
  Result<uint64_t> result = invoke(task, arguments);

  // In a forked child the call returns on a new Task; the old one belongs
  // to the parent, which shares it through the kernel heap.
  Task* current = current_task();
  Task& finished = current != nullptr ? *current : task;
  const bool forked_child = &finished != &task;
  TraceLine* child_trace = forked_child ? finished.pending_trace : nullptr;
  finished.registers = nullptr;
  finished.extended_state = {};
  finished.pending_trace = nullptr;

  exit_if_exec_pending(finished);
  reap_host_children(finished);
  relay_host_signals(finished);
  if (forked_child && trace) {
    // The strings of `trace` are the parent's, which it frees when its own
    // call returns. The child prints the copy fork_process made for it and
    // never frees the parent's strings.
    new std::optional<TraceLine>(std::move(trace));
    if (child_trace != nullptr) {
      write_trace(child_trace->finish(result));
      delete child_trace;
    }
  } else if (trace) {
    // An interrupted sleep that restart_syscall(2) may resume shows the
    // kernel's internal result, as strace shows it.
    const bool restartable =
        !result && result.error() == Errno::eintr && finished.sleep_restart.has_value();
    write_trace(restartable ? trace->finish_restartable() : trace->finish(result));
  }
  registers.rax = encode_result(result);

  if (options_.vdso) {
    vdso::publish_time_data_after(finished.process(), arguments.number);
  }

  deliver_after_syscall(finished, registers, extended_state, arguments, result);
}

// Queues the signals that reached this host process from outside the
// sandbox (a terminal's Ctrl-C, the host's kill) for its guest process. No
// sandbox process sent them, so si_pid is 0, as for a signal from outside a
// PID namespace.
void Kernel::relay_host_signals(Task& task) {
  uint64_t signals = execution_.take_relayed_signals();
  while (signals != 0) {
    const int signal = __builtin_ctzll(signals) + 1;
    signals &= signals - 1;
    // NOTE: a terminal's signals have si_code SI_KERNEL on Linux; they come
    // as SI_USER here.
    (void)send_process_signal(task, task.process(),
                              SignalInfo::from_sender(signal, si::user, 0, 0));
  }
}

Result<uint64_t> Kernel::invoke(Task& task, const SyscallArguments& arguments) {
  SyscallFunction function = syscall_table().find(arguments.number);
  if (function != nullptr) {
    return function(task, arguments);
  }

  // Info, not warning: programs routinely probe optional calls and fall
  // back, and `--trace` shows every ENOSYS anyway.
  const bool known = arguments.number < syscall_count;
  if (!known || !reported_missing_[arguments.number].exchange(true)) {
    std::string_view name = syscall_name(arguments.number);
    platform::current().log.write(platform::LogLevel::info,
                                  fmt::format("unsupported system call {} ({}), returning ENOSYS",
                                              name.empty() ? "?" : name, arguments.number));
  }
  return fail(Errno::enosys);
}

std::unique_ptr<Task> Kernel::create_first_task(fs::PathContext paths) {
  const int32_t pid = next_id_.fetch_add(1);
  first_pid_ = pid;
  auto process = std::make_shared<Process>(*this, pid, 0, std::move(paths));
  process->limits = options_.resource_limits;
  const uint64_t open_files = process->limit(Resource::open_files).current;
  process->descriptors().set_limit(static_cast<size_t>(std::min(open_files, max_open_files)));
  process->memory.set_size_limit(process->limit(Resource::address_space).current);
  {
    sync::LockGuard guard(process_table_lock_);
    process_table_[pid] = ProcessRecord{0, process->process_group, process->session, process.get()};
    process->host_process = platform::current().threads.current_process();
    process_table_[pid].host_process = process->host_process;
  }
  auto task = std::make_unique<Task>(pid, std::move(process));
  task->nice = std::clamp(options_.nice, -20, 19);
  task->io_priority = options_.io_priority;
  // The caller enters the guest on this thread.
  task->host_thread = platform::current().threads.current();
  return task;
}

Result<int32_t> Kernel::fork_process(Task& parent) {
  const int32_t pid = next_id_.fetch_add(1);
  // A site that another thread rewrites between the copy below and the
  // host fork would reach the child's memory but not its copy of the
  // memory map and of the used trampoline slots.
  SyscallSites& parent_sites = parent.process().syscall_sites;
  parent_sites.begin_fork();
  // The child's objects are made here, before the host fork, so they sit in
  // the kernel heap and no lock of the parent is copied half-held.
  auto child = std::make_unique<Task>(pid, parent.process().fork_copy(pid));
  child->signal_mask = parent.signal_mask;
  inherit_scheduling(*child, parent);
  child->keep_capabilities = parent.keep_capabilities;
  child->alternate_stack = parent.alternate_stack;
  {
    sync::LockGuard guard(process_table_lock_);
    Process& process = child->process();
    process_table_[pid] =
        ProcessRecord{parent.process().pid(), process.process_group, process.session, &process};
  }

  // The parent's Task is on the kernel heap, which both processes share,
  // and the parent keeps running after the host fork: it clears its
  // register pointer and frees its trace line when the call returns. So the
  // child's copies are taken now, before the fork.
  platform::GuestRegisters* const registers = parent.registers;
  const platform::ExtendedState extended_state = parent.extended_state;
  std::unique_ptr<TraceLine> child_trace;
  if (parent.pending_trace != nullptr) {
    child_trace = std::make_unique<TraceLine>(*parent.pending_trace);
  }

  auto fork = execution_.fork_process();
  if (!fork || fork->side == platform::ForkSide::parent) {
    parent_sites.end_fork();
  }
  if (!fork) {
    sync::LockGuard guard(process_table_lock_);
    process_table_.erase(pid);
    return fail(fork.error());
  }
  if (fork->side == platform::ForkSide::parent) {
    sync::LockGuard guard(process_table_lock_);
    auto record = process_table_.find(pid);
    if (record != process_table_.end()) {
      record->second.host_process = fork->child;
    }
  }
  // The Task and the trace copy now belong to the child process alone, so
  // the parent drops its pointers to them without freeing them.
  Task* child_task = child.release();
  TraceLine* child_trace_line = child_trace.release();
  if (fork->side == platform::ForkSide::parent) {
    // The child process owns both now, so the parent must not free them.
    return pid;  // NOLINT(clang-analyzer-cplusplus.NewDeleteLeaks)
  }
  child_task->registers = registers;
  child_task->extended_state = extended_state;
  child_task->pending_trace = child_trace_line;
  {
    // Until now signals for the child only wait in its pending sets; from
    // here on they interrupt it too.
    sync::LockGuard guard(child_task->process().lock);
    child_task->process().host_process = platform::current().threads.current_process();
    child_task->host_thread = platform::current().threads.current();
  }
  set_current_task(child_task);
  // The child starts without timers, but RLIMIT_CPU goes on counting its
  // own CPU time.
  const ResourceLimit cpu_limit = child_task->process().limit(Resource::cpu);
  if (cpu_limit.current != rlimit_infinity) {
    (void)timers_of(*child_task).limit_cpu_time(cpu_limit.current, cpu_limit.maximum);
  }
  return 0;
}

namespace {

// Takes the stop or continue report of the running child `child` that
// `filter` selects, as a wait status. Process table lock held.
std::optional<int32_t> take_job_change(Process& child, const Kernel::WaitFilter& filter) {
  sync::LockGuard guard(child.lock);
  if (filter.stopped && child.unwaited_stop != 0) {
    const int32_t status = (child.unwaited_stop << 8) | 0x7f;
    if (!filter.keep) {
      child.unwaited_stop = 0;
    }
    return status;
  }
  if (filter.continued && child.unwaited_continue) {
    if (!filter.keep) {
      child.unwaited_continue = false;
    }
    return 0xffff;
  }
  return std::nullopt;
}

}  // namespace

Result<Kernel::ChildExit> Kernel::wait_child(Task& task, int32_t selector, WaitFilter filter) {
  Process& waiter = task.process();
  const auto accepts = [&](int32_t pid, const ProcessRecord& record) {
    if (record.parent_pid != waiter.pid()) {
      return false;
    }
    if (selector > 0) {
      return pid == selector;
    }
    if (selector == 0) {
      return record.process_group == waiter.process_group;
    }
    return selector == -1 || record.process_group == -selector;
  };

  sync::LockGuard guard(process_table_lock_);
  bool interrupted = false;
  while (true) {
    reap_host_children_locked(task);
    bool any_child = false;
    for (auto it = process_table_.begin(); it != process_table_.end(); ++it) {
      if (!accepts(it->first, it->second)) {
        continue;
      }
      any_child = true;
      if (it->second.exited) {
        if (!filter.exited) {
          continue;
        }
        const ChildExit exit{it->first, it->second.wait_status, it->second.exit_usage};
        if (!filter.keep) {
          auto waiter_record = process_table_.find(waiter.pid());
          if (waiter_record != process_table_.end()) {
            add_child_usage(waiter_record->second.children_usage, exit.usage);
          }
          process_table_.erase(it);
          process_exits_.notify(event::pollhup);
        }
        return exit;
      }
      if ((filter.stopped || filter.continued) && it->second.process != nullptr) {
        if (std::optional<int32_t> status = take_job_change(*it->second.process, filter)) {
          // TODO: the usage reads zeros, where Linux reports the running
          // child's usage so far.
          return ChildExit{it->first, *status};
        }
      }
    }
    if (!any_child) {
      return fail(Errno::echild);
    }
    if (!filter.block) {
      return ChildExit{0, 0};
    }
    if (interrupted) {
      return fail(Errno::eintr);
    }
    // A signal for this thread ends the wait with EINTR; signal delivery
    // then restarts the call or runs the handler. The SIGCHLD of an exiting
    // child interrupts the wait too, so the children are checked once more
    // first, and the wait returns that child, as on Linux.
    // The host's SIGCHLD for a child that the host killed wakes this wait
    // only when it lands on this thread during the futex wait, so the wait
    // also checks for such children every `reap_interval`.
    constexpr auto reap_interval = std::chrono::milliseconds(100);
    Result<void> waited =
        process_exited_.wait(process_table_lock_, sync::Deadline::after(reap_interval));
    if (!waited && waited.error() == Errno::eintr) {
      interrupted = true;
    } else if (!waited && waited.error() != Errno::etimedout) {
      return fail(waited.error());
    }
  }
}

platform::ResourceUsage Kernel::children_usage(Task& task) {
  sync::LockGuard guard(process_table_lock_);
  auto found = process_table_.find(task.process().pid());
  return found != process_table_.end() ? found->second.children_usage : platform::ResourceUsage{};
}

void Kernel::record_exit(Task& task, int32_t wait_status) {
  Process& process = task.process();
  (void)process.descriptors().close_range(0, ~uint32_t{0}, 0);
  process.memory.release_writable_mappings();
  release_terminal_at_exit(task);
  // NOTE: the usage misses what the host process spends from here until it
  // ends, in this thread and in the others.
  const platform::ResourceUsage own_usage =
      platform::current().clock.resource_usage(platform::UsageScope::process);

  const int32_t pid = process.pid();
  uint32_t uid = 0;
  std::string name;
  int32_t nice = 0;
  {
    sync::LockGuard guard(process.lock);
    uid = process.credentials.uid;
    name = process.name;
    nice = task.nice;
  }
  sync::LockGuard guard(process_table_lock_);
  auto found = process_table_.find(pid);
  // Two threads may end the process at once; the first one reports it.
  if (found != process_table_.end() && !found->second.exited) {
    found->second.exited = true;
    found->second.wait_status = wait_status;
    found->second.exit_usage = own_usage;
    add_child_usage(found->second.exit_usage, found->second.children_usage);
    found->second.process = nullptr;
    found->second.name = std::move(name);
    found->second.nice = nice;
    notify_parent(task, uid, found);
  }
  process_exited_.notify_all();
  process_exits_.notify(event::pollin | event::pollrdnorm | event::pollhup);
}

void Kernel::exit_process(Task& task, int exit_code) {
  if (options_.trace) {
    if (task.pending_trace != nullptr) {
      write_trace(task.pending_trace->finish_without_return());
    }
    write_trace(fmt::format("+++ exited with {} +++", exit_code & 0xff));
  }
  record_exit(task, (exit_code & 0xff) << 8);
  execution_.exit_process(exit_code & 0xff);
  // GCC 12 does not carry [[noreturn]] through a virtual call.
  std::unreachable();
}

Result<int32_t> Kernel::spawn_thread(Task& parent, const platform::GuestRegisters& registers,
                                     uint64_t clear_child_tid, uint64_t set_parent_tid,
                                     uint64_t set_child_tid) {
  const int32_t tid = next_id_.fetch_add(1);
  if (set_parent_tid != 0) {
    TRY_VOID(GuestPtr<int32_t>(set_parent_tid).write(tid));
  }
  if (set_child_tid != 0) {
    TRY_VOID(GuestPtr<int32_t>(set_child_tid).write(tid));
  }
  auto task = std::make_unique<Task>(tid, parent.shared_process());
  task->clear_child_tid = clear_child_tid;
  task->signal_mask = parent.signal_mask;
  inherit_scheduling(*task, parent);
  task->keep_capabilities = parent.keep_capabilities;

  sync::LockGuard guard(threads_lock_);
  parent.process().live_threads.fetch_add(1);
  auto thread = execution_.spawn_guest_thread(registers);
  if (!thread) {
    parent.process().live_threads.fetch_sub(1);
    return fail(thread.error());
  }
  task->host_thread = *thread;
  threads_[*thread] = std::move(task);
  return tid;
}

void Kernel::exit_thread(Task& task, int exit_code) {
  if (task.clear_child_tid != 0) {
    // pthread_join waits for this word to become 0.
    const uint32_t zero = 0;
    if (copy_to_guest(task.clear_child_tid, std::as_bytes(std::span(&zero, 1)))) {
      (void)wake_guest_futex(task, task.clear_child_tid, 1, platform::FutexScope::shared);
    }
  }
  if (task.process().live_threads.fetch_sub(1) == 1) {
    exit_process(task, exit_code);
  }
  if (options_.trace && task.pending_trace != nullptr) {
    write_trace(task.pending_trace->finish_without_return());
  }

  // The Task goes away before the thread does; nothing may touch it after.
  std::unique_ptr<Task> owned;
  {
    sync::LockGuard guard(threads_lock_);
    auto found = threads_.find(platform::current().threads.current());
    if (found != threads_.end()) {
      owned = std::move(found->second);
      threads_.erase(found);
    }
  }
  if (!owned) {
    // The initial thread's Task has no owner to destroy it, so it only
    // leaves the list of live threads.
    sync::LockGuard guard(task.process().lock);
    std::erase(task.process().tasks, &task);
  }
  Process& process = task.process();
  set_current_task(nullptr);
  owned.reset();
  process.thread_exited.notify_all();
  // The threads parked for a stop may now be all that are left, and one of
  // them completes the stop.
  process.resumed.notify_all();
  execution_.exit_thread();
  std::unreachable();
}

void Kernel::kill_process(Task& task, int signal) {
  if (options_.trace) {
    if (task.pending_trace != nullptr) {
      write_trace(task.pending_trace->finish_without_return());
    }
    write_trace(fmt::format("+++ killed by {} +++", signal_name(signal)));
  }
  record_exit(task, signal);
  execution_.exit_process(128 + signal);
  std::unreachable();
}

void Kernel::exit_if_exec_pending(Task& task) {
  const Task* exec_task = task.process().exec_task.load(std::memory_order_acquire);
  if (exec_task == nullptr || exec_task == &task) {
    return;
  }
  if (options_.trace && task.pending_trace != nullptr) {
    write_trace(task.pending_trace->finish_without_return());
    task.pending_trace = nullptr;
  }
  exit_thread(task, 0);
}

void Kernel::end_other_threads(Task& task) {
  Process& process = task.process();
  // The Process lives on while any of its threads does, so the reference
  // stays valid across the waits below.
  while (true) {
    std::vector<platform::ThreadId> others;
    platform::ProcessId host_process = 0;
    bool other_exec = false;
    bool alone = false;
    {
      sync::LockGuard guard(process.lock);
      other_exec = process.exec_task != nullptr && process.exec_task != &task;
      alone = process.live_threads.load() == 1;
      if (!other_exec && !alone) {
        process.exec_task = &task;
        for (Task* thread : process.tasks) {
          if (thread != &task && thread->host_thread != 0) {
            others.push_back(thread->host_thread);
          }
        }
        host_process = process.host_process;
      } else if (alone) {
        process.exec_task = nullptr;
      }
    }
    if (other_exec) {
      // Another thread runs execve too and came first: this one ends.
      exit_if_exec_pending(task);
    }
    if (alone) {
      break;
    }
    // The interrupt makes a thread in guest code or in a blocking wait
    // enter the libOS; one busy in the libOS exits when its call ends. The
    // interrupts repeat in case one landed before the thread saw exec_task.
    for (platform::ThreadId thread : others) {
      platform::current().threads.interrupt(host_process, thread);
    }
    sync::LockGuard guard(process.lock);
    if (process.live_threads.load() != 1) {
      constexpr auto resend_interval = std::chrono::milliseconds(10);
      (void)process.thread_exited.wait(process.lock, sync::Deadline::after(resend_interval));
    }
  }
  if (task.tid() != process.pid()) {
    task.take_leader_id();
  }
}

}  // namespace litebox::shim::linux_abi
