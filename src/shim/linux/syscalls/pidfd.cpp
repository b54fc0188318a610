// pidfd_open(2), pidfd_send_signal(2) and pidfd_getfd(2): descriptors that
// name a process of the sandbox. waitid(2) with P_PIDFD is in process.cpp.
#include "shim/linux/syscalls/pidfd.hpp"

#include <fmt/format.h>

#include <bit>

#include "shim/linux/guest_memory.hpp"
#include "shim/linux/signal/delivery.hpp"
#include "shim/linux/syscalls/file_support.hpp"

namespace litebox::shim::linux_abi {

uint32_t PidFile::poll_events() {
  switch (kernel_.process_state(Kernel::current_task(), pid_)) {
    case Kernel::ProcessState::running:
      return 0;
    case Kernel::ProcessState::zombie:
      return event::pollin | event::pollrdnorm;
    case Kernel::ProcessState::reaped:
      break;
  }
  return event::pollin | event::pollrdnorm | event::pollhup;
}

std::string PidFile::fdinfo_lines() {
  const bool reaped = kernel_.process_state(nullptr, pid_) == Kernel::ProcessState::reaped;
  const int32_t reported_pid = reaped ? -1 : pid_;
  return fmt::format("Pid:\t{}\nNSpid:\t{}\n", reported_pid, reported_pid);
}

Result<std::shared_ptr<PidFile>> pidfd_of(Task& task, int32_t descriptor) {
  std::shared_ptr<fd::File> file = TRY(file_of(task, descriptor));
  auto pidfd = std::dynamic_pointer_cast<PidFile>(file);
  if (pidfd == nullptr) {
    return fail(Errno::ebadf);
  }
  return pidfd;
}

namespace {

// PIDFD_NONBLOCK (O_NONBLOCK) and PIDFD_THREAD (O_EXCL).
constexpr uint32_t pidfd_non_blocking = fd::open_non_blocking;

Result<uint64_t> sys_pidfd_open(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  const uint32_t flags = arguments.as_uint(1);
  // TODO: PIDFD_THREAD (Linux 6.9), a pidfd for one thread, is rejected as
  // Linux before 6.9 rejects it.
  if ((flags & ~pidfd_non_blocking) != 0 || pid <= 0) {
    return fail(Errno::einval);
  }

  Kernel& kernel = task.kernel();
  if (kernel.process_state(&task, pid) == Kernel::ProcessState::reaped) {
    // NOTE: Linux 6.18 returns ENOENT for a thread that leads no thread
    // group, where Linux 6.1 returned EINVAL.
    const bool is_thread =
        kernel.visit_threads(Kernel::ThreadSelector::thread, pid, [](Task&) {}) != 0;
    return fail(is_thread ? Errno::enoent : Errno::esrch);
  }
  auto file = std::make_shared<PidFile>(kernel, pid, flags);
  // A pidfd is always close-on-exec.
  return TRY(task.process().descriptors().allocate(std::move(file), true));
}

// pidfd_send_signal(2) flags, which choose the receivers: the thread the
// pidfd names, its whole thread group, or the process group it leads.
constexpr uint32_t pidfd_signal_thread = 1;
constexpr uint32_t pidfd_signal_thread_group = 2;
constexpr uint32_t pidfd_signal_process_group = 4;

// The siginfo that the caller passed: `einval` unless it names `signal`.
// Only the kernel may claim SI_USER, SI_KERNEL or SI_TKILL, so such a code
// is `eperm` unless the signal goes to the calling thread's own thread
// group, as Linux checks.
Result<SignalInfo> read_sent_info(uint64_t address, int signal, bool to_own_group) {
  const SignalInfo info = TRY(GuestPtr<SignalInfo>(address).read());
  if (info.signo != signal) {
    return fail(Errno::einval);
  }
  if (!to_own_group && (info.code >= 0 || info.code == si::tkill)) {
    return fail(Errno::eperm);
  }
  return info;
}

Result<uint64_t> sys_pidfd_send_signal(Task& task, const SyscallArguments& arguments) {
  const int signal = arguments.as_int(1);
  const uint64_t info_address = arguments[2];
  const uint32_t flags = arguments.as_uint(3);
  constexpr uint32_t known =
      pidfd_signal_thread | pidfd_signal_thread_group | pidfd_signal_process_group;
  if ((flags & ~known) != 0 || std::popcount(flags) > 1) {
    return fail(Errno::einval);
  }
  const int32_t pid = TRY(pidfd_of(task, arguments.as_int(0)))->pid();

  SignalInfo info;
  if (info_address != 0) {
    const bool to_own_group = pid == task.tid() && flags != pidfd_signal_process_group;
    info = TRY(read_sent_info(info_address, signal, to_own_group));
  } else {
    Process& process = task.process();
    sync::LockGuard guard(process.lock);
    const int32_t code = flags == pidfd_signal_thread ? si::tkill : si::user;
    info = SignalInfo::from_sender(signal, code, process.pid(), process.credentials.uid);
  }
  if (signal < 0 || signal > signal_count) {
    return fail(Errno::einval);
  }

  Kernel& kernel = task.kernel();
  switch (flags) {
    case pidfd_signal_thread:
      TRY_VOID(kernel.kill_thread(task, pid, pid, info));
      break;
    case pidfd_signal_process_group:
      TRY_VOID(kernel.kill(task, -pid, info));
      break;
    default:
      TRY_VOID(kernel.kill(task, pid, info));
      break;
  }
  return 0;
}

// Whether `caller` may take descriptors of `target`, as Linux's
// PTRACE_MODE_ATTACH_REALCREDS check decides. The caller's real user and
// group ids must equal all of the target's and the target must be
// dumpable, unless the caller has CAP_SYS_PTRACE, which only root has here.
bool may_attach(const ProcessCredentials& caller, const Process& target) {
  const ProcessCredentials& owner = target.credentials;
  const bool same_user =
      owner.uid == caller.uid && owner.euid == caller.uid && owner.suid == caller.uid;
  const bool same_group =
      owner.gid == caller.gid && owner.egid == caller.gid && owner.sgid == caller.gid;
  return caller.euid == 0 || (same_user && same_group && target.dumpable);
}

// The open file description behind `descriptor` of process `pid`, another
// process of the sandbox. Processes share the kernel heap, so the
// description is shared as fork(2) and SCM_RIGHTS share one.
Result<std::shared_ptr<fd::File>> file_of_process(Task& task, int32_t pid, int32_t descriptor) {
  ProcessCredentials caller;
  {
    sync::LockGuard guard(task.process().lock);
    caller = task.process().credentials;
  }
  Result<std::shared_ptr<fd::File>> found = fail(Errno::esrch);
  TRY_VOID(task.kernel().visit_process(pid, [&](Process& target) {
    bool allowed = false;
    {
      sync::LockGuard guard(target.lock);
      allowed = may_attach(caller, target);
    }
    found = allowed ? target.descriptors().get(descriptor) : fail(Errno::eperm);
  }));
  return found;
}

Result<uint64_t> sys_pidfd_getfd(Task& task, const SyscallArguments& arguments) {
  const int32_t descriptor = arguments.as_int(1);
  if (arguments.as_uint(2) != 0) {
    return fail(Errno::einval);
  }
  const int32_t pid = TRY(pidfd_of(task, arguments.as_int(0)))->pid();

  // A process that has exited, zombie or reaped, has no descriptors left.
  const std::shared_ptr<fd::File> file = pid == task.process().pid()
                                             ? TRY(file_of(task, descriptor))
                                             : TRY(file_of_process(task, pid, descriptor));
  return TRY(task.process().descriptors().allocate(file, true));
}

}  // namespace

void register_pidfd_syscalls(SyscallTable& table) {
  table.add(nr::pidfd_open, sys_pidfd_open);
  table.add(nr::pidfd_send_signal, sys_pidfd_send_signal);
  table.add(nr::pidfd_getfd, sys_pidfd_getfd);
}

}  // namespace litebox::shim::linux_abi
