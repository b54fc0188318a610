// Timer system calls: getitimer(2), setitimer(2) and alarm(2) for the real
// interval timer, the POSIX timers of timer_create(2), and timerfds.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

#include "litebox/event/timer_fd.hpp"
#include "litebox/fd/open_flags.hpp"
#include "litebox/platform/platform.hpp"
#include "shim/linux/guest_clock.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/timers.hpp"

namespace litebox::shim::linux_abi {

namespace {

using std::chrono::microseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// The pairs that setitimer(2) and timer_settime(2) take.
struct LinuxItimerval {
  LinuxTimeval interval;
  LinuxTimeval value;
};
struct LinuxItimerspec {
  LinuxTimespec interval;
  LinuxTimespec value;
};

// struct sigevent on x86-64: sigev_value, sigev_signo, sigev_notify, then a
// union whose first member is the thread id of SIGEV_THREAD_ID.
struct LinuxSigevent {
  uint64_t value;
  int32_t signal;
  int32_t notify;
  int32_t thread;
  int32_t padding[11];
};
static_assert(sizeof(LinuxSigevent) == 64);

enum IntervalTimer : int32_t {
  itimer_real = 0,
  itimer_virtual = 1,
  itimer_prof = 2,
};

enum SigeventNotify : int32_t {
  sigev_signal = 0,
  sigev_none = 1,
  sigev_thread = 2,
  sigev_thread_id = 4,
};

enum ClockId : int32_t {
  clock_realtime = 0,
  clock_monotonic = 1,
  clock_process_cputime = 2,
  clock_monotonic_raw = 4,
  clock_realtime_coarse = 5,
  clock_monotonic_coarse = 6,
  clock_boottime = 7,
  clock_realtime_alarm = 8,
  clock_boottime_alarm = 9,
};

constexpr uint32_t timer_absolute_time = 1;  // TIMER_ABSTIME

// timerfd_create(2) flags, which are O_CLOEXEC and O_NONBLOCK.
constexpr uint32_t timerfd_close_on_exec = fd::open_close_on_exec;
constexpr uint32_t timerfd_non_blocking = fd::open_non_blocking;
// timerfd_settime(2) flags: TFD_TIMER_ABSTIME is TIMER_ABSTIME.
constexpr uint32_t timerfd_timer_cancel_on_set = 2;
constexpr int64_t nanoseconds_per_second = 1'000'000'000;
constexpr int64_t microseconds_per_second = 1'000'000;

Result<nanoseconds> from_timeval(const LinuxTimeval& value) {
  if (value.seconds < 0 || value.microseconds < 0 ||
      value.microseconds >= microseconds_per_second) {
    return fail(Errno::einval);
  }
  return seconds(value.seconds) + microseconds(value.microseconds);
}

Result<nanoseconds> from_timespec(const LinuxTimespec& value) {
  if (value.seconds < 0 || value.nanoseconds < 0 || value.nanoseconds >= nanoseconds_per_second) {
    return fail(Errno::einval);
  }
  return seconds(value.seconds) + nanoseconds(value.nanoseconds);
}

// Linux truncates to whole microseconds, except that a pending expiry less
// than a microsecond away still reads as one microsecond.
LinuxTimeval to_timeval(nanoseconds value) {
  const auto whole_seconds = std::chrono::duration_cast<seconds>(value);
  auto rest = std::chrono::duration_cast<microseconds>(value - whole_seconds).count();
  if (value > nanoseconds(0) && whole_seconds.count() == 0 && rest == 0) {
    rest = 1;
  }
  return {whole_seconds.count(), rest};
}

LinuxItimerval to_itimerval(const TimerSetting& setting) {
  return {to_timeval(setting.interval), to_timeval(setting.value)};
}

// The timer id of ITIMER_REAL, ITIMER_VIRTUAL or ITIMER_PROF.
Result<int32_t> interval_timer_of(int32_t which) {
  if (which != itimer_real && which != itimer_virtual && which != itimer_prof) {
    return fail(Errno::einval);
  }
  return ProcessTimers::interval_timer_id(which);
}

Result<uint64_t> sys_getitimer(Task& task, const SyscallArguments& arguments) {
  const int32_t id = TRY(interval_timer_of(arguments.as_int(0)));
  TimerSetting setting = TRY(timers_of(task).get(id));
  TRY_VOID(GuestPtr<LinuxItimerval>(arguments[1]).write(to_itimerval(setting)));
  return 0;
}

Result<uint64_t> sys_setitimer(Task& task, const SyscallArguments& arguments) {
  const int32_t id = TRY(interval_timer_of(arguments.as_int(0)));

  // Linux takes a null new value as a zero one and disarms the timer.
  TimerSetting setting;
  if (arguments[1] != 0) {
    const auto requested = TRY(GuestPtr<LinuxItimerval>(arguments[1]).read());
    setting.value = TRY(from_timeval(requested.value));
    setting.interval = TRY(from_timeval(requested.interval));
  }

  TimerSetting previous = TRY(timers_of(task).set(id, setting));
  if (arguments[2] != 0) {
    TRY_VOID(GuestPtr<LinuxItimerval>(arguments[2]).write(to_itimerval(previous)));
  }
  return 0;
}

Result<uint64_t> sys_alarm(Task& task, const SyscallArguments& arguments) {
  TimerSetting setting;
  setting.value = seconds(arguments.as_uint(0));
  TimerSetting previous = TRY(timers_of(task).set(ProcessTimers::real_interval_timer, setting));

  // The seconds left on the old alarm, rounded to the nearest second, and
  // at least 1 while it was armed.
  const LinuxTimeval left = to_timeval(previous.value);
  uint64_t remaining = left.seconds;
  if (left.microseconds >= microseconds_per_second / 2 || (remaining == 0 && left.microseconds)) {
    remaining++;
  }
  return remaining;
}

// Returns what a timer on `clock` counts, for timer_create(2). A negative
// clock id names a CPU-time clock, which is how glibc passes
// CLOCK_PROCESS_CPUTIME_ID. Its bits are the complement of a pid (0 for the
// caller) shifted left by 3, a per-thread bit (4) and the kind (0: user and
// system, 1: user only, 2: scheduler time).
// TODO: timers on CLOCK_TAI, on thread CPU-time clocks and on the CPU-time
// clocks of other processes.
Result<TimerBase> timer_base_of(Task& task, int32_t clock) {
  if (clock < 0) {
    constexpr int32_t per_thread = 4;
    constexpr int32_t kind_mask = 3;
    constexpr int32_t user_time_kind = 1;
    const int32_t pid = ~(clock >> 3);
    if ((clock & per_thread) != 0 || (clock & kind_mask) == kind_mask ||
        (pid != 0 && pid != task.process().pid())) {
      return fail(Errno::einval);
    }
    return (clock & kind_mask) == user_time_kind ? TimerBase::process_user : TimerBase::process_cpu;
  }
  switch (clock) {
    case clock_realtime:
    case clock_monotonic:
    case clock_boottime:
      return TimerBase::elapsed;
    case clock_process_cputime:
      return TimerBase::process_cpu;
    // Linux has no timers on the raw and coarse clocks. The alarm clocks
    // need a wake-up device, which the sandbox lacks.
    case clock_monotonic_raw:
    case clock_realtime_coarse:
    case clock_monotonic_coarse:
    case clock_realtime_alarm:
    case clock_boottime_alarm:
      return fail(Errno::eopnotsupp);
    default:
      return fail(Errno::einval);
  }
}

bool thread_exists(Task& task, int32_t tid) {
  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  return process.find_task_locked(tid) != nullptr;
}

Result<TimerEvent> read_sigevent(Task& task, uint64_t address) {
  constexpr int alarm_signal = 14;  // SIGALRM
  TimerEvent event;
  if (address == 0) {
    event.signal = alarm_signal;
    return event;
  }

  const LinuxSigevent requested = TRY(GuestPtr<LinuxSigevent>(address).read());
  event.value = requested.value;
  event.signal = requested.signal;
  switch (requested.notify) {
    case sigev_none:
      event.kind = TimerEvent::Kind::none;
      return event;
    case sigev_signal:
      event.kind = TimerEvent::Kind::signal_process;
      break;
    case sigev_thread_id:
      if (!thread_exists(task, requested.thread)) {
        return fail(Errno::einval);
      }
      event.kind = TimerEvent::Kind::signal_thread;
      event.thread = requested.thread;
      break;
    case sigev_thread:  // glibc runs SIGEV_THREAD on top of SIGEV_THREAD_ID
    default:
      return fail(Errno::einval);
  }
  if (!is_valid_signal(event.signal)) {
    return fail(Errno::einval);
  }
  return event;
}

Result<uint64_t> sys_timer_create(Task& task, const SyscallArguments& arguments) {
  const int32_t clock = arguments.as_int(0);
  const TimerBase base = TRY(timer_base_of(task, clock));

  ProcessTimers& timers = timers_of(task);
  const int32_t id = timers.allocate_id();
  TimerEvent event = TRY(read_sigevent(task, arguments[1]));
  // With no sigevent, si_value carries the timer id.
  if (arguments[1] == 0) {
    event.value = static_cast<uint64_t>(id);
  }
  timers.create(id, clock, base, event);
  if (auto written = GuestPtr<int32_t>(arguments[2]).write(id); !written) {
    (void)timers.remove(id);
    return fail(written.error());
  }
  return 0;
}

Result<uint64_t> sys_timer_settime(Task& task, const SyscallArguments& arguments) {
  const int32_t id = arguments.as_int(0);
  const uint32_t flags = arguments.as_uint(1);
  const auto requested = TRY(GuestPtr<LinuxItimerspec>(arguments[2]).read());

  TimerSetting setting;
  setting.value = TRY(from_timespec(requested.value));
  setting.interval = TRY(from_timespec(requested.interval));
  ProcessTimers& timers = timers_of(task);
  if ((flags & timer_absolute_time) && setting.value > nanoseconds(0)) {
    // An absolute expiry becomes the time left from now on the timer's clock;
    // one in the past expires at once.
    const int32_t clock = TRY(timers.clock_of(id));
    nanoseconds now = guest_monotonic_now();
    if (clock == clock_process_cputime || clock < 0) {
      now = platform::current().clock.cpu_time(platform::UsageScope::process);
    } else if (clock == clock_realtime) {
      const platform::Timespec real = guest_realtime_now();
      now = seconds(real.seconds) + nanoseconds(real.nanoseconds);
    }
    setting.value = std::max(setting.value - now, nanoseconds(1));
  }

  TimerSetting previous = TRY(timers.set(id, setting));
  if (arguments[3] != 0) {
    const LinuxItimerspec old{to_timespec(previous.interval), to_timespec(previous.value)};
    TRY_VOID(GuestPtr<LinuxItimerspec>(arguments[3]).write(old));
  }
  return 0;
}

Result<uint64_t> sys_timer_gettime(Task& task, const SyscallArguments& arguments) {
  TimerSetting setting = TRY(timers_of(task).get(arguments.as_int(0)));
  const LinuxItimerspec current{to_timespec(setting.interval), to_timespec(setting.value)};
  TRY_VOID(GuestPtr<LinuxItimerspec>(arguments[1]).write(current));
  return 0;
}

Result<uint64_t> sys_timer_getoverrun(Task& task, const SyscallArguments& arguments) {
  return static_cast<uint64_t>(TRY(timers_of(task).overrun(arguments.as_int(0))));
}

Result<uint64_t> sys_timer_delete(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(timers_of(task).remove(arguments.as_int(0)));
  return 0;
}

// Returns the TimerFd behind `descriptor`: `ebadf` for a closed
// descriptor, `einval` for another kind of file.
Result<std::shared_ptr<event::TimerFd>> timerfd_of(Task& task, int32_t descriptor) {
  auto file = TRY(task.process().descriptors().get(descriptor));
  auto timer = std::dynamic_pointer_cast<event::TimerFd>(file);
  if (timer == nullptr) {
    return fail(Errno::einval);
  }
  return timer;
}

Result<uint64_t> sys_timerfd_create(Task& task, const SyscallArguments& arguments) {
  const int32_t clock = arguments.as_int(0);
  const uint32_t flags = arguments.as_uint(1);
  if (flags & ~(timerfd_close_on_exec | timerfd_non_blocking)) {
    return fail(Errno::einval);
  }
  switch (clock) {
    case clock_realtime:
    case clock_monotonic:
    case clock_boottime:
      break;
    // TODO: the alarm clocks need a wake-up device, which the sandbox lacks,
    // so they fail as for timer_create(2).
    case clock_realtime_alarm:
    case clock_boottime_alarm:
      return fail(Errno::eopnotsupp);
    default:
      return fail(Errno::einval);
  }

  const uint32_t file_flags = fd::open_read_write | (flags & timerfd_non_blocking);
  auto timer = std::make_shared<event::TimerFd>(clock, file_flags);
  const bool close_on_exec = (flags & timerfd_close_on_exec) != 0;
  return TRY(task.process().descriptors().allocate(std::move(timer), close_on_exec));
}

// The first expiry of `value` on the platform's monotonic clock, which
// TimerFd counts on; nothing for a zero value, which disarms the timer.
std::optional<nanoseconds> first_expiry_of(int32_t clock, nanoseconds value, bool absolute) {
  if (value == nanoseconds(0)) {
    return std::nullopt;
  }
  const nanoseconds now = platform::current().clock.monotonic_now();
  if (!absolute) {
    return now + value;
  }
  nanoseconds clock_now = guest_monotonic_now();
  if (clock == clock_realtime) {
    const platform::Timespec real = guest_realtime_now();
    clock_now = seconds(real.seconds) + nanoseconds(real.nanoseconds);
  }
  return now + (value - clock_now);
}

LinuxItimerspec to_itimerspec(const event::TimerFd::Setting& setting) {
  return {to_timespec(setting.interval), to_timespec(setting.value)};
}

Result<uint64_t> sys_timerfd_settime(Task& task, const SyscallArguments& arguments) {
  const int32_t descriptor = arguments.as_int(0);
  const uint32_t flags = arguments.as_uint(1);
  const auto requested = TRY(GuestPtr<LinuxItimerspec>(arguments[2]).read());
  if (flags & ~(timer_absolute_time | timerfd_timer_cancel_on_set)) {
    return fail(Errno::einval);
  }
  const nanoseconds value = TRY(from_timespec(requested.value));
  const nanoseconds interval = TRY(from_timespec(requested.interval));
  auto timer = TRY(timerfd_of(task, descriptor));

  // TODO: TFD_TIMER_CANCEL_ON_SET is accepted, but a read never fails with
  // ECANCELED: the guest cannot set the realtime clock, and changes of the
  // host's clock are not watched.
  const bool absolute = (flags & timer_absolute_time) != 0;
  const std::optional<nanoseconds> first_expiry = first_expiry_of(timer->clock(), value, absolute);
  const event::TimerFd::Setting previous = timer->set(first_expiry, interval, timers_of(task));
  timer->setting_flags = flags;
  if (arguments[3] != 0) {
    TRY_VOID(GuestPtr<LinuxItimerspec>(arguments[3]).write(to_itimerspec(previous)));
  }
  return 0;
}

Result<uint64_t> sys_timerfd_gettime(Task& task, const SyscallArguments& arguments) {
  auto timer = TRY(timerfd_of(task, arguments.as_int(0)));
  TRY_VOID(GuestPtr<LinuxItimerspec>(arguments[1]).write(to_itimerspec(timer->get())));
  return 0;
}

}  // namespace

void register_timer_syscalls(SyscallTable& table) {
  table.add(nr::getitimer, sys_getitimer);
  table.add(nr::setitimer, sys_setitimer);
  table.add(nr::alarm, sys_alarm);
  table.add(nr::timer_create, sys_timer_create);
  table.add(nr::timer_settime, sys_timer_settime);
  table.add(nr::timer_gettime, sys_timer_gettime);
  table.add(nr::timer_getoverrun, sys_timer_getoverrun);
  table.add(nr::timer_delete, sys_timer_delete);
  table.add(nr::timerfd_create, sys_timerfd_create);
  table.add(nr::timerfd_settime, sys_timerfd_settime);
  table.add(nr::timerfd_gettime, sys_timerfd_gettime);
}

}  // namespace litebox::shim::linux_abi
