// TimerFd on the mock platform, whose clock moves only when a test advances
// it: expiration counts, settings, readiness and the wake-ups that the
// expiry scheduler drives.
#include "litebox/event/timer_fd.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "litebox/fd/open_flags.hpp"
#include "litebox/platform/platform.hpp"
#include "test_platform.hpp"

namespace litebox::event {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// Records what TimerFd::set() schedules.
class RecordingScheduler final : public ExpiryScheduler {
 public:
  void schedule(std::weak_ptr<TimerFd>, uint64_t generation, nanoseconds monotonic_time) override {
    scheduled.push_back({generation, monotonic_time});
  }

  struct Entry {
    uint64_t generation;
    nanoseconds time;
  };
  std::vector<Entry> scheduled;
};

class CountingObserver final : public Observer {
 public:
  void notify(uint32_t) override { ++notifications; }
  int notifications = 0;
};

nanoseconds now() { return platform::current().clock.monotonic_now(); }

void advance(nanoseconds duration) { litebox::testing::mock_platform().advance(duration); }

std::shared_ptr<TimerFd> make_timer() {
  return std::make_shared<TimerFd>(1, fd::open_read_write | fd::open_non_blocking);
}

// Reads the expiration count, or returns the negated errno.
int64_t read_count(TimerFd& timer) {
  uint64_t count = 0;
  auto result = timer.read(std::as_writable_bytes(std::span(&count, 1)));
  if (!result) {
    return -errno_value(result.error());
  }
  EXPECT_EQ(*result, sizeof(count));
  return static_cast<int64_t>(count);
}

TEST(TimerFd, DisarmedTimerIsNotReadable) {
  auto timer = make_timer();
  EXPECT_EQ(read_count(*timer), -errno_value(Errno::eagain));
  EXPECT_EQ(timer->poll_events(), 0u);
  EXPECT_EQ(timer->get().value, nanoseconds(0));
  EXPECT_EQ(timer->get().interval, nanoseconds(0));
}

TEST(TimerFd, ShortBufferIsInvalid) {
  auto timer = make_timer();
  std::array<std::byte, 4> buffer{};
  auto result = timer->read(buffer);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), Errno::einval);
}

TEST(TimerFd, OneShotExpiresOnce) {
  auto timer = make_timer();
  RecordingScheduler scheduler;
  const nanoseconds expiry = now() + milliseconds(10);
  timer->set(expiry, nanoseconds(0), scheduler);
  ASSERT_EQ(scheduler.scheduled.size(), 1u);
  EXPECT_EQ(scheduler.scheduled[0].time, expiry);
  EXPECT_EQ(timer->get().value, milliseconds(10));

  advance(milliseconds(9));
  EXPECT_EQ(timer->poll_events(), 0u);
  advance(milliseconds(1));
  EXPECT_EQ(timer->poll_events(), uint32_t{pollin});
  EXPECT_EQ(read_count(*timer), 1);
  EXPECT_EQ(read_count(*timer), -errno_value(Errno::eagain));
  EXPECT_EQ(timer->get().value, nanoseconds(0));
}

TEST(TimerFd, PeriodicCountsEveryPeriod) {
  auto timer = make_timer();
  RecordingScheduler scheduler;
  timer->set(now() + milliseconds(5), milliseconds(5), scheduler);
  advance(milliseconds(23));
  EXPECT_EQ(read_count(*timer), 4);
  EXPECT_EQ(timer->get().value, milliseconds(2));
  EXPECT_EQ(timer->get().interval, milliseconds(5));
}

TEST(TimerFd, ExpiryInThePastCountsMissedPeriods) {
  auto timer = make_timer();
  RecordingScheduler scheduler;
  advance(milliseconds(1000));
  timer->set(now() - milliseconds(100), milliseconds(30), scheduler);
  EXPECT_EQ(read_count(*timer), 4);
}

TEST(TimerFd, SetReturnsPreviousAndResetsCount) {
  auto timer = make_timer();
  RecordingScheduler scheduler;
  timer->set(now() + milliseconds(5), milliseconds(5), scheduler);
  advance(milliseconds(12));
  TimerFd::Setting previous = timer->set(std::nullopt, nanoseconds(0), scheduler);
  EXPECT_EQ(previous.value, milliseconds(3));
  EXPECT_EQ(previous.interval, milliseconds(5));
  EXPECT_EQ(read_count(*timer), -errno_value(Errno::eagain));
  EXPECT_EQ(scheduler.scheduled.size(), 1u);
}

TEST(TimerFd, OnExpiryWakesOncePerRead) {
  auto timer = make_timer();
  RecordingScheduler scheduler;
  CountingObserver observer;
  timer->pollable()->add_observer(observer);
  timer->set(now() + milliseconds(5), milliseconds(5), scheduler);
  const uint64_t generation = scheduler.scheduled.at(0).generation;

  advance(milliseconds(5));
  EXPECT_EQ(timer->on_expiry(generation), now() + milliseconds(5));
  EXPECT_EQ(observer.notifications, 1);
  advance(milliseconds(5));
  EXPECT_EQ(timer->on_expiry(generation), now() + milliseconds(5));
  EXPECT_EQ(observer.notifications, 1);

  EXPECT_EQ(read_count(*timer), 2);
  advance(milliseconds(5));
  timer->on_expiry(generation);
  EXPECT_EQ(observer.notifications, 2);
  timer->pollable()->remove_observer(observer);
}

TEST(TimerFd, OnExpiryOfOldSettingDoesNothing) {
  auto timer = make_timer();
  RecordingScheduler scheduler;
  timer->set(now() + milliseconds(5), milliseconds(5), scheduler);
  timer->set(now() + milliseconds(50), nanoseconds(0), scheduler);
  ASSERT_EQ(scheduler.scheduled.size(), 2u);
  advance(milliseconds(5));
  EXPECT_EQ(timer->on_expiry(scheduler.scheduled[0].generation), std::nullopt);
  EXPECT_EQ(timer->on_expiry(scheduler.scheduled[1].generation), now() + milliseconds(45));
}

}  // namespace
}  // namespace litebox::event
