#include "shim/linux/timers.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "litebox/platform/platform.hpp"
#include "litebox/sync/deadline.hpp"
#include "shim/linux/process.hpp"
#include "shim/linux/signal/delivery.hpp"

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

SignalInfo signal_of(const Expiry& expiry) {
  if (expiry.id == ProcessTimers::real_interval_timer) {
    // Linux sends the interval timer's SIGALRM as the kernel, not as a timer.
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

int32_t ProcessTimers::allocate_id() {
  sync::LockGuard guard(lock_);
  return next_id_++;
}

void ProcessTimers::create(int32_t id, int32_t clock, const TimerEvent& event) {
  sync::LockGuard guard(lock_);
  timers_[id] = Timer{.event = event, .clock = clock};
}

Result<int32_t> ProcessTimers::clock_of(int32_t id) {
  sync::LockGuard guard(lock_);
  auto found = timers_.find(id);
  if (id == real_interval_timer || found == timers_.end()) {
    return fail(Errno::einval);
  }
  return found->second.clock;
}

Result<void> ProcessTimers::remove(int32_t id) {
  discard_pending_signal(id);
  sync::LockGuard guard(lock_);
  if (id == real_interval_timer || timers_.erase(id) == 0) {
    return fail(Errno::einval);
  }
  return {};
}

void ProcessTimers::remove_posix_timers() {
  sync::LockGuard guard(lock_);
  std::erase_if(timers_, [](const auto& entry) { return entry.first != real_interval_timer; });
}

Result<TimerSetting> ProcessTimers::set(int32_t id, TimerSetting setting) {
  discard_pending_signal(id);
  const nanoseconds now = platform::current().clock.monotonic_now();

  sync::LockGuard guard(lock_);
  if (id == real_interval_timer && !timers_.contains(id)) {
    constexpr int alarm_signal = 14;  // SIGALRM
    timers_[id] =
        Timer{.event = {.kind = TimerEvent::Kind::signal_process, .signal = alarm_signal}};
  }
  auto found = timers_.find(id);
  if (found == timers_.end()) {
    return fail(Errno::einval);
  }

  Timer& timer = found->second;
  const TimerSetting previous = setting_locked(timer, now);
  timer.expiry = setting.value > nanoseconds(0) ? now + setting.value : nanoseconds(0);
  timer.interval = setting.interval;
  timer.overrun = 0;
  if (timer.expiry != nanoseconds(0)) {
    TRY_VOID(start_thread_locked());
  }
  changed_.notify_all();
  return previous;
}

void ProcessTimers::discard_pending_signal(int32_t id) {
  if (id == real_interval_timer) {
    return;
  }
  // NOTE: a signal of the old setting that the expiry thread queues between
  // this and the change of the timer still arrives.
  if (std::shared_ptr<Process> process = process_.lock(); process != nullptr) {
    discard_timer_signal(*process, id);
  }
}

Result<TimerSetting> ProcessTimers::get(int32_t id) {
  const nanoseconds now = platform::current().clock.monotonic_now();
  sync::LockGuard guard(lock_);
  auto found = timers_.find(id);
  if (found == timers_.end()) {
    if (id == real_interval_timer) {
      return TimerSetting{};
    }
    return fail(Errno::einval);
  }
  return setting_locked(found->second, now);
}

Result<int32_t> ProcessTimers::overrun(int32_t id) {
  sync::LockGuard guard(lock_);
  auto found = timers_.find(id);
  if (id == real_interval_timer || found == timers_.end()) {
    return fail(Errno::einval);
  }
  return found->second.overrun;
}

TimerSetting ProcessTimers::setting_locked(const Timer& timer, nanoseconds now) const {
  if (timer.expiry == nanoseconds(0)) {
    return {.value = nanoseconds(0), .interval = timer.interval};
  }
  // An armed timer whose expiry the thread has not handled yet still
  // reports a little time left, as Linux does, so it does not read as
  // disarmed.
  const nanoseconds left = std::max(timer.expiry - now, nanoseconds(1));
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

void ProcessTimers::serve_expiries() {
  platform::Clock& clock = platform::current().clock;
  lock_.lock();
  while (true) {
    const nanoseconds now = clock.monotonic_now();
    std::vector<Expiry> due;
    std::optional<nanoseconds> earliest;

    for (auto& [id, timer] : timers_) {
      if (timer.expiry == nanoseconds(0)) {
        continue;
      }
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
        timer.overrun = static_cast<int32_t>(std::min(missed, overrun_limit));
        if (timer.event.kind != TimerEvent::Kind::none) {
          due.push_back({id, timer.event, timer.overrun});
        }
      }
      if (timer.expiry != nanoseconds(0) && (!earliest || timer.expiry < *earliest)) {
        earliest = timer.expiry;
      }
    }

    if (!due.empty()) {
      lock_.unlock();
      std::shared_ptr<Process> process = process_.lock();
      if (process == nullptr) {
        return;
      }
      std::vector<int32_t> overruns;
      for (const Expiry& expiry : due) {
        const int32_t thread =
            expiry.event.kind == TimerEvent::Kind::signal_thread ? expiry.event.thread : 0;
        overruns.push_back(send_timer_signal(*process, thread, signal_of(expiry)));
      }

      // timer_getoverrun(2) reports the overruns of the signal that is
      // queued, which may have absorbed earlier expiries.
      lock_.lock();
      for (size_t index = 0; index < due.size(); index++) {
        if (auto found = timers_.find(due[index].id); found != timers_.end()) {
          found->second.overrun = overruns[index];
        }
      }
      continue;
    }

    const sync::Deadline deadline =
        earliest ? sync::Deadline::at(*earliest) : sync::Deadline::never();
    (void)changed_.wait(lock_, deadline);
  }
}

}  // namespace litebox::shim::linux_abi
