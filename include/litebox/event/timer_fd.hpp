// TimerFd: the kernel object behind timerfd_create(2), a timer whose
// expirations a read returns as an 8-byte count.
//
// It follows Linux. A read of fewer than 8 bytes fails with EINVAL. A read
// blocks until the timer has expired at least once, then returns the
// expirations since the last read or setting and resets the count;
// O_NONBLOCK turns the wait into EAGAIN. Setting the timer resets the
// count. The file is readable (POLLIN) while the count is above zero.
//
// Expirations are counted from the clock when the file is read, polled or
// read through get(), so the count is exact without a thread. Waking
// pollers at an expiry needs one: an ExpiryScheduler calls on_expiry() at
// the times that set() hands it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/file.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/sync/wait_queue.hpp"

namespace litebox::event {

class TimerFd;

// Calls TimerFd::on_expiry() at points of the platform's monotonic clock,
// with the generation that set() passed, from a thread of its own.
class ExpiryScheduler {
 public:
  virtual ~ExpiryScheduler() = default;
  virtual void schedule(std::weak_ptr<TimerFd> timer, uint64_t generation,
                        std::chrono::nanoseconds monotonic_time) = 0;
};

class TimerFd final : public fd::File {
 public:
  // The time to the next expiry (zero: disarmed) and the period (zero: one
  // expiry), as struct itimerspec contains them.
  struct Setting {
    std::chrono::nanoseconds value{0};
    std::chrono::nanoseconds interval{0};
  };

  // `clock` is the guest's clock id, kept for the caller; the file measures
  // time on the platform's monotonic clock.
  TimerFd(int32_t clock, uint32_t file_flags);

  int32_t clock() const { return clock_; }

  // Arms the timer to expire first at `first_expiry` on the platform's
  // monotonic clock, which may have passed already, and then every
  // `interval`, or disarms it when `first_expiry` is empty. Resets the
  // expiration count and returns the previous setting. `scheduler` learns
  // the first expiry, so it can wake pollers.
  Setting set(std::optional<std::chrono::nanoseconds> first_expiry,
              std::chrono::nanoseconds interval, ExpiryScheduler& scheduler);

  // The current setting; an expired timer without a period reads as
  // disarmed.
  Setting get();

  // Counts the expirations up to now and returns those that no read has
  // consumed yet.
  uint64_t unread_expirations();

  // The flags of the guest's last setting call, kept uninterpreted for the
  // shim to report (timerfd's "settime flags" in /proc/<pid>/fdinfo).
  std::atomic<uint32_t> setting_flags{0};

  // Counts the expirations up to now and wakes readers and pollers at the
  // first expiration since the last read or set(). Returns the time of the
  // next expiry for the scheduler, or nothing when the timer is disarmed or
  // `generation` belongs to an older setting.
  std::optional<std::chrono::nanoseconds> on_expiry(uint64_t generation);

  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<fs::Stat> stat() override;
  std::string anonymous_name() override { return "anon_inode:[timerfd]"; }
  uint32_t poll_events() override;
  event::Pollable* pollable() override { return &pollable_; }

 private:
  // Adds the expirations up to `now` to the count and moves the next
  // expiry past `now` (or disarms a timer without a period).
  void count_expirations_locked(std::chrono::nanoseconds now);

  const int32_t clock_;
  sync::Mutex lock_;
  // Guarded by lock_. The next expiry on the monotonic clock, or empty.
  std::optional<std::chrono::nanoseconds> expiry_;
  std::chrono::nanoseconds interval_{0};
  uint64_t expirations_ = 0;
  // Whether on_expiry() has woken waiters since the last read or set().
  bool woken_ = false;
  // Counts set() calls, so the scheduler drops wake-ups of old settings.
  uint64_t generation_ = 0;
  sync::WaitQueue expired_;  // readers that wait for an expiration
  event::Pollable pollable_;
};

}  // namespace litebox::event
