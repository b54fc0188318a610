#include "litebox/event/timer_fd.hpp"

#include <cstring>

#include "litebox/fd/anonymous_inode.hpp"
#include "litebox/platform/platform.hpp"
#include "litebox/sync/deadline.hpp"

namespace litebox::event {

namespace {

using std::chrono::nanoseconds;

nanoseconds monotonic_now() { return platform::current().clock.monotonic_now(); }

}  // namespace

TimerFd::TimerFd(int32_t clock, uint32_t file_flags) : fd::File(file_flags), clock_(clock) {}

void TimerFd::count_expirations_locked(nanoseconds now) {
  if (!expiry_ || *expiry_ > now) {
    return;
  }
  if (interval_ <= nanoseconds(0)) {
    expirations_ += 1;
    expiry_.reset();
    return;
  }
  const int64_t missed = (now - *expiry_) / interval_;
  expirations_ += static_cast<uint64_t>(missed) + 1;
  *expiry_ += (missed + 1) * interval_;
}

TimerFd::Setting TimerFd::set(std::optional<nanoseconds> first_expiry, nanoseconds interval,
                              ExpiryScheduler& scheduler) {
  Setting previous;
  uint64_t generation = 0;
  {
    sync::LockGuard guard(lock_);
    const nanoseconds now = monotonic_now();
    count_expirations_locked(now);
    if (expiry_) {
      previous.value = *expiry_ - now;
    }
    previous.interval = interval_;

    expiry_ = first_expiry;
    interval_ = interval;
    expirations_ = 0;
    woken_ = false;
    generation = ++generation_;
  }
  expired_.wake_all();
  if (first_expiry) {
    scheduler.schedule(std::static_pointer_cast<TimerFd>(shared_from_this()), generation,
                       *first_expiry);
  }
  return previous;
}

TimerFd::Setting TimerFd::get() {
  sync::LockGuard guard(lock_);
  const nanoseconds now = monotonic_now();
  count_expirations_locked(now);
  Setting current;
  if (expiry_) {
    current.value = *expiry_ - now;
  }
  current.interval = interval_;
  return current;
}

uint64_t TimerFd::unread_expirations() {
  sync::LockGuard guard(lock_);
  count_expirations_locked(monotonic_now());
  return expirations_;
}

std::optional<nanoseconds> TimerFd::on_expiry(uint64_t generation) {
  std::optional<nanoseconds> next;
  bool expired = false;
  {
    sync::LockGuard guard(lock_);
    if (generation != generation_) {
      return std::nullopt;
    }
    count_expirations_locked(monotonic_now());
    // Like Linux, wake once per expiry after a read or setting, so an
    // edge-triggered epoll hears of a periodic timer again only after a read.
    expired = expirations_ > 0 && !woken_;
    woken_ = woken_ || expired;
    next = expiry_;
  }
  if (expired) {
    expired_.wake_all();
    pollable_.notify(pollin);
  }
  return next;
}

Result<size_t> TimerFd::read(std::span<std::byte> buffer) {
  if (buffer.size() < sizeof(uint64_t)) {
    return fail(Errno::einval);
  }

  uint64_t count = 0;
  {
    sync::LockGuard guard(lock_);
    auto has_expired = [&] {
      count_expirations_locked(monotonic_now());
      return expirations_ > 0;
    };
    while (!has_expired()) {
      if (flags() & fd::open_non_blocking) {
        return fail(Errno::eagain);
      }
      // The wait ends at the next expiry, or when set() changes the timer.
      const sync::Deadline deadline =
          expiry_ ? sync::Deadline::at(*expiry_) : sync::Deadline::never();
      auto waited = expired_.wait(lock_, has_expired, deadline);
      if (!waited && waited.error() != Errno::etimedout) {
        return fail(waited.error());
      }
    }
    count = expirations_;
    expirations_ = 0;
    woken_ = false;
  }

  std::memcpy(buffer.data(), &count, sizeof(count));
  return sizeof(count);
}

Result<fs::Stat> TimerFd::stat() { return fd::anonymous_inode_stat(); }

uint32_t TimerFd::poll_events() {
  sync::LockGuard guard(lock_);
  count_expirations_locked(monotonic_now());
  // Linux's timerfd_poll() reports POLLIN alone, without POLLRDNORM.
  return expirations_ > 0 ? uint32_t{pollin} : uint32_t{0};
}

}  // namespace litebox::event
