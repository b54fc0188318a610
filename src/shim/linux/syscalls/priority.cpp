// Scheduling priority and policy: getpriority, setpriority and the sched_*
// policy calls. The nice value and the policy are kept per thread, as Linux
// keeps them, and inherited by new threads and forks. The libOS does not
// pass them on to the host scheduler, so a real-time policy that a
// privileged guest sets is reported back but changes nothing.
#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <vector>

#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"

namespace litebox::shim::linux_abi {

namespace {

// getpriority(2) and setpriority(2) `which` values.
constexpr int32_t prio_process = 0;
constexpr int32_t prio_process_group = 1;
constexpr int32_t prio_user = 2;

constexpr int32_t min_nice = -20;
constexpr int32_t max_nice = 19;

// Checks that `which` and `who` name the calling thread: PRIO_PROCESS with
// 0, its own id or its process id, PRIO_PGRP with 0 or its process group,
// PRIO_USER with 0 or its real user id. `einval` for an unknown `which`,
// `esrch` otherwise.
// TODO: other threads, processes, groups and users are never found, and
// PRIO_PGRP and PRIO_USER reach only the calling thread.
Result<void> check_target(Task& task, int32_t which, int32_t who) {
  if (which < prio_process || which > prio_user) {
    return fail(Errno::einval);
  }
  if (who == 0) {
    return {};
  }

  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  bool found = false;
  switch (which) {
    case prio_process:
      found = who == task.tid() || who == process.pid();
      break;
    case prio_process_group:
      found = who == process.process_group;
      break;
    default:
      found = static_cast<uint32_t>(who) == process.credentials.uid;
      break;
  }
  if (!found) {
    return fail(Errno::esrch);
  }
  return {};
}

// Whether the thread may lower its nice value to `nice`: CAP_SYS_NICE,
// granted here to an effective user id of 0, or an RLIMIT_NICE of at
// least 20 - nice.
bool may_lower_nice(Task& task, int32_t nice) {
  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  const uint64_t limit = process.limits[static_cast<size_t>(Resource::nice)].current;
  return process.credentials.euid == 0 || limit >= static_cast<uint64_t>(20 - nice);
}

Result<uint64_t> sys_getpriority(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(check_target(task, arguments.as_int(0), arguments.as_int(1)));

  // The system call returns 20 - nice, so the result is never negative;
  // the C library turns it back into the nice value.
  return static_cast<uint64_t>(20 - task.nice);
}

Result<uint64_t> sys_setpriority(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(check_target(task, arguments.as_int(0), arguments.as_int(1)));
  const int32_t nice = std::clamp(arguments.as_int(2), min_nice, max_nice);

  if (nice < task.nice && !may_lower_nice(task, nice)) {
    return fail(Errno::eacces);
  }

  task.nice = nice;
  return 0;
}

// Scheduling policies (SCHED_*). SCHED_EXT (7) has a priority range but is
// not a valid policy: hosts without sched_ext reject it the same way.
constexpr uint32_t sched_other = 0;
constexpr uint32_t sched_fifo = 1;
constexpr uint32_t sched_rr = 2;
constexpr uint32_t sched_batch = 3;
constexpr uint32_t sched_idle = 5;
constexpr uint32_t sched_deadline = 6;
constexpr uint32_t sched_ext = 7;
// The bit that sched_setscheduler(2) accepts in the policy for
// SCHED_FLAG_RESET_ON_FORK, and sched_getscheduler(2) reports.
constexpr uint32_t sched_reset_on_fork = 0x4000'0000;

// struct sched_attr flags (SCHED_FLAG_*).
constexpr uint64_t flag_reset_on_fork = 0x01;
constexpr uint64_t flag_keep_policy = 0x08;
constexpr uint64_t flag_keep_params = 0x10;
constexpr uint64_t flag_util_clamp = 0x20 | 0x40;
constexpr uint64_t flag_all = 0x7f;
constexpr uint64_t flag_sugov = 0x1000'0000;

constexpr uint32_t max_realtime_priority = 99;

bool fair_policy(uint32_t policy) {
  return policy == sched_other || policy == sched_batch || policy == sched_idle;
}

bool realtime_policy(uint32_t policy) { return policy == sched_fifo || policy == sched_rr; }

// struct sched_attr of SCHED_ATTR_SIZE_VER1, the size Linux 6.18 defines.
struct LinuxSchedAttr {
  uint32_t size;
  uint32_t policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime;
  uint64_t deadline;
  uint64_t period;
  uint32_t util_min;
  uint32_t util_max;
};
static_assert(sizeof(LinuxSchedAttr) == 56);

// SCHED_ATTR_SIZE_VER0, the smallest struct sched_attr, and the largest
// size Linux accepts (a page).
constexpr uint32_t sched_attr_size_ver0 = 48;
constexpr uint32_t sched_attr_size_max = 4096;

// Checks that `pid` names the calling thread: 0, its thread id or its
// process id. `esrch` otherwise.
// NOTE: the process id refers to the calling thread even when another
// thread leads the process, and other processes are never found.
Result<void> check_scheduling_target(Task& task, int32_t pid) {
  if (pid == 0 || pid == task.tid() || pid == task.process().pid()) {
    return {};
  }
  return fail(Errno::esrch);
}

bool has_sys_nice(Task& task) {
  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  return process.credentials.euid == 0;
}

uint64_t resource_limit(Task& task, Resource resource) {
  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  return process.limits[static_cast<size_t>(resource)].current;
}

// The base time slice of the fair scheduler: Linux 6.6 and later scale
// 0.7 ms by 1 + log2 of the CPU count, counting at most 8 CPUs.
uint64_t base_slice(Task& task) {
  const uint32_t processors = std::clamp(task.kernel().options().processor_count, 1u, 8u);
  return 700'000 * static_cast<uint64_t>(std::bit_width(processors));
}

uint64_t current_slice(Task& task) {
  return task.scheduling.custom_slice != 0 ? task.scheduling.custom_slice : base_slice(task);
}

// A policy change, in the form of struct sched_attr that all three setters
// reduce to. An empty policy keeps the current one (sched_setparam(2),
// SCHED_FLAG_KEEP_POLICY) together with its reset-on-fork flag.
struct PolicyChange {
  std::optional<uint32_t> policy;
  uint64_t flags = 0;
  int32_t nice = 0;
  uint32_t priority = 0;
  uint64_t runtime = 0;
  uint64_t deadline = 0;
  uint64_t period = 0;
};

// The SCHED_DEADLINE parameter rules of Linux: runtime <= deadline <=
// period (the deadline when the period is 0), a runtime of at least 1024
// ns, and a period between the default limits of 100 us and 4.19 s.
bool valid_deadline_parameters(const PolicyChange& change) {
  constexpr uint64_t top_bit = uint64_t{1} << 63;
  constexpr uint64_t min_runtime = 1024;
  constexpr uint64_t min_period = 100'000;
  constexpr uint64_t max_period = uint64_t{1 << 22} * 1000;
  if (change.deadline == 0 || change.runtime < min_runtime || (change.deadline & top_bit) != 0 ||
      (change.period & top_bit) != 0) {
    return false;
  }
  const uint64_t period = change.period != 0 ? change.period : change.deadline;
  return period >= change.deadline && change.deadline >= change.runtime && period >= min_period &&
         period <= max_period;
}

// The rules for a caller without CAP_SYS_NICE: it may not lower its nice
// value or leave SCHED_IDLE beyond RLIMIT_NICE, not choose a real-time
// policy or raise its priority beyond RLIMIT_RTPRIO, not choose
// SCHED_DEADLINE, and not clear the reset-on-fork flag.
Result<void> check_unprivileged_change(Task& task, const PolicyChange& change, uint32_t policy,
                                       bool reset_on_fork) {
  const SchedulingPolicy& current = task.scheduling;
  if (fair_policy(policy) && change.nice < task.nice && !may_lower_nice(task, change.nice)) {
    return fail(Errno::eperm);
  }
  if (realtime_policy(policy)) {
    const uint64_t limit = resource_limit(task, Resource::realtime_priority);
    if ((policy != current.policy && limit == 0) ||
        (change.priority > current.priority && change.priority > limit)) {
      return fail(Errno::eperm);
    }
  }
  if (policy == sched_deadline) {
    return fail(Errno::eperm);
  }
  if (current.policy == sched_idle && policy != sched_idle && !may_lower_nice(task, task.nice)) {
    return fail(Errno::eperm);
  }
  if (current.reset_on_fork && !reset_on_fork) {
    return fail(Errno::eperm);
  }
  return {};
}

// Checks and applies a policy change in Linux's order: invalid values
// first, then the privilege rules.
Result<uint64_t> change_scheduling(Task& task, const PolicyChange& change) {
  SchedulingPolicy& current = task.scheduling;
  const uint32_t policy = change.policy.value_or(current.policy);
  const bool reset_on_fork =
      change.policy ? (change.flags & flag_reset_on_fork) != 0 : current.reset_on_fork;
  if (change.policy && !fair_policy(policy) && !realtime_policy(policy) &&
      policy != sched_deadline) {
    return fail(Errno::einval);
  }
  if ((change.flags & ~(flag_all | flag_sugov)) != 0 || change.priority > max_realtime_priority) {
    return fail(Errno::einval);
  }
  if ((policy == sched_deadline && !valid_deadline_parameters(change)) ||
      realtime_policy(policy) != (change.priority != 0)) {
    return fail(Errno::einval);
  }
  if (!has_sys_nice(task)) {
    TRY_VOID(check_unprivileged_change(task, change, policy, reset_on_fork));
  }
  if ((change.flags & flag_sugov) != 0) {
    return fail(Errno::einval);
  }
  // NOTE: utilization clamping fails as on a kernel built without
  // CONFIG_UCLAMP_TASK.
  if ((change.flags & flag_util_clamp) != 0) {
    return fail(Errno::eopnotsupp);
  }
  // TODO: SCHED_DEADLINE fails even for a privileged caller: the sandbox
  // cannot reserve host CPU time for it.
  if (policy == sched_deadline) {
    return fail(Errno::eperm);
  }

  current.policy = policy;
  current.priority = change.priority;
  current.reset_on_fork = reset_on_fork;
  if (fair_policy(policy)) {
    constexpr uint64_t min_slice = 100'000;
    constexpr uint64_t max_slice = 100'000'000;
    task.nice = change.nice;
    current.custom_slice =
        change.runtime == 0 ? 0 : std::clamp(change.runtime, min_slice, max_slice);
  }
  return 0;
}

Result<int32_t> read_scheduling_priority(uint64_t address) {
  // struct sched_param has one int.
  return GuestPtr<int32_t>(address).read();
}

Result<uint64_t> sys_sched_setscheduler(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  const int32_t policy = arguments.as_int(1);
  if (policy < 0 || arguments[2] == 0 || pid < 0) {
    return fail(Errno::einval);
  }
  const int32_t priority = TRY(read_scheduling_priority(arguments[2]));
  TRY_VOID(check_scheduling_target(task, pid));

  PolicyChange change;
  change.policy = static_cast<uint32_t>(policy) & ~sched_reset_on_fork;
  change.flags =
      (static_cast<uint32_t>(policy) & sched_reset_on_fork) != 0 ? flag_reset_on_fork : 0;
  change.nice = task.nice;
  change.priority = static_cast<uint32_t>(priority);
  return change_scheduling(task, change);
}

Result<uint64_t> sys_sched_setparam(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  if (arguments[1] == 0 || pid < 0) {
    return fail(Errno::einval);
  }
  const int32_t priority = TRY(read_scheduling_priority(arguments[1]));
  TRY_VOID(check_scheduling_target(task, pid));

  PolicyChange change;
  change.nice = task.nice;
  change.priority = static_cast<uint32_t>(priority);
  return change_scheduling(task, change);
}

Result<uint64_t> sys_sched_getscheduler(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  if (pid < 0) {
    return fail(Errno::einval);
  }
  TRY_VOID(check_scheduling_target(task, pid));
  return task.scheduling.policy | (task.scheduling.reset_on_fork ? sched_reset_on_fork : 0);
}

Result<uint64_t> sys_sched_getparam(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  if (arguments[1] == 0 || pid < 0) {
    return fail(Errno::einval);
  }
  TRY_VOID(check_scheduling_target(task, pid));
  const uint32_t priority = realtime_policy(task.scheduling.policy) ? task.scheduling.priority : 0;
  TRY_VOID(GuestPtr<int32_t>(arguments[1]).write(static_cast<int32_t>(priority)));
  return 0;
}

Result<uint64_t> sys_sched_get_priority_max(Task&, const SyscallArguments& arguments) {
  switch (arguments.as_uint(0)) {
    case sched_fifo:
    case sched_rr:
      return max_realtime_priority;
    case sched_other:
    case sched_batch:
    case sched_idle:
    case sched_deadline:
    case sched_ext:
      return 0;
    default:
      return fail(Errno::einval);
  }
}

Result<uint64_t> sys_sched_get_priority_min(Task&, const SyscallArguments& arguments) {
  switch (arguments.as_uint(0)) {
    case sched_fifo:
    case sched_rr:
      return 1;
    case sched_other:
    case sched_batch:
    case sched_idle:
    case sched_deadline:
    case sched_ext:
      return 0;
    default:
      return fail(Errno::einval);
  }
}

Result<uint64_t> sys_sched_rr_get_interval(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  if (pid < 0) {
    return fail(Errno::einval);
  }
  TRY_VOID(check_scheduling_target(task, pid));

  // SCHED_RR threads get Linux's default time slice of 100 ms, and SCHED_FIFO
  // threads none.
  // NOTE: the fair policies report 0, as a kernel whose tick (250 Hz, say)
  // is longer than the fair scheduler's base slice does.
  constexpr int64_t round_robin_nanoseconds = 100'000'000;
  const platform::Timespec interval{
      0, task.scheduling.policy == sched_rr ? round_robin_nanoseconds : 0};
  TRY_VOID(GuestPtr<platform::Timespec>(arguments[1]).write(interval));
  return 0;
}

// Reads a struct sched_attr of any size that Linux accepts: a shorter one
// leaves the newer fields 0, and a longer one must end in zeros. A size it
// rejects is reported back through the size field with `e2big`.
Result<LinuxSchedAttr> read_sched_attr(uint64_t address) {
  uint32_t size = TRY(GuestPtr<uint32_t>(address).read());
  if (size == 0) {
    size = sched_attr_size_ver0;
  }
  auto too_big = [&]() -> Result<LinuxSchedAttr> {
    (void)GuestPtr<uint32_t>(address).write(sizeof(LinuxSchedAttr));
    return fail(Errno::e2big);
  };
  if (size < sched_attr_size_ver0 || size > sched_attr_size_max) {
    return too_big();
  }

  LinuxSchedAttr attributes{};
  const size_t known = std::min<size_t>(size, sizeof(LinuxSchedAttr));
  // Safety: LinuxSchedAttr is trivially copyable, and `known` is at most its size.
  TRY_VOID(copy_from_guest({reinterpret_cast<std::byte*>(&attributes), known}, address));
  if (size > sizeof(LinuxSchedAttr)) {
    std::vector<std::byte> rest(size - sizeof(LinuxSchedAttr));
    TRY_VOID(copy_from_guest(rest, address + sizeof(LinuxSchedAttr)));
    if (std::ranges::any_of(rest, [](std::byte value) { return value != std::byte{0}; })) {
      return too_big();
    }
  }
  if ((attributes.flags & flag_util_clamp) != 0 && size < sizeof(LinuxSchedAttr)) {
    return fail(Errno::einval);
  }
  attributes.nice = std::clamp(attributes.nice, min_nice, max_nice);
  return attributes;
}

Result<uint64_t> sys_sched_setattr(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  if (arguments[1] == 0 || pid < 0 || arguments.as_uint(2) != 0) {
    return fail(Errno::einval);
  }
  LinuxSchedAttr attributes = TRY(read_sched_attr(arguments[1]));
  if (static_cast<int32_t>(attributes.policy) < 0) {
    return fail(Errno::einval);
  }
  TRY_VOID(check_scheduling_target(task, pid));

  PolicyChange change;
  if ((attributes.flags & flag_keep_policy) == 0) {
    change.policy = attributes.policy;
  }
  change.flags = attributes.flags;
  change.nice = attributes.nice;
  change.priority = attributes.priority;
  change.runtime = attributes.runtime;
  change.deadline = attributes.deadline;
  change.period = attributes.period;
  // SCHED_FLAG_KEEP_PARAMS takes the parameters of the current policy.
  if ((attributes.flags & flag_keep_params) != 0) {
    if (realtime_policy(task.scheduling.policy)) {
      change.priority = task.scheduling.priority;
    } else {
      change.nice = task.nice;
      change.runtime = current_slice(task);
    }
  }
  return change_scheduling(task, change);
}

Result<uint64_t> sys_sched_getattr(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  const uint64_t address = arguments[1];
  const uint32_t size = arguments.as_uint(2);
  if (address == 0 || pid < 0 || size > sched_attr_size_max || size < sched_attr_size_ver0 ||
      arguments.as_uint(3) != 0) {
    return fail(Errno::einval);
  }
  TRY_VOID(check_scheduling_target(task, pid));

  LinuxSchedAttr attributes{};
  attributes.size = std::min<uint32_t>(size, sizeof(LinuxSchedAttr));
  attributes.policy = task.scheduling.policy;
  attributes.flags = task.scheduling.reset_on_fork ? flag_reset_on_fork : 0;
  if (realtime_policy(task.scheduling.policy)) {
    attributes.priority = task.scheduling.priority;
  } else {
    attributes.nice = task.nice;
    attributes.runtime = current_slice(task);
  }

  // A larger buffer than the struct gets zeros after it, as Linux 6.18
  // writes them.
  std::vector<std::byte> bytes(size);
  // Safety: LinuxSchedAttr is trivially copyable, and at most its size is copied.
  std::memcpy(bytes.data(), &attributes, attributes.size);
  TRY_VOID(copy_to_guest(address, bytes));
  return 0;
}

// ioprio_get(2) and ioprio_set(2) `which` values (IOPRIO_WHO_*).
constexpr int32_t io_who_process = 1;
constexpr int32_t io_who_user = 3;

// I/O priority classes (IOPRIO_CLASS_*), in bits 13 to 15 of the value.
// The level is in bits 0 to 2, and Linux 6.5 and later keep hints in bits 3
// to 12 without checking them.
constexpr uint32_t io_class_shift = 13;
constexpr uint32_t io_class_none = 0;
constexpr uint32_t io_class_realtime = 1;
constexpr uint32_t io_class_best_effort = 2;
constexpr uint32_t io_class_idle = 3;
constexpr uint32_t io_level_mask = 0x7;

// Checks an ioprio_set(2) value: a known class, no level for
// IOPRIO_CLASS_NONE, and CAP_SYS_NICE (uid 0 here) for the real-time class.
Result<void> check_io_priority(Task& task, uint32_t value) {
  switch ((value >> io_class_shift) & 0x7) {
    case io_class_realtime:
      if (!has_sys_nice(task)) {
        return fail(Errno::eperm);
      }
      return {};
    case io_class_best_effort:
    case io_class_idle:
      return {};
    case io_class_none:
      if ((value & io_level_mask) != 0) {
        return fail(Errno::einval);
      }
      return {};
    default:
      return fail(Errno::einval);
  }
}

// Checks that `which` and `who` name the calling thread, as check_target
// does: the IOPRIO_WHO_* values are the PRIO_* values plus 1.
Result<void> check_io_target(Task& task, int32_t which, int32_t who) {
  if (which < io_who_process || which > io_who_user) {
    return fail(Errno::einval);
  }
  return check_target(task, which - io_who_process + prio_process, who);
}

Result<uint64_t> sys_ioprio_get(Task& task, const SyscallArguments& arguments) {
  const int32_t which = arguments.as_int(0);
  TRY_VOID(check_io_target(task, which, arguments.as_int(1)));
  if (which == io_who_process) {
    return task.io_priority;
  }
  // For a process group or a user, Linux reports the effective priority:
  // a priority of class NONE follows the scheduling policy and nice value.
  if ((task.io_priority >> io_class_shift) != io_class_none) {
    return task.io_priority;
  }
  uint32_t io_class = io_class_best_effort;
  if (task.scheduling.policy == sched_idle) {
    io_class = io_class_idle;
  } else if (realtime_policy(task.scheduling.policy)) {
    io_class = io_class_realtime;
  }
  return (io_class << io_class_shift) | static_cast<uint32_t>((task.nice + 20) / 5);
}

Result<uint64_t> sys_ioprio_set(Task& task, const SyscallArguments& arguments) {
  const uint32_t value = arguments.as_uint(2);
  TRY_VOID(check_io_priority(task, value));
  TRY_VOID(check_io_target(task, arguments.as_int(0), arguments.as_int(1)));
  task.io_priority = static_cast<uint16_t>(value);
  return 0;
}

}  // namespace

void inherit_scheduling(Task& child, const Task& parent) {
  child.nice = parent.nice;
  child.io_priority = parent.io_priority;
  child.scheduling = parent.scheduling;
  if (!parent.scheduling.reset_on_fork) {
    return;
  }
  // SCHED_FLAG_RESET_ON_FORK: a real-time child starts as SCHED_OTHER with
  // nice 0, a fair one keeps its policy but not a negative nice value.
  if (!fair_policy(parent.scheduling.policy)) {
    child.scheduling.policy = sched_other;
    child.scheduling.priority = 0;
    child.nice = 0;
  } else if (child.nice < 0) {
    child.nice = 0;
  }
  child.scheduling.custom_slice = 0;
  child.scheduling.reset_on_fork = false;
}

void register_priority_syscalls(SyscallTable& table) {
  table.add(nr::getpriority, sys_getpriority);
  table.add(nr::setpriority, sys_setpriority);
  table.add(nr::sched_setscheduler, sys_sched_setscheduler);
  table.add(nr::sched_setparam, sys_sched_setparam);
  table.add(nr::sched_getscheduler, sys_sched_getscheduler);
  table.add(nr::sched_getparam, sys_sched_getparam);
  table.add(nr::sched_get_priority_max, sys_sched_get_priority_max);
  table.add(nr::sched_get_priority_min, sys_sched_get_priority_min);
  table.add(nr::sched_rr_get_interval, sys_sched_rr_get_interval);
  table.add(nr::sched_setattr, sys_sched_setattr);
  table.add(nr::sched_getattr, sys_sched_getattr);
  table.add(nr::ioprio_get, sys_ioprio_get);
  table.add(nr::ioprio_set, sys_ioprio_set);
}

}  // namespace litebox::shim::linux_abi
