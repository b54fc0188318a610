// The Kernel's process table across processes: sending signals to other
// guest processes and process groups (kill, tgkill, tkill), SIGCHLD for an
// exited child, process groups and sessions (setpgid, setsid), and finding
// the threads that the scheduling calls name.
#include <algorithm>
#include <optional>
#include <vector>

#include "shim/linux/kernel.hpp"
#include "shim/linux/resource_usage.hpp"
#include "shim/linux/signal/delivery.hpp"

namespace litebox::shim::linux_abi {

namespace {

struct SenderIdentity {
  ProcessCredentials credentials;
  int32_t session;
};

SenderIdentity identity_of(Process& process) {
  sync::LockGuard guard(process.lock);
  return {process.credentials, process.session};
}

}  // namespace

bool Kernel::may_signal(const ProcessCredentials& sender, int32_t sender_session, Process& target,
                        int signal) {
  // CAP_KILL, which the sandbox's root has.
  if (sender.euid == 0) {
    return true;
  }
  sync::LockGuard guard(target.lock);
  if (signal == sig::cont && target.session == sender_session) {
    return true;
  }
  const ProcessCredentials& receiver = target.credentials;
  return sender.euid == receiver.uid || sender.euid == receiver.suid ||
         sender.uid == receiver.uid || sender.uid == receiver.suid;
}

Result<void> Kernel::kill(Task& sender, int32_t pid, const SignalInfo& info) {
  Process& self = sender.process();
  const SenderIdentity identity = identity_of(self);
  const int32_t own_group = self.process_group;

  bool found = false;
  bool sent = false;
  bool include_self = false;
  std::optional<Errno> last_error;
  {
    sync::LockGuard guard(process_table_lock_);
    for (auto& [target_pid, record] : process_table_) {
      bool selected = false;
      if (pid > 0) {
        selected = target_pid == pid;
      } else if (pid == 0) {
        selected = record.process_group == own_group;
      } else if (pid == -1) {
        selected = target_pid != 1 && target_pid != self.pid();
      } else {
        selected = record.process_group == -pid;
      }
      if (!selected) {
        continue;
      }
      found = true;
      if (record.process == nullptr) {
        // A zombie takes the signal and ignores it, as on Linux.
        sent = true;
        continue;
      }
      if (!may_signal(identity.credentials, identity.session, *record.process, info.signo)) {
        last_error = Errno::eperm;
        continue;
      }
      if (record.process == &self) {
        // SIGKILL to itself must come last: it does not return.
        include_self = true;
        continue;
      }
      sent = true;
      if (info.signo != 0) {
        if (Result<void> delivered = send_process_signal(sender, *record.process, info);
            !delivered) {
          last_error = delivered.error();
        }
      }
    }
  }

  if (include_self) {
    if (info.signo != 0) {
      TRY_VOID(send_process_signal(sender, self, info));
    }
    return {};
  }
  if (!found) {
    return fail(Errno::esrch);
  }
  if (!sent) {
    return fail(last_error.value_or(Errno::esrch));
  }
  return {};
}

Result<void> Kernel::kill_thread(Task& sender, int32_t pid, int32_t tid, const SignalInfo& info) {
  Process& self = sender.process();
  if (pid == self.pid() || (pid == 0 && tid == sender.tid())) {
    return send_thread_signal(sender, self, tid, info);
  }
  const SenderIdentity identity = identity_of(self);

  bool own_thread = false;
  {
    sync::LockGuard guard(process_table_lock_);
    for (auto& [target_pid, record] : process_table_) {
      if ((pid != 0 && target_pid != pid) || record.process == nullptr) {
        continue;
      }
      Process& target = *record.process;
      bool has_thread = false;
      {
        sync::LockGuard target_guard(target.lock);
        for (Task* thread : target.tasks) {
          has_thread = has_thread || thread->tid() == tid;
        }
      }
      if (!has_thread) {
        continue;
      }
      if (info.signo != 0 && !is_valid_signal(info.signo)) {
        return fail(Errno::einval);
      }
      if (&target == &self) {
        // tkill to another thread of the caller's own process; SIGKILL does
        // not return, so it is sent without the table lock.
        own_thread = true;
        break;
      }
      if (!may_signal(identity.credentials, identity.session, target, info.signo)) {
        return fail(Errno::eperm);
      }
      return send_thread_signal(sender, target, tid, info);
    }
  }
  if (!own_thread) {
    return fail(Errno::esrch);
  }
  return send_thread_signal(sender, self, tid, info);
}

void Kernel::notify_parent(Task& sender, uint32_t uid,
                           std::map<int32_t, ProcessRecord>::iterator record) {
  // The groups that this exit may orphan: the process's own, when its
  // parent is in another group of the session, and those of its children
  // in other groups of the session.
  const int32_t group = record->second.process_group;
  const int32_t session = record->second.session;
  std::vector<int32_t> orphan_candidates;
  auto parent = process_table_.find(record->second.parent_pid);
  if (parent != process_table_.end() && parent->second.process_group != group &&
      parent->second.session == session) {
    orphan_candidates.push_back(group);
  }
  // Orphans go to init, as on Linux; a parent that is gone cannot reap.
  for (auto& [child_pid, child] : process_table_) {
    if (child.parent_pid == record->first) {
      child.parent_pid = 1;
      child.reparented = true;
      if (child.process != nullptr) {
        child.process->set_parent_pid(1);
      }
      if (child.process_group != group && child.session == session) {
        orphan_candidates.push_back(child.process_group);
      }
    }
  }
  hang_up_orphaned_groups_locked(sender, orphan_candidates);

  if (parent == process_table_.end() || parent->second.process == nullptr) {
    return;
  }
  Process& parent_process = *parent->second.process;
  SignalAction action;
  {
    sync::LockGuard guard(parent_process.lock);
    action = parent_process.signal_actions[sig::child - 1];
  }
  const SignalInfo info = SignalInfo::from_child(record->first, uid, record->second.wait_status);

  // wait(2): a parent that ignores SIGCHLD or set SA_NOCLDWAIT gets no
  // zombie; its waits block until every child is gone, then fail with
  // ECHILD. Only an explicit SIG_IGN suppresses the signal itself.
  // Such a child's usage does not count in the parent's RUSAGE_CHILDREN.
  if (action.handler == sig_ignore || (action.flags & sa::no_child_wait) != 0) {
    process_table_.erase(record);
  }
  if (action.handler != sig_ignore) {
    (void)send_process_signal(sender, parent_process, info);
  }
}

void Kernel::report_job_change(Task& task, int32_t code, int32_t signal) {
  Process& process = task.process();
  uint32_t uid = 0;
  {
    sync::LockGuard guard(process.lock);
    uid = process.credentials.uid;
  }
  sync::LockGuard guard(process_table_lock_);
  auto record = process_table_.find(process.pid());
  if (record != process_table_.end()) {
    auto parent = process_table_.find(record->second.parent_pid);
    if (parent != process_table_.end() && parent->second.process != nullptr) {
      Process& parent_process = *parent->second.process;
      SignalAction action;
      {
        sync::LockGuard parent_guard(parent_process.lock);
        action = parent_process.signal_actions[sig::child - 1];
      }
      if (action.handler != sig_ignore && (action.flags & sa::no_child_stop) == 0) {
        (void)send_process_signal(
            task, parent_process,
            SignalInfo::from_child_job_change(process.pid(), uid, code, signal));
      }
    }
  }
  process_exited_.notify_all();
}

bool Kernel::process_group_orphaned(int32_t group) {
  sync::LockGuard guard(process_table_lock_);
  return process_group_orphaned_locked(group);
}

bool Kernel::process_group_orphaned_locked(int32_t group) {
  for (const auto& [pid, record] : process_table_) {
    if (record.exited || record.process_group != group || record.reparented) {
      continue;
    }
    auto parent = process_table_.find(record.parent_pid);
    if (parent == process_table_.end()) {
      // The parent of the first process is outside the sandbox, where a
      // shell of the same session started it.
      if (record.parent_pid == 0) {
        return false;
      }
      continue;
    }
    if (parent->second.process_group != group && parent->second.session == record.session) {
      return false;
    }
  }
  return true;
}

void Kernel::hang_up_orphaned_groups_locked(Task& sender, const std::vector<int32_t>& groups) {
  for (size_t index = 0; index < groups.size(); ++index) {
    const int32_t group = groups[index];
    const bool seen = std::find(groups.begin(), groups.begin() + static_cast<std::ptrdiff_t>(index),
                                group) != groups.begin() + static_cast<std::ptrdiff_t>(index);
    if (seen || !process_group_orphaned_locked(group)) {
      continue;
    }
    std::vector<Process*> members;
    bool any_stopped = false;
    for (auto& [pid, record] : process_table_) {
      if (record.process != nullptr && record.process_group == group) {
        members.push_back(record.process);
        any_stopped = any_stopped || record.process->stopped.load(std::memory_order_acquire);
      }
    }
    if (!any_stopped) {
      continue;
    }
    for (int signal : {sig::hangup, sig::cont}) {
      const SignalInfo info = SignalInfo::from_sender(signal, si::kernel, 0, 0);
      for (Process* member : members) {
        (void)send_process_signal(sender, *member, info);
      }
    }
  }
}

void Kernel::reap_host_children(Task& task) {
  // Every system call ends here, and almost none has a child to reap.
  if (!execution_.children_may_have_ended()) {
    return;
  }
  sync::LockGuard guard(process_table_lock_);
  reap_host_children_locked(task);
}

void Kernel::reap_host_children_locked(Task& task) {
  std::vector<platform::EndedChild> ended = execution_.reap_children();
  if (ended.empty()) {
    return;
  }
  for (const platform::EndedChild& child : ended) {
    auto record =
        std::find_if(process_table_.begin(), process_table_.end(), [&](const auto& entry) {
          return entry.second.host_process == child.process && !entry.second.exited;
        });
    // A process that ended through exit or a guest signal has recorded it.
    if (record == process_table_.end()) {
      continue;
    }
    Process* process = record->second.process;
    record->second.exited = true;
    record->second.wait_status =
        child.signal != 0 ? child.signal & 0x7f : (child.exit_code & 0xff) << 8;
    // NOTE: for a child that the host killed, the host's count includes
    // every process that child reaped on the host, even those its guest
    // never waited for.
    record->second.exit_usage = child.usage;
    record->second.process = nullptr;
    if (process != nullptr) {
      record->second.name = process->name;
    }
    // NOTE: the dead process may have held a kernel lock, which then stays
    // taken; its descriptors stay open for the same reason. Its POSIX record
    // locks go where no such lock is in the way, so other processes that
    // wait for them can go on.
    if (process != nullptr) {
      (void)process->descriptors().try_release_record_locks();
    }
    const uint32_t uid = process != nullptr ? process->credentials.uid : 0;
    notify_parent(task, uid, record);
  }
  process_exited_.notify_all();
  process_exits_.notify(event::pollin | event::pollrdnorm | event::pollhup);
}

void Kernel::record_exec(Task& task) {
  sync::LockGuard guard(process_table_lock_);
  auto found = process_table_.find(task.process().pid());
  if (found != process_table_.end()) {
    found->second.executed = true;
  }
}

Result<void> Kernel::check_foreground_group_locked(Task& task, int32_t group) {
  bool exists = false;
  bool in_session = false;
  for (const auto& [pid, record] : process_table_) {
    if (record.process != nullptr && record.process_group == group) {
      exists = true;
      in_session = in_session || record.session == task.process().session;
    }
  }
  if (!exists) {
    return fail(Errno::esrch);
  }
  if (!in_session) {
    return fail(Errno::eperm);
  }
  return {};
}

Result<void> Kernel::set_terminal_foreground(Task& task, int32_t group) {
  if (group < 0) {
    return fail(Errno::einval);
  }
  sync::LockGuard guard(process_table_lock_);
  TRY_VOID(check_foreground_group_locked(task, group));
  // TODO: Linux sends SIGTTOU to a background process that changes the
  // foreground group; the sandbox has no job control.
  terminal_foreground_ = group;
  return {};
}

bool Kernel::has_controlling_terminal(Task& task) const {
  return task.process().session == terminal_session();
}

int32_t Kernel::terminal_foreground(Task& task) {
  sync::LockGuard guard(process_table_lock_);
  return terminal_foreground_ != 0 ? terminal_foreground_ : task.process().process_group;
}

Result<void> Kernel::set_process_group(Task& task, int32_t pid, int32_t group) {
  if (group < 0) {
    return fail(Errno::einval);
  }
  Process& self = task.process();
  if (pid == 0) {
    pid = self.pid();
  }
  if (group == 0) {
    group = pid;
  }

  sync::LockGuard guard(process_table_lock_);
  auto target = process_table_.find(pid);
  if (target == process_table_.end() || target->second.process == nullptr ||
      (pid != self.pid() && target->second.parent_pid != self.pid())) {
    return fail(Errno::esrch);
  }
  ProcessRecord& record = target->second;
  if (pid != self.pid() && record.executed) {
    return fail(Errno::eacces);
  }
  // A session leader keeps its group, and a child in another session is out
  // of reach.
  if (record.session == pid || record.session != self.session) {
    return fail(Errno::eperm);
  }
  if (group != pid) {
    bool group_in_session = false;
    for (const auto& [other_pid, other] : process_table_) {
      group_in_session =
          group_in_session || (other.process_group == group && other.session == self.session);
    }
    if (!group_in_session) {
      return fail(Errno::eperm);
    }
  }

  record.process_group = group;
  record.process->process_group = group;
  return {};
}

size_t Kernel::visit_threads(ThreadSelector selector, int64_t id,
                             const std::function<void(Task&)>& visit) {
  sync::LockGuard guard(process_table_lock_);
  if (selector == ThreadSelector::thread) {
    for (auto& [pid, record] : process_table_) {
      if (record.process == nullptr) {
        continue;
      }
      Process& process = *record.process;
      sync::LockGuard process_guard(process.lock);
      Task* thread = process.find_task_locked(static_cast<int32_t>(id));
      if (thread == nullptr && pid == id && !process.tasks.empty()) {
        thread = process.tasks.front();
      }
      if (thread != nullptr) {
        visit(*thread);
        return 1;
      }
    }
    return 0;
  }

  size_t visited = 0;
  for (auto& [pid, record] : process_table_) {
    if (record.process == nullptr ||
        (selector == ThreadSelector::process_group && record.process_group != id)) {
      continue;
    }
    Process& process = *record.process;
    sync::LockGuard process_guard(process.lock);
    if (selector == ThreadSelector::user && process.credentials.uid != id) {
      continue;
    }
    for (Task* thread : process.tasks) {
      visit(*thread);
      ++visited;
    }
  }
  return visited;
}

std::vector<int32_t> Kernel::process_ids() {
  std::vector<int32_t> pids;
  sync::LockGuard guard(process_table_lock_);
  pids.reserve(process_table_.size());
  for (const auto& entry : process_table_) {
    pids.push_back(entry.first);
  }
  return pids;
}

Result<Kernel::ZombieView> Kernel::zombie(int32_t pid) {
  sync::LockGuard guard(process_table_lock_);
  auto found = process_table_.find(pid);
  if (found == process_table_.end() || found->second.process != nullptr) {
    return fail(Errno::esrch);
  }
  const ProcessRecord& record = found->second;
  return ZombieView{record.name, record.parent_pid, record.process_group, record.session,
                    record.nice};
}

Kernel::ProcessState Kernel::process_state(Task* caller, int32_t pid) {
  if (caller != nullptr) {
    reap_host_children(*caller);
  }
  sync::LockGuard guard(process_table_lock_);
  auto found = process_table_.find(pid);
  if (found == process_table_.end()) {
    return ProcessState::reaped;
  }
  return found->second.exited ? ProcessState::zombie : ProcessState::running;
}

Result<void> Kernel::visit_process(int32_t pid, const std::function<void(Process&)>& visit) {
  sync::LockGuard guard(process_table_lock_);
  auto found = process_table_.find(pid);
  if (found == process_table_.end() || found->second.process == nullptr) {
    return fail(Errno::esrch);
  }
  visit(*found->second.process);
  return {};
}

Result<Kernel::ProcessRecord> Kernel::find_record(int32_t pid) {
  sync::LockGuard guard(process_table_lock_);
  auto found = process_table_.find(pid);
  if (found == process_table_.end()) {
    return fail(Errno::esrch);
  }
  return found->second;
}

Result<int32_t> Kernel::process_group_of(Task& task, int32_t pid) {
  if (pid == 0) {
    return task.process().process_group;
  }
  return TRY(find_record(pid)).process_group;
}

Result<int32_t> Kernel::create_session(Task& task) {
  Process& self = task.process();
  const int32_t pid = self.pid();

  sync::LockGuard guard(process_table_lock_);
  // The new session's group id is the caller's pid, so no group may use it
  // yet. This also rejects a caller that leads its group.
  for (const auto& [other_pid, other] : process_table_) {
    if (other.process_group == pid) {
      return fail(Errno::eperm);
    }
  }
  ProcessRecord& record = process_table_.at(pid);
  record.process_group = pid;
  record.session = pid;
  self.process_group = pid;
  self.session = pid;
  sync::LockGuard process_guard(self.lock);
  self.controlling_terminal = nullptr;
  return pid;
}

Result<int32_t> Kernel::session_of(Task& task, int32_t pid) {
  if (pid == 0) {
    return task.process().session;
  }
  return TRY(find_record(pid)).session;
}

}  // namespace litebox::shim::linux_abi
