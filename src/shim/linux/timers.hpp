// The timers of one guest process: the interval timers of setitimer(2) and
// alarm(2), POSIX per-process timers (timer_create(2)), and the wake-ups of
// the timerfds that the process armed, fired by one libOS host thread that
// sleeps until the next expiry.
//
// A guest process is a host process, so the expiry thread lives and dies
// with it. fork(2) starts the child without timers, as Linux does, and
// execve(2) keeps the interval timer but deletes the POSIX timers.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "litebox/event/timer_fd.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/condition_variable.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::shim::linux_abi {

class Process;

// The time to a timer's next expiry (zero: disarmed) and its period (zero:
// it fires once), as struct itimerspec and struct itimerval hold them.
struct TimerSetting {
  std::chrono::nanoseconds value{0};
  std::chrono::nanoseconds interval{0};
};

// The notification of an expiry, from struct sigevent.
struct TimerEvent {
  enum class Kind { signal_process, signal_thread, none };
  Kind kind = Kind::signal_process;
  int signal = 0;
  int32_t thread = 0;  // SIGEV_THREAD_ID: the thread that takes the signal
  uint64_t value = 0;  // sigev_value, passed on as si_value
};

// The quantity a timer counts: elapsed time, the process's user and system
// CPU time (CLOCK_PROCESS_CPUTIME_ID, ITIMER_PROF), or its user CPU time
// alone (ITIMER_VIRTUAL).
enum class TimerBase { elapsed, process_cpu, process_user };

class ProcessTimers : public std::enable_shared_from_this<ProcessTimers>,
                      public event::ExpiryScheduler {
 public:
  // The ids of the interval timers, ITIMER_REAL (0), ITIMER_VIRTUAL (1)
  // and ITIMER_PROF (2), are negative; POSIX timer ids start at 0.
  static constexpr int32_t interval_timer_id(int32_t which) { return -1 - which; }
  static constexpr bool is_interval_timer(int32_t id) { return id < 0; }
  static constexpr int32_t real_interval_timer = -1;
  // The RLIMIT_CPU timers take the ids after the interval timers', as if
  // they were interval timers 3 and 4.
  static constexpr int32_t cpu_soft_limit_timer = -1 - 3;
  static constexpr int32_t cpu_hard_limit_timer = -1 - 4;

  explicit ProcessTimers(std::weak_ptr<Process> process) : process_(std::move(process)) {}

  // Takes the id for a new POSIX timer. Ids count up from 0 and are not
  // reused, and Linux takes one before it checks the sigevent, so a failed
  // timer_create(2) uses one up as well.
  int32_t allocate_id();

  // Creates the disarmed POSIX timer `id` on `clock`, which counts `base`.
  void create(int32_t id, int32_t clock, TimerBase base, const TimerEvent& event);

  // The clock a POSIX timer was created on: `einval` for an unknown id.
  Result<int32_t> clock_of(int32_t id);

  // Deletes a POSIX timer: `einval` for an unknown id.
  Result<void> remove(int32_t id);

  // Deletes every POSIX timer, as execve(2) does.
  void remove_posix_timers();

  // Arms timer `id` (or disarms it, with a zero value) and returns its old
  // setting. The interval timers exist from their first use. `einval` for
  // an unknown POSIX timer id.
  Result<TimerSetting> set(int32_t id, TimerSetting setting);

  // The current setting of timer `id`.
  Result<TimerSetting> get(int32_t id);

  // Enforces RLIMIT_CPU, in seconds of the process's CPU time: SIGXCPU
  // once the soft limit is used up and every second after it, SIGKILL at
  // the hard limit. Linux checks the hard limit only while the soft one is
  // finite, and so does this. `rlimit_infinity` means no limit.
  Result<void> limit_cpu_time(uint64_t soft_seconds, uint64_t hard_seconds);

  // The expiries folded into the last signal of the timer that a thread
  // took, as timer_getoverrun(2) reports them (Linux's it_overrun_last).
  Result<int32_t> overrun(int32_t id);

  // Records that a thread took a signal of POSIX timer `id` carrying
  // `overrun` in its si_overrun. Callers may hold the process lock.
  void note_delivered(int32_t id, int32_t overrun);

  // Calls timer->on_expiry(generation) from the expiry thread at
  // `monotonic_time`, and again at each next expiry that it returns.
  // NOTE: the wake-ups end with this process, so pollers of a timerfd in
  // other processes then see its expirations only when they poll again.
  void schedule(std::weak_ptr<event::TimerFd> timer, uint64_t generation,
                std::chrono::nanoseconds monotonic_time) override;

 private:
  struct FileWakeup {
    std::weak_ptr<event::TimerFd> timer;
    uint64_t generation = 0;
  };

  struct Timer {
    TimerEvent event;
    int32_t clock = 0;
    TimerBase base = TimerBase::elapsed;
    // On the monotonic clock, or the process CPU time for the CPU bases;
    // 0: disarmed.
    std::chrono::nanoseconds expiry{0};
    std::chrono::nanoseconds interval{0};
    // si_overrun of the timer's last signal that a thread took; 0 after
    // timer_settime(2).
    int32_t overrun = 0;
  };

  static Timer interval_timer(int32_t id);
  static void run_expiry_thread(void* argument);
  void discard_pending_signal(int32_t id);
  void serve_expiries();
  // Calls on_expiry() of each timerfd in `wakeups` and schedules its next
  // expiry. Takes the lock itself.
  void wake_timer_files(const std::vector<FileWakeup>& wakeups);
  Result<void> start_thread_locked();
  TimerSetting setting_locked(const Timer& timer) const;

  std::weak_ptr<Process> process_;
  sync::Mutex lock_;
  sync::ConditionVariable changed_;
  std::map<int32_t, Timer> timers_;
  // Timerfd wake-ups by monotonic time.
  std::multimap<std::chrono::nanoseconds, FileWakeup> file_wakeups_;
  int32_t next_id_ = 0;
  bool thread_started_ = false;
};

class Task;

// The timers of the process of `task`, made on first use.
ProcessTimers& timers_of(Task& task);

}  // namespace litebox::shim::linux_abi
