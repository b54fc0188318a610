// The sandbox's pseudo-terminals as controlling terminals of sessions:
// acquiring one (open(2) of a replica, TIOCSCTTY), giving it up (TIOCNOTTY,
// a session leader's exit), its foreground process group, and the signals
// a terminal sends to processes, as tty_ioctl(4) and credentials(7)
// describe them.
#include "shim/linux/kernel.hpp"
#include "shim/linux/signal/delivery.hpp"

namespace litebox::shim::linux_abi {

void TerminalSessionHooks::signal_process_group(int32_t group, tty::TerminalSignal signal) {
  kernel_.signal_group_from_terminal(group, static_cast<int>(signal));
}

void TerminalSessionHooks::signal_session_leader(int32_t session, tty::TerminalSignal signal) {
  kernel_.signal_leader_from_terminal(session, static_cast<int>(signal));
}

std::shared_ptr<tty::PseudoTerminal> TerminalSessionHooks::controlling_terminal() {
  Task* task = Kernel::current_task();
  return task != nullptr ? kernel_.controlling_pseudo_terminal(*task) : nullptr;
}

fs::Credentials TerminalSessionHooks::caller_credentials() {
  Task* task = Kernel::current_task();
  if (task == nullptr) {
    return {};
  }
  sync::LockGuard guard(task->process().lock);
  return task->process().credentials.file_system();
}

Result<void> TerminalSessionHooks::check_background_access(tty::PseudoTerminal& terminal,
                                                           tty::TerminalSignal signal) {
  Task* task = Kernel::current_task();
  if (task == nullptr) {
    return {};
  }
  return kernel_.check_terminal_access(*task, terminal, static_cast<int>(signal));
}

Result<void> Kernel::check_terminal_access(Task& task, tty::PseudoTerminal& terminal, int signal) {
  std::shared_ptr<tty::PseudoTerminal> controlling = controlling_pseudo_terminal(task);
  if (controlling.get() != &terminal) {
    return {};
  }
  Process& process = task.process();
  const int32_t foreground = terminal.foreground_group();
  if (foreground == 0 || foreground == process.process_group) {
    return {};
  }
  bool ignored = false;
  {
    sync::LockGuard guard(process.lock);
    ignored = process.signal_actions[signal - 1].handler == sig_ignore ||
              (task.signal_mask & signal_bit(signal)) != 0;
  }
  if (ignored) {
    if (signal == sig::terminal_input) {
      return fail(Errno::eio);
    }
    return {};
  }
  if (process_group_orphaned(process.process_group)) {
    return fail(Errno::eio);
  }
  signal_group_from_terminal(process.process_group, signal);
  return fail(Errno::eintr);
}

std::shared_ptr<tty::PseudoTerminal> Kernel::controlling_pseudo_terminal(Task& task) {
  std::shared_ptr<tty::PseudoTerminal> terminal;
  int32_t session = 0;
  {
    sync::LockGuard guard(task.process().lock);
    terminal = task.process().controlling_terminal;
    session = task.process().session;
  }
  if (terminal == nullptr || terminal->session() != session) {
    return nullptr;
  }
  return terminal;
}

bool Kernel::has_any_controlling_terminal_locked(Process& process) {
  // The first process's session has the host terminal, or whatever
  // controls the session of the process that started the sandbox.
  if (process.session == terminal_session()) {
    return true;
  }
  sync::LockGuard guard(process.lock);
  return process.controlling_terminal != nullptr &&
         process.controlling_terminal->session() == process.session;
}

void Kernel::acquire_terminal_on_open(Task& task,
                                      const std::shared_ptr<tty::PseudoTerminal>& terminal,
                                      bool readable) {
  Process& process = task.process();
  sync::LockGuard guard(process_table_lock_);
  if (process.session != process.pid() || !readable || terminal->session() != 0 ||
      has_any_controlling_terminal_locked(process)) {
    return;
  }
  terminal->attach_session(process.session, process.process_group);
  sync::LockGuard process_guard(process.lock);
  process.controlling_terminal = terminal;
}

Result<void> Kernel::set_controlling_terminal(Task& task,
                                              const std::shared_ptr<tty::PseudoTerminal>& terminal,
                                              bool steal, bool readable) {
  Process& process = task.process();
  bool root = false;
  {
    sync::LockGuard guard(process.lock);
    root = process.credentials.euid == 0;
  }
  sync::LockGuard guard(process_table_lock_);
  const bool leader = process.session == process.pid();
  if (leader && terminal->session() == process.session) {
    return {};
  }
  if (!leader || has_any_controlling_terminal_locked(process)) {
    return fail(Errno::eperm);
  }
  if (terminal->session() != 0) {
    // Only CAP_SYS_ADMIN takes a terminal from another session; that
    // session's processes then find it no longer theirs.
    if (!steal || !root) {
      return fail(Errno::eperm);
    }
  }
  if (!readable && !root) {
    return fail(Errno::eperm);
  }
  terminal->attach_session(process.session, process.process_group);
  sync::LockGuard process_guard(process.lock);
  process.controlling_terminal = terminal;
  return {};
}

Result<void> Kernel::release_controlling_terminal(
    Task& task, const std::shared_ptr<tty::PseudoTerminal>& terminal) {
  if (controlling_pseudo_terminal(task) != terminal) {
    return fail(Errno::enotty);
  }
  Process& process = task.process();
  if (process.session != process.pid()) {
    sync::LockGuard guard(process_table_lock_);
    sync::LockGuard process_guard(process.lock);
    process.controlling_terminal = nullptr;
    return {};
  }
  const int32_t group = terminal->detach_session(process.session);
  {
    sync::LockGuard guard(process_table_lock_);
    sync::LockGuard process_guard(process.lock);
    process.controlling_terminal = nullptr;
  }
  if (group != 0) {
    signal_group_from_terminal(group, sig::hangup);
    signal_group_from_terminal(group, sig::cont);
  }
  return {};
}

void Kernel::release_terminal_at_exit(Task& task) {
  Process& process = task.process();
  if (process.session != process.pid()) {
    return;
  }
  std::shared_ptr<tty::PseudoTerminal> terminal = controlling_pseudo_terminal(task);
  if (terminal == nullptr) {
    return;
  }
  const int32_t group = terminal->detach_session(process.session);
  if (group != 0) {
    signal_group_from_terminal(group, sig::hangup);
  }
}

Result<void> Kernel::set_pseudo_terminal_foreground(
    Task& task, const std::shared_ptr<tty::PseudoTerminal>& terminal, int32_t group) {
  if (group < 0) {
    return fail(Errno::einval);
  }
  if (controlling_pseudo_terminal(task) != terminal) {
    return fail(Errno::enotty);
  }
  if (Result<void> allowed = check_terminal_access(task, *terminal, sig::terminal_output);
      !allowed) {
    // An orphaned background group gets ENOTTY here, as on Linux.
    return fail(allowed.error() == Errno::eio ? Errno::enotty : allowed.error());
  }
  sync::LockGuard guard(process_table_lock_);
  TRY_VOID(check_foreground_group_locked(task, group));
  terminal->set_foreground_group(group);
  return {};
}

void Kernel::signal_group_from_terminal(int32_t group, int signal) {
  Task* sender = current_task();
  if (sender == nullptr || group <= 0) {
    return;
  }
  const SignalInfo info = SignalInfo::from_sender(signal, si::kernel, 0, 0);
  sync::LockGuard guard(process_table_lock_);
  for (auto& [pid, record] : process_table_) {
    if (record.process != nullptr && record.process_group == group) {
      (void)send_process_signal(*sender, *record.process, info);
    }
  }
}

void Kernel::signal_leader_from_terminal(int32_t session, int signal) {
  Task* sender = current_task();
  if (sender == nullptr || session <= 0) {
    return;
  }
  const SignalInfo info = SignalInfo::from_sender(signal, si::kernel, 0, 0);
  sync::LockGuard guard(process_table_lock_);
  auto leader = process_table_.find(session);
  if (leader != process_table_.end() && leader->second.process != nullptr &&
      leader->second.session == session) {
    (void)send_process_signal(*sender, *leader->second.process, info);
  }
}

}  // namespace litebox::shim::linux_abi
