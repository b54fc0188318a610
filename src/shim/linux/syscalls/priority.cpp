// Scheduling priority, policy and affinity: getpriority, setpriority, the
// sched_* calls and ioprio_get, ioprio_set. The nice value, the policy, the
// I/O priority and the CPU affinity are kept per thread, as Linux keeps
// them, and inherited by new threads and forks. Each call finds its target
// among all threads of the sandbox. The libOS does not pass these values on
// to the host scheduler, so a real-time policy that a privileged guest sets
// is reported back but changes nothing.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <optional>
#include <vector>

#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/sched_attr.hpp"

namespace litebox::shim::linux_abi {

namespace {

// getpriority(2) and setpriority(2) `which` values.
constexpr int32_t prio_process = 0;
constexpr int32_t prio_process_group = 1;
constexpr int32_t prio_user = 2;

constexpr int32_t min_nice = -20;
constexpr int32_t max_nice = 19;

using ThreadSelector = Kernel::ThreadSelector;

// The calling thread's identity for the permission rules, copied before a
// target's process lock is taken, because the target may be the caller.
struct Caller {
  uint32_t uid;
  uint32_t euid;
  // CAP_SYS_NICE, granted here to an effective user id of 0.
  bool sys_nice;
};

Caller caller_of(Task& task) {
  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  return {process.credentials.uid, process.credentials.euid, process.credentials.euid == 0};
}

// Linux's rule for changing another thread's nice value, policy or
// affinity: the caller's effective user id is the target's real or
// effective user id, or the caller has CAP_SYS_NICE. Target's process lock
// held, as in every helper below that takes a target.
bool may_change(const Caller& caller, Task& target) {
  const ProcessCredentials& owner = target.process().credentials;
  return caller.sys_nice || caller.euid == owner.uid || caller.euid == owner.euid;
}

uint64_t resource_limit(Task& target, Resource resource) {
  return target.process().limits[static_cast<size_t>(resource)].current;
}

// Whether the caller may lower the target's nice value to `nice`:
// CAP_SYS_NICE or a target RLIMIT_NICE of at least 20 - nice.
bool may_lower_nice(const Caller& caller, Task& target, int32_t nice) {
  return caller.sys_nice ||
         resource_limit(target, Resource::nice) >= static_cast<uint64_t>(20 - nice);
}

// Calls `action` with the thread that `pid` names (0: the calling thread)
// and returns its result, or `esrch` when no live thread of the sandbox
// has that id.
// TODO: a zombie process is not found, though Linux finds it until it is
// reaped.
template <typename Action>
Result<uint64_t> with_thread(Task& task, int32_t pid, Action action) {
  std::optional<Result<uint64_t>> result;
  task.kernel().visit_threads(ThreadSelector::thread, pid == 0 ? task.tid() : pid,
                              [&](Task& target) { result = action(target); });
  if (!result) {
    return fail(Errno::esrch);
  }
  return *result;
}

// The threads that a getpriority(2) `which` and `who` name: PRIO_PROCESS
// one thread, PRIO_PGRP every thread of a process group, and PRIO_USER
// every thread of a real user id. `who` 0 is the caller's own thread, group
// or user, and an unknown `which` is `einval`.
struct PriorityTarget {
  ThreadSelector selector;
  int64_t id;
};

Result<PriorityTarget> priority_target(Task& task, int32_t which, int32_t who) {
  switch (which) {
    case prio_process:
      return PriorityTarget{ThreadSelector::thread, who == 0 ? task.tid() : who};
    case prio_process_group:
      return PriorityTarget{ThreadSelector::process_group,
                            who == 0 ? TRY(task.kernel().process_group_of(task, 0)) : who};
    case prio_user:
      return PriorityTarget{ThreadSelector::user,
                            who == 0 ? caller_of(task).uid : static_cast<uint32_t>(who)};
    default:
      return fail(Errno::einval);
  }
}

Result<uint64_t> sys_getpriority(Task& task, const SyscallArguments& arguments) {
  const PriorityTarget target =
      TRY(priority_target(task, arguments.as_int(0), arguments.as_int(1)));

  int32_t lowest_nice = max_nice;
  const size_t found = task.kernel().visit_threads(target.selector, target.id, [&](Task& thread) {
    lowest_nice = std::min(lowest_nice, thread.nice);
  });
  if (found == 0) {
    return fail(Errno::esrch);
  }
  // The system call returns 20 - nice of the highest priority, so the
  // result is never negative; the C library turns it back into the nice
  // value.
  return static_cast<uint64_t>(20 - lowest_nice);
}

Result<uint64_t> sys_setpriority(Task& task, const SyscallArguments& arguments) {
  const PriorityTarget target =
      TRY(priority_target(task, arguments.as_int(0), arguments.as_int(1)));
  const int32_t nice = std::clamp(arguments.as_int(2), min_nice, max_nice);
  const Caller caller = caller_of(task);

  // As Linux does, every named thread is tried: a thread the caller may
  // not change sets the error, and the first success clears only the
  // initial ESRCH.
  std::optional<Errno> error = Errno::esrch;
  task.kernel().visit_threads(target.selector, target.id, [&](Task& thread) {
    if (!may_change(caller, thread)) {
      error = Errno::eperm;
    } else if (nice < thread.nice && !may_lower_nice(caller, thread, nice)) {
      error = Errno::eacces;
    } else {
      if (error == Errno::esrch) {
        error.reset();
      }
      thread.nice = nice;
    }
  });
  if (error) {
    return fail(*error);
  }
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
constexpr uint64_t flag_util_clamp = 0x20 | 0x40;
constexpr uint64_t flag_all = 0x7f;
constexpr uint64_t flag_sugov = 0x1000'0000;

constexpr uint32_t max_realtime_priority = 99;

bool fair_policy(uint32_t policy) {
  return policy == sched_other || policy == sched_batch || policy == sched_idle;
}

bool realtime_policy(uint32_t policy) { return policy == sched_fifo || policy == sched_rr; }

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

// The rules for a caller without CAP_SYS_NICE. It may not lower the
// target's nice value or leave SCHED_IDLE beyond RLIMIT_NICE. It may not
// choose a real-time policy or raise its priority beyond RLIMIT_RTPRIO, nor
// choose SCHED_DEADLINE. It may not change a thread of another user or
// clear the reset-on-fork flag.
Result<void> check_unprivileged_change(const Caller& caller, Task& target,
                                       const PolicyChange& change, uint32_t policy,
                                       bool reset_on_fork) {
  const SchedulingPolicy& current = target.scheduling;
  if (fair_policy(policy) && change.nice < target.nice &&
      !may_lower_nice(caller, target, change.nice)) {
    return fail(Errno::eperm);
  }
  if (realtime_policy(policy)) {
    const uint64_t limit = resource_limit(target, Resource::realtime_priority);
    if ((policy != current.policy && limit == 0) ||
        (change.priority > current.priority && change.priority > limit)) {
      return fail(Errno::eperm);
    }
  }
  if (policy == sched_deadline) {
    return fail(Errno::eperm);
  }
  if (current.policy == sched_idle && policy != sched_idle &&
      !may_lower_nice(caller, target, target.nice)) {
    return fail(Errno::eperm);
  }
  if (!may_change(caller, target) || (current.reset_on_fork && !reset_on_fork)) {
    return fail(Errno::eperm);
  }
  return {};
}

// Checks and applies a policy change to `target` in Linux's order: invalid
// values first, then the privilege rules.
Result<uint64_t> change_scheduling(const Caller& caller, Task& target, const PolicyChange& change) {
  SchedulingPolicy& current = target.scheduling;
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
  if (!caller.sys_nice) {
    TRY_VOID(check_unprivileged_change(caller, target, change, policy, reset_on_fork));
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
    target.nice = change.nice;
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
  const Caller caller = caller_of(task);

  return with_thread(task, pid, [&](Task& target) {
    PolicyChange change;
    change.policy = static_cast<uint32_t>(policy) & ~sched_reset_on_fork;
    change.flags =
        (static_cast<uint32_t>(policy) & sched_reset_on_fork) != 0 ? flag_reset_on_fork : 0;
    change.nice = target.nice;
    change.priority = static_cast<uint32_t>(priority);
    return change_scheduling(caller, target, change);
  });
}

Result<uint64_t> sys_sched_setparam(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  if (arguments[1] == 0 || pid < 0) {
    return fail(Errno::einval);
  }
  const int32_t priority = TRY(read_scheduling_priority(arguments[1]));
  const Caller caller = caller_of(task);

  return with_thread(task, pid, [&](Task& target) {
    PolicyChange change;
    change.nice = target.nice;
    change.priority = static_cast<uint32_t>(priority);
    return change_scheduling(caller, target, change);
  });
}

Result<uint64_t> sys_sched_getscheduler(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  if (pid < 0) {
    return fail(Errno::einval);
  }
  return with_thread(task, pid, [](Task& target) -> Result<uint64_t> {
    return target.scheduling.policy | (target.scheduling.reset_on_fork ? sched_reset_on_fork : 0);
  });
}

Result<uint64_t> sys_sched_getparam(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  if (arguments[1] == 0 || pid < 0) {
    return fail(Errno::einval);
  }
  const uint64_t priority = TRY(with_thread(task, pid, [](Task& target) -> Result<uint64_t> {
    return realtime_policy(target.scheduling.policy) ? target.scheduling.priority : 0;
  }));

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
  const uint64_t policy = TRY(with_thread(
      task, pid, [](Task& target) -> Result<uint64_t> { return target.scheduling.policy; }));

  // SCHED_RR threads get Linux's default time slice of 100 ms, and SCHED_FIFO
  // threads none.
  // NOTE: the fair policies report 0, as a kernel whose tick (250 Hz, say)
  // is longer than the fair scheduler's base slice does.
  constexpr int64_t round_robin_nanoseconds = 100'000'000;
  const platform::Timespec interval{0, policy == sched_rr ? round_robin_nanoseconds : 0};
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
  const Caller caller = caller_of(task);

  return with_thread(task, pid, [&](Task& target) {
    PolicyChange change;
    if ((attributes.flags & sched_flag_keep_policy) == 0) {
      change.policy = attributes.policy;
    }
    change.flags = attributes.flags;
    change.nice = attributes.nice;
    change.priority = attributes.priority;
    change.runtime = attributes.runtime;
    change.deadline = attributes.deadline;
    change.period = attributes.period;
    // SCHED_FLAG_KEEP_PARAMS takes the parameters of the current policy.
    if ((attributes.flags & sched_flag_keep_params) != 0) {
      if (realtime_policy(target.scheduling.policy)) {
        change.priority = target.scheduling.priority;
      } else {
        change.nice = target.nice;
        change.runtime = current_slice(target);
      }
    }
    return change_scheduling(caller, target, change);
  });
}

Result<uint64_t> sys_sched_getattr(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  const uint64_t address = arguments[1];
  const uint32_t size = arguments.as_uint(2);
  if (address == 0 || pid < 0 || size > sched_attr_size_max || size < sched_attr_size_ver0 ||
      arguments.as_uint(3) != 0) {
    return fail(Errno::einval);
  }

  LinuxSchedAttr attributes{};
  attributes.size = std::min<uint32_t>(size, sizeof(LinuxSchedAttr));
  TRY_VOID(with_thread(task, pid, [&](Task& target) -> Result<uint64_t> {
    attributes.policy = target.scheduling.policy;
    attributes.flags = target.scheduling.reset_on_fork ? flag_reset_on_fork : 0;
    if (realtime_policy(target.scheduling.policy)) {
      attributes.priority = target.scheduling.priority;
    } else {
      attributes.nice = target.nice;
      attributes.runtime = current_slice(target);
    }
    return 0;
  }));

  // A larger buffer than the struct gets zeros after it, as Linux 6.18
  // writes them.
  std::vector<std::byte> bytes(size);
  // Safety: LinuxSchedAttr is trivially copyable, and at most its size is copied.
  std::memcpy(bytes.data(), &attributes, attributes.size);
  TRY_VOID(copy_to_guest(address, bytes));
  return 0;
}

// The CPUs the sandbox shows, 0 to processor_count - 1, as an affinity
// mask.
std::array<uint64_t, max_affinity_words> sandbox_processors(Task& task) {
  const uint32_t processors =
      std::min<uint32_t>(task.kernel().options().processor_count, max_affinity_words * 64);
  std::array<uint64_t, max_affinity_words> mask{};
  for (uint32_t processor = 0; processor < processors; ++processor) {
    mask[processor / 64] |= uint64_t{1} << (processor % 64);
  }
  return mask;
}

// The bytes of the kernel's cpumask: whole 64-bit words that cover the
// sandbox's CPUs.
uint64_t affinity_mask_bytes(Task& task) {
  constexpr uint64_t bits_per_word = 64;
  const uint64_t processors = task.kernel().options().processor_count;
  return std::min<uint64_t>((processors + bits_per_word - 1) / bits_per_word, max_affinity_words) *
         sizeof(uint64_t);
}

Result<uint64_t> sys_sched_getaffinity(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  const uint64_t length = arguments[1];
  const uint64_t mask_bytes = affinity_mask_bytes(task);
  // The kernel's cpumask is whole longs, so a buffer shorter than the mask
  // or not a multiple of a long fails. Linux checks the length before it
  // looks up the thread.
  if (length < mask_bytes || length % sizeof(uint64_t) != 0) {
    return fail(Errno::einval);
  }
  std::array<uint64_t, max_affinity_words> mask = sandbox_processors(task);
  TRY_VOID(with_thread(task, pid, [&](Task& target) -> Result<uint64_t> {
    for (size_t word = 0; word < mask.size(); ++word) {
      mask[word] &= target.affinity[word];
    }
    return 0;
  }));

  // NOTE: the mask names CPUs 0 to processor_count - 1, which matches the
  // host's mask in count but not in CPU numbers when the host restricts
  // LiteBox to other CPUs (taskset).
  // Safety: the array of words is trivially copyable, and mask_bytes is at
  // most its size.
  TRY_VOID(copy_to_guest(arguments[2], {reinterpret_cast<const std::byte*>(mask.data()),
                                        static_cast<size_t>(mask_bytes)}));
  return mask_bytes;
}

Result<uint64_t> sys_sched_setaffinity(Task& task, const SyscallArguments& arguments) {
  const int32_t pid = arguments.as_int(0);
  // Linux reads at most the kernel's cpumask and takes a shorter mask as
  // zeros after its end.
  std::array<uint64_t, max_affinity_words> mask{};
  const size_t length = std::min(arguments[1], affinity_mask_bytes(task));
  // Safety: the array of words is trivially copyable, and `length` is at
  // most its size.
  TRY_VOID(copy_from_guest({reinterpret_cast<std::byte*>(mask.data()), length}, arguments[2]));
  const Caller caller = caller_of(task);

  // A mask that names none of the sandbox's CPUs fails. LiteBox does not
  // pin threads: the mask is only kept and reported back.
  const std::array<uint64_t, max_affinity_words> processors = sandbox_processors(task);
  bool any = false;
  for (size_t word = 0; word < mask.size(); ++word) {
    mask[word] &= processors[word];
    any = any || mask[word] != 0;
  }
  return with_thread(task, pid, [&](Task& target) -> Result<uint64_t> {
    if (!may_change(caller, target)) {
      return fail(Errno::eperm);
    }
    if (!any) {
      return fail(Errno::einval);
    }
    target.affinity = mask;
    return 0;
  });
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
// IOPRIO_CLASS_NONE, and CAP_SYS_NICE for the real-time class.
Result<void> check_io_priority(const Caller& caller, uint32_t value) {
  switch ((value >> io_class_shift) & 0x7) {
    case io_class_realtime:
      if (!caller.sys_nice) {
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

// The threads that an ioprio_get(2) `which` and `who` name, as
// priority_target does: the IOPRIO_WHO_* values are the PRIO_* values
// plus 1.
Result<PriorityTarget> io_target(Task& task, int32_t which, int32_t who) {
  if (which < io_who_process || which > io_who_user) {
    return fail(Errno::einval);
  }
  return priority_target(task, which - io_who_process + prio_process, who);
}

// The I/O priority that a thread's I/O gets: one of class NONE follows the
// scheduling policy and nice value.
uint32_t effective_io_priority(Task& thread) {
  if ((thread.io_priority >> io_class_shift) != io_class_none) {
    return thread.io_priority;
  }
  uint32_t io_class = io_class_best_effort;
  if (thread.scheduling.policy == sched_idle) {
    io_class = io_class_idle;
  } else if (realtime_policy(thread.scheduling.policy)) {
    io_class = io_class_realtime;
  }
  return (io_class << io_class_shift) | static_cast<uint32_t>((thread.nice + 20) / 5);
}

Result<uint64_t> sys_ioprio_get(Task& task, const SyscallArguments& arguments) {
  const int32_t which = arguments.as_int(0);
  const PriorityTarget target = TRY(io_target(task, which, arguments.as_int(1)));

  // One thread reports the value it stores. For a process group or a user,
  // Linux reports the highest effective priority, which is the lowest
  // value.
  std::optional<uint32_t> priority;
  task.kernel().visit_threads(target.selector, target.id, [&](Task& thread) {
    const uint32_t value =
        which == io_who_process ? thread.io_priority : effective_io_priority(thread);
    priority = std::min(priority.value_or(value), value);
  });
  if (!priority) {
    return fail(Errno::esrch);
  }
  return *priority;
}

Result<uint64_t> sys_ioprio_set(Task& task, const SyscallArguments& arguments) {
  const int32_t which = arguments.as_int(0);
  const int32_t who = arguments.as_int(1);
  const uint32_t value = arguments.as_uint(2);
  const Caller caller = caller_of(task);
  TRY_VOID(check_io_priority(caller, value));
  PriorityTarget target = TRY(io_target(task, which, who));
  // NOTE: IOPRIO_WHO_USER with `who` 0 sets the threads of user id 0, not
  // the caller's, because Linux's ioprio_set compares with `who` itself.
  if (which == io_who_user && who == 0) {
    target.id = 0;
  }

  // Linux stops at the first thread that the caller may not change, whose
  // real user id is neither the caller's real nor its effective user id.
  std::optional<Errno> error = Errno::esrch;
  task.kernel().visit_threads(target.selector, target.id, [&](Task& thread) {
    if (error == Errno::eperm) {
      return;
    }
    const uint32_t owner = thread.process().credentials.uid;
    if (!caller.sys_nice && owner != caller.euid && owner != caller.uid) {
      error = Errno::eperm;
      return;
    }
    error.reset();
    thread.io_priority = static_cast<uint16_t>(value);
  });
  if (error) {
    return fail(*error);
  }
  return 0;
}

}  // namespace

void inherit_scheduling(Task& child, Task& parent) {
  sync::LockGuard guard(parent.process().lock);
  child.nice = parent.nice;
  child.affinity = parent.affinity;
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
  table.add(nr::sched_getaffinity, sys_sched_getaffinity);
  table.add(nr::sched_setaffinity, sys_sched_setaffinity);
}

}  // namespace litebox::shim::linux_abi
