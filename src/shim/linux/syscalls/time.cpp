// Time system calls: clocks, time of day, sleeping, and getrusage for the
// CPU time a process or thread has used.
#include <array>
#include <atomic>
#include <chrono>

#include "litebox/platform/platform.hpp"
#include "shim/linux/guest_clock.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/resource_usage.hpp"
#include "shim/linux/vdso/time_source.hpp"

namespace litebox::shim::linux_abi {

namespace {

using std::chrono::nanoseconds;

enum ClockId : int32_t {
  clock_realtime = 0,
  clock_monotonic = 1,
  clock_process_cputime = 2,
  clock_thread_cputime = 3,
  clock_monotonic_raw = 4,
  clock_realtime_coarse = 5,
  clock_monotonic_coarse = 6,
  clock_boottime = 7,
  clock_realtime_alarm = 8,
  clock_boottime_alarm = 9,
  clock_tai = 11,
};

using vdso::coarse_resolution_ns;

Result<LinuxTimespec> read_clock(int32_t clock) {
  switch (clock) {
    case clock_realtime:
    case clock_realtime_coarse:
    case clock_realtime_alarm:
    case clock_tai: {
      // NOTE: CLOCK_TAI equals CLOCK_REALTIME while no leap-second offset is
      // configured, as on a default Linux system.
      platform::Timespec now = guest_realtime_now();
      return LinuxTimespec{now.seconds, now.nanoseconds};
    }
    case clock_monotonic:
    case clock_monotonic_raw:
    case clock_monotonic_coarse:
    case clock_boottime:
    case clock_boottime_alarm:
      return to_timespec(guest_monotonic_now());
    case clock_process_cputime:
      return to_timespec(platform::current().clock.cpu_time(platform::UsageScope::process));
    case clock_thread_cputime:
      return to_timespec(platform::current().clock.cpu_time(platform::UsageScope::thread));
    default:
      return fail(Errno::einval);
  }
}

Result<uint64_t> sys_clock_gettime(Task&, const SyscallArguments& arguments) {
  LinuxTimespec now = TRY(read_clock(arguments.as_int(0)));
  TRY_VOID(GuestPtr<LinuxTimespec>(arguments[1]).write(now));
  return 0;
}

Result<uint64_t> sys_clock_getres(Task&, const SyscallArguments& arguments) {
  const int32_t clock = arguments.as_int(0);
  (void)TRY(read_clock(clock));
  LinuxTimespec resolution = to_timespec(platform::current().clock.resolution());
  if (clock == clock_realtime_coarse || clock == clock_monotonic_coarse) {
    resolution = {0, coarse_resolution_ns};
  }
  if (arguments[1] != 0) {
    TRY_VOID(GuestPtr<LinuxTimespec>(arguments[1]).write(resolution));
  }
  return 0;
}

Result<uint64_t> sys_gettimeofday(Task&, const SyscallArguments& arguments) {
  platform::Timespec now = guest_realtime_now();
  if (arguments[0] != 0) {
    TRY_VOID(GuestPtr<LinuxTimeval>(arguments[0]).write({now.seconds, now.nanoseconds / 1000}));
  }
  if (arguments[1] != 0) {
    // struct timezone: minutes west of Greenwich and DST type, both 0 (UTC).
    using Timezone = std::array<int32_t, 2>;
    TRY_VOID(GuestPtr<Timezone>(arguments[1]).write(Timezone{0, 0}));
  }
  return 0;
}

Result<uint64_t> sys_time(Task&, const SyscallArguments& arguments) {
  const int64_t seconds = guest_realtime_now().seconds;
  if (arguments[0] != 0) {
    TRY_VOID(GuestPtr<int64_t>(arguments[0]).write(seconds));
  }
  return static_cast<uint64_t>(seconds);
}

Result<nanoseconds> read_duration(uint64_t address) {
  LinuxTimespec value = TRY(GuestPtr<LinuxTimespec>(address).read());
  if (value.seconds < 0 || value.nanoseconds < 0 || value.nanoseconds >= 1'000'000'000) {
    return fail(Errno::einval);
  }
  // Durations past ~292 years saturate; they never end in practice.
  constexpr int64_t max_seconds = INT64_MAX / 1'000'000'000 - 1;
  if (value.seconds > max_seconds) {
    return nanoseconds::max();
  }
  return nanoseconds(value.seconds * 1'000'000'000 + value.nanoseconds);
}

// The point on the guest's monotonic clock `duration` from now; durations
// that would overflow saturate.
nanoseconds deadline_after(nanoseconds duration) {
  const nanoseconds now = guest_monotonic_now();
  return duration > nanoseconds::max() - now ? nanoseconds::max() : now + duration;
}

// Sleeps until `deadline` on the guest's monotonic clock, so that the guest
// never measures a shorter sleep than it asked for. Returns the time left
// when a signal interrupts the sleep (`eintr`).
Result<void> sleep_until(nanoseconds deadline, nanoseconds& remaining) {
  platform::Platform& host = platform::current();
  // Nothing ever wakes this word, so the wait ends at the timeout or on an
  // interrupt.
  std::atomic<uint32_t> never_woken{0};
  while (true) {
    const nanoseconds now = guest_monotonic_now();
    if (now >= deadline) {
      remaining = nanoseconds(0);
      return {};
    }
    auto waited =
        host.futex.wait(never_woken, 0, deadline - now, platform::FutexScope::process_private);
    if (!waited && waited.error() == Errno::eintr) {
      remaining = std::max(deadline - guest_monotonic_now(), nanoseconds(0));
      return fail(Errno::eintr);
    }
  }
}

// Sleeps until `deadline` for a relative nanosleep or clock_nanosleep. When
// a signal interrupts the sleep, writes the time left to the guest's
// timespec at `remaining_address` (unless it is 0) and records the
// deadline for restart_syscall(2). Signal delivery restarts the sleep
// through it when no handler ran (a stop, an ignored signal), so that the
// sleep still ends at `deadline`, as on Linux.
Result<uint64_t> sleep_relative(Task& task, uint64_t number, nanoseconds deadline,
                                uint64_t remaining_address) {
  nanoseconds remaining{0};
  auto slept = sleep_until(deadline, remaining);
  if (slept) {
    return 0;
  }
  if (remaining_address != 0) {
    TRY_VOID(GuestPtr<LinuxTimespec>(remaining_address).write(to_timespec(remaining)));
  }
  task.sleep_restart =
      SleepRestart{.number = number, .deadline = deadline, .remaining_address = remaining_address};
  return fail(slept.error());
}

Result<uint64_t> sys_nanosleep(Task& task, const SyscallArguments& arguments) {
  nanoseconds duration = TRY(read_duration(arguments[0]));
  return sleep_relative(task, nr::nanosleep, deadline_after(duration), arguments[1]);
}

// restart_syscall(2): resumes the sleep that signal delivery recorded, or
// returns EINTR when there is none, as Linux does after a signal handler ran.
Result<uint64_t> sys_restart_syscall(Task& task, const SyscallArguments&) {
  if (!task.sleep_restart) {
    return fail(Errno::eintr);
  }
  const SleepRestart restart = *task.sleep_restart;
  task.sleep_restart.reset();
  return sleep_relative(task, restart.number, restart.deadline, restart.remaining_address);
}

Result<uint64_t> sys_clock_nanosleep(Task& task, const SyscallArguments& arguments) {
  constexpr uint32_t timer_absolute = 1;
  const int32_t clock = arguments.as_int(0);
  const uint32_t flags = arguments.as_uint(1);
  switch (clock) {
    case clock_realtime:
    case clock_monotonic:
    case clock_boottime:
    case clock_tai:
      break;
    case clock_thread_cputime:
      return fail(Errno::einval);
    case clock_process_cputime:
      return fail(Errno::eopnotsupp);
    default:
      return fail(clock < 0 ? Errno::einval : Errno::eopnotsupp);
  }
  nanoseconds duration = TRY(read_duration(arguments[2]));
  if (!(flags & timer_absolute)) {
    return sleep_relative(task, nr::clock_nanosleep, deadline_after(duration), arguments[3]);
  }

  // An absolute sleep reports no time left, and a restart runs the same
  // call again, which still ends at the same time.
  LinuxTimespec now = TRY(read_clock(clock));
  const nanoseconds current(now.seconds * 1'000'000'000 + now.nanoseconds);
  duration = duration > current ? duration - current : nanoseconds(0);
  nanoseconds remaining{0};
  TRY_VOID(sleep_until(deadline_after(duration), remaining));
  return 0;
}

}  // namespace

Result<uint64_t> sys_getrusage(Task& task, const SyscallArguments& arguments) {
  constexpr int32_t rusage_self = 0;
  constexpr int32_t rusage_children = -1;
  constexpr int32_t rusage_thread = 1;
  const int32_t who = arguments.as_int(0);
  if (who != rusage_self && who != rusage_children && who != rusage_thread) {
    return fail(Errno::einval);
  }

  platform::ResourceUsage usage;
  if (who == rusage_self) {
    usage = platform::current().clock.resource_usage(platform::UsageScope::process);
  } else if (who == rusage_thread) {
    usage = platform::current().clock.resource_usage(platform::UsageScope::thread);
  } else {
    usage = task.kernel().children_usage(task);
  }

  const LinuxResourceUsage result = to_linux_resource_usage(usage);
  TRY_VOID(GuestPtr<LinuxResourceUsage>(arguments[1]).write(result));
  return 0;
}

// struct tms on x86-64, in clock ticks.
struct LinuxProcessTimes {
  int64_t user_time;
  int64_t system_time;
  int64_t children_user_time;
  int64_t children_system_time;
};

// times(2): the CPU times of the process and of its waited-for children in
// clock ticks (USER_HZ), and the clock ticks since boot as the result.
Result<uint64_t> sys_times(Task& task, const SyscallArguments& arguments) {
  using ClockTicks = std::chrono::duration<int64_t, std::ratio<1, 100>>;
  auto ticks = [](std::chrono::nanoseconds duration) {
    return std::chrono::duration_cast<ClockTicks>(duration).count();
  };
  if (arguments[0] != 0) {
    platform::ResourceUsage usage =
        platform::current().clock.resource_usage(platform::UsageScope::process);
    const platform::ResourceUsage children = task.kernel().children_usage(task);
    LinuxProcessTimes times{};
    times.user_time = ticks(usage.user_time);
    times.system_time = ticks(usage.system_time);
    times.children_user_time = ticks(children.user_time);
    times.children_system_time = ticks(children.system_time);
    TRY_VOID(GuestPtr<LinuxProcessTimes>(arguments[0]).write(times));
  }
  // The same uptime that /proc/uptime and the start times in /proc/PID/stat
  // count from.
  return static_cast<uint64_t>(ticks(platform::current().clock.monotonic_now()));
}

void register_time_syscalls(SyscallTable& table) {
  table.add(nr::getrusage, sys_getrusage);
  table.add(nr::times, sys_times);
  table.add(nr::clock_gettime, sys_clock_gettime);
  table.add(nr::clock_getres, sys_clock_getres);
  table.add(nr::gettimeofday, sys_gettimeofday);
  table.add(nr::time, sys_time);
  table.add(nr::nanosleep, sys_nanosleep);
  table.add(nr::clock_nanosleep, sys_clock_nanosleep);
  table.add(nr::restart_syscall, sys_restart_syscall);
}

}  // namespace litebox::shim::linux_abi
