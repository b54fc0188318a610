#include "shim/linux/timers.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "litebox/platform/platform.hpp"
#include "litebox/sync/deadline.hpp"
#include "shim/linux/process.hpp"
#include "shim/linux/signal/delivery.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

namespace {

using std::chrono::nanoseconds;

// Overruns saturate at DELAYTIMER_MAX, which is INT_MAX on Linux.
constexpr int64_t overrun_limit = 0x7fff'ffff;

// One expiry to report once the timer lock is released.
struct Expiry {
  int32_t id;
  TimerEvent event;
  int32_t overrun;
};

// The current value of what `base` measures.
nanoseconds now_in(TimerBase base) {
  platform::Clock& clock = platform::current().clock;
  switch (base) {
    case TimerBase::process_cpu:
      return clock.cpu_time(platform::UsageScope::process);
    case TimerBase::process_user:
      return clock.resource_usage(platform::UsageScope::process).user_time;
    case TimerBase::elapsed:
    default:
      return clock.monotonic_now();
  }
}

SignalInfo signal_of(const Expiry& expiry) {
  if (ProcessTimers::is_interval_timer(expiry.id)) {
    // Linux sends the interval timers' signals as the kernel, not as timers.
    SignalInfo info;
    info.signo = expiry.event.signal;
    info.code = si::kernel;
    return info;
  }
  SignalInfo info = SignalInfo::from_timer(expiry.event.signal, expiry.id, expiry.event.value);
  info.set_timer_overrun(expiry.overrun);
  return info;
}

}  // namespace

// The interval timer `id` on first use: its signal and what it counts.
ProcessTimers::Timer ProcessTimers::interval_timer(int32_t id) {
  constexpr int alarm_signal = 14;          // SIGALRM
  constexpr int virtual_alarm_signal = 26;  // SIGVTALRM
  constexpr int profiling_signal = 27;      // SIGPROF
  Timer timer;
  timer.event.kind = TimerEvent::Kind::signal_process;
  if (id == interval_timer_id(1)) {
    timer.event.signal = virtual_alarm_signal;
    timer.base = TimerBase::process_user;
  } else if (id == interval_timer_id(2)) {
    timer.event.signal = profiling_signal;
    timer.base = TimerBase::process_cpu;
  } else {
    timer.event.signal = alarm_signal;
  }
  return timer;
}

int32_t ProcessTimers::allocate_id() {
  sync::LockGuard guard(lock_);
  return next_id_++;
}

void ProcessTimers::create(int32_t id, int32_t clock, TimerBase base, const TimerEvent& event) {
  sync::LockGuard guard(lock_);
  timers_[id] = Timer{.event = event, .clock = clock, .base = base};
}

Result<int32_t> ProcessTimers::clock_of(int32_t id) {
  sync::LockGuard guard(lock_);
  auto found = timers_.find(id);
  if (is_interval_timer(id) || found == timers_.end()) {
    return fail(Errno::einval);
  }
  return found->second.clock;
}

Result<void> ProcessTimers::remove(int32_t id) {
  discard_pending_signal(id);
  sync::LockGuard guard(lock_);
  if (is_interval_timer(id) || timers_.erase(id) == 0) {
    return fail(Errno::einval);
  }
  return {};
}

void ProcessTimers::remove_posix_timers() {
  sync::LockGuard guard(lock_);
  std::erase_if(timers_, [](const auto& entry) { return !is_interval_timer(entry.first); });
}

Result<TimerSetting> ProcessTimers::set(int32_t id, TimerSetting setting) {
  discard_pending_signal(id);

  sync::LockGuard guard(lock_);
  if (is_interval_timer(id) && !timers_.contains(id)) {
    timers_[id] = interval_timer(id);
  }
  auto found = timers_.find(id);
  if (found == timers_.end()) {
    return fail(Errno::einval);
  }

  Timer& timer = found->second;
  const TimerSetting previous = setting_locked(timer);
  timer.expiry =
      setting.value > nanoseconds(0) ? now_in(timer.base) + setting.value : nanoseconds(0);
  timer.interval = setting.interval;
  timer.overrun = 0;
  if (timer.expiry != nanoseconds(0)) {
    TRY_VOID(start_thread_locked());
  }
  changed_.notify_all();
  return previous;
}

Result<void> ProcessTimers::limit_cpu_time(uint64_t soft_seconds, uint64_t hard_seconds) {
  constexpr int cpu_limit_signal = 24;  // SIGXCPU
  constexpr int kill_signal = 9;        // SIGKILL
  // The limits count the process's CPU time since it started, so the
  // expiries are that time itself. A limit of 0 expires at once, but an
  // expiry of 0 means disarmed, so it becomes 1 ns.
  auto expiry_of = [](uint64_t seconds) {
    constexpr uint64_t max_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(nanoseconds::max()).count();
    return std::max(nanoseconds(std::chrono::seconds(std::min(seconds, max_seconds))),
                    nanoseconds(1));
  };

  sync::LockGuard guard(lock_);
  timers_.erase(cpu_soft_limit_timer);
  timers_.erase(cpu_hard_limit_timer);
  if (soft_seconds == rlimit_infinity) {
    changed_.notify_all();
    return {};
  }
  Timer soft;
  soft.event.signal = cpu_limit_signal;
  soft.base = TimerBase::process_cpu;
  soft.expiry = expiry_of(soft_seconds);
  // NOTE: Linux also raises the soft limit by a second at each SIGXCPU,
  // which getrlimit(2) shows; the stored limit stays as set.
  soft.interval = std::chrono::seconds(1);
  timers_[cpu_soft_limit_timer] = soft;
  if (hard_seconds != rlimit_infinity) {
    Timer hard;
    hard.event.signal = kill_signal;
    hard.base = TimerBase::process_cpu;
    hard.expiry = expiry_of(hard_seconds);
    timers_[cpu_hard_limit_timer] = hard;
  }
  TRY_VOID(start_thread_locked());
  changed_.notify_all();
  return {};
}

ProcessTimers& timers_of(Task& task) {
  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  if (process.timers == nullptr) {
    process.timers = std::make_shared<ProcessTimers>(task.shared_process());
  }
  return *process.timers;
}

void ProcessTimers::discard_pending_signal(int32_t id) {
  if (is_interval_timer(id)) {
    return;
  }
  // NOTE: a signal of the old setting that the expiry thread queues between
  // this and the change of the timer still arrives.
  if (std::shared_ptr<Process> process = process_.lock(); process != nullptr) {
    discard_timer_signal(*process, id);
  }
}

Result<TimerSetting> ProcessTimers::get(int32_t id) {
  sync::LockGuard guard(lock_);
  auto found = timers_.find(id);
  if (found == timers_.end()) {
    if (is_interval_timer(id)) {
      return TimerSetting{};
    }
    return fail(Errno::einval);
  }
  return setting_locked(found->second);
}

Result<int32_t> ProcessTimers::overrun(int32_t id) {
  sync::LockGuard guard(lock_);
  auto found = timers_.find(id);
  if (is_interval_timer(id) || found == timers_.end()) {
    return fail(Errno::einval);
  }
  return found->second.overrun;
}

void ProcessTimers::note_delivered(int32_t id, int32_t overrun) {
  sync::LockGuard guard(lock_);
  if (auto found = timers_.find(id); found != timers_.end()) {
    found->second.overrun = overrun;
  }
}

void ProcessTimers::schedule(std::weak_ptr<event::TimerFd> timer, uint64_t generation,
                             nanoseconds monotonic_time) {
  sync::LockGuard guard(lock_);
  file_wakeups_.emplace(monotonic_time, FileWakeup{std::move(timer), generation});
  // NOTE: without the thread, readers of the timerfd still wake at each
  // expiry, but pollers do not.
  (void)start_thread_locked();
  changed_.notify_all();
}

TimerSetting ProcessTimers::setting_locked(const Timer& timer) const {
  if (timer.expiry == nanoseconds(0)) {
    return {.value = nanoseconds(0), .interval = timer.interval};
  }
  // An armed timer whose expiry the thread has not handled yet still
  // reports a little time left, as Linux does, so it does not read as
  // disarmed.
  const nanoseconds left = std::max(timer.expiry - now_in(timer.base), nanoseconds(1));
  return {.value = left, .interval = timer.interval};
}

Result<void> ProcessTimers::start_thread_locked() {
  if (thread_started_) {
    return {};
  }
  // The thread owns a reference, so the timers outlive any expiry it is
  // handling; it drops the reference when the process is gone.
  // NOTE: a process that exits while its timer thread sleeps leaves this
  // object on the shared kernel heap, because its host process ends first.
  auto* reference = new std::shared_ptr<ProcessTimers>(shared_from_this());
  auto spawned = platform::current().threads.spawn(run_expiry_thread, reference);
  if (!spawned) {
    delete reference;
    return fail(Errno::eagain);
  }
  thread_started_ = true;
  return {};
}

void ProcessTimers::run_expiry_thread(void* argument) {
  auto* reference = static_cast<std::shared_ptr<ProcessTimers>*>(argument);
  (*reference)->serve_expiries();
  delete reference;
}

void ProcessTimers::wake_timer_files(const std::vector<FileWakeup>& wakeups) {
  for (const FileWakeup& wakeup : wakeups) {
    std::shared_ptr<event::TimerFd> timer = wakeup.timer.lock();
    if (timer == nullptr) {
      continue;
    }
    if (std::optional<nanoseconds> next = timer->on_expiry(wakeup.generation)) {
      sync::LockGuard guard(lock_);
      file_wakeups_.emplace(*next, wakeup);
    }
  }
}

void ProcessTimers::serve_expiries() {
  // The thread polls CPU-time timers: it wakes when the process could have
  // used up the time left at full speed on every thread, then checks again.
  constexpr nanoseconds shortest_cpu_poll = std::chrono::milliseconds(1);
  platform::Clock& clock = platform::current().clock;
  lock_.lock();
  while (true) {
    const nanoseconds wall_now = clock.monotonic_now();
    std::vector<Expiry> due;
    std::optional<nanoseconds> earliest;
    int64_t threads = 1;
    if (std::shared_ptr<Process> process = process_.lock(); process != nullptr) {
      threads = std::max<int64_t>(process->live_threads.load(), 1);
    }

    for (auto& [id, timer] : timers_) {
      if (timer.expiry == nanoseconds(0)) {
        continue;
      }
      const nanoseconds now = timer.base == TimerBase::elapsed ? wall_now : now_in(timer.base);
      if (timer.expiry <= now) {
        // A periodic timer that expired several times since the thread last
        // ran fires once, and the expiries in between count as overruns.
        int64_t missed = 0;
        if (timer.interval > nanoseconds(0)) {
          missed = (now - timer.expiry) / timer.interval;
          timer.expiry += (missed + 1) * timer.interval;
        } else {
          timer.expiry = nanoseconds(0);
        }
        if (timer.event.kind != TimerEvent::Kind::none) {
          due.push_back({id, timer.event, static_cast<int32_t>(std::min(missed, overrun_limit))});
        }
      }
      if (timer.expiry == nanoseconds(0)) {
        continue;
      }
      nanoseconds wake = timer.expiry;
      if (timer.base != TimerBase::elapsed) {
        wake = wall_now + std::max((timer.expiry - now) / threads, shortest_cpu_poll);
      }
      if (!earliest || wake < *earliest) {
        earliest = wake;
      }
    }

    std::vector<FileWakeup> due_wakeups;
    while (!file_wakeups_.empty() && file_wakeups_.begin()->first <= wall_now) {
      due_wakeups.push_back(std::move(file_wakeups_.begin()->second));
      file_wakeups_.erase(file_wakeups_.begin());
    }
    if (!file_wakeups_.empty() && (!earliest || file_wakeups_.begin()->first < *earliest)) {
      earliest = file_wakeups_.begin()->first;
    }
    if (!due.empty() || !due_wakeups.empty()) {
      lock_.unlock();
      wake_timer_files(due_wakeups);
      std::shared_ptr<Process> process = process_.lock();
      if (process == nullptr) {
        return;
      }
      for (const Expiry& expiry : due) {
        const int32_t thread =
            expiry.event.kind == TimerEvent::Kind::signal_thread ? expiry.event.thread : 0;
        (void)send_timer_signal(*process, thread, signal_of(expiry));
      }
      lock_.lock();
      continue;
    }

    const sync::Deadline deadline =
        earliest ? sync::Deadline::at(*earliest) : sync::Deadline::never();
    (void)changed_.wait(lock_, deadline);
  }
}

}  // namespace litebox::shim::linux_abi
