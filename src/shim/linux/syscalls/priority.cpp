// Scheduling priority: getpriority and setpriority. The nice value is kept
// per thread, as Linux keeps it, and inherited by new threads and forks.
// The libOS does not pass it on to the host scheduler.
#include <algorithm>

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
// 0 or its own id, PRIO_PGRP with 0 or its process group, PRIO_USER with 0
// or its real user id. `einval` for an unknown `which`, `esrch` otherwise.
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
      found = who == task.tid();
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

Result<uint64_t> sys_getpriority(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(check_target(task, arguments.as_int(0), arguments.as_int(1)));

  // The system call returns 20 - nice, so the result is never negative;
  // the C library turns it back into the nice value.
  return static_cast<uint64_t>(20 - task.nice);
}

Result<uint64_t> sys_setpriority(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(check_target(task, arguments.as_int(0), arguments.as_int(1)));
  const int32_t nice = std::clamp(arguments.as_int(2), min_nice, max_nice);

  // Lowering the nice value needs CAP_SYS_NICE, granted here to an
  // effective user id of 0, or an RLIMIT_NICE of at least 20 - nice.
  if (nice < task.nice) {
    Process& process = task.process();
    sync::LockGuard guard(process.lock);
    const uint64_t limit = process.limits[static_cast<size_t>(Resource::nice)].current;
    if (process.credentials.euid != 0 && limit < static_cast<uint64_t>(20 - nice)) {
      return fail(Errno::eacces);
    }
  }

  task.nice = nice;
  return 0;
}

}  // namespace

void register_priority_syscalls(SyscallTable& table) {
  table.add(nr::getpriority, sys_getpriority);
  table.add(nr::setpriority, sys_setpriority);
}

}  // namespace litebox::shim::linux_abi
