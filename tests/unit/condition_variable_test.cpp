#include "litebox/sync/condition_variable.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "test_platform.hpp"
#include "test_threads.hpp"

namespace litebox::sync {
namespace {

using litebox::testing::await_sleepers;
using litebox::testing::mock_platform;
using litebox::testing::TestThread;
using namespace std::chrono_literals;

TEST(ConditionVariable, NotifyWakesWaiter) {
  Mutex mutex;
  ConditionVariable condition;
  bool ready = false;
  Result<void> outcome = fail(Errno::eio);

  TestThread waiter([&] {
    LockGuard guard(mutex);
    while (!ready) {
      outcome = condition.wait(mutex);
      if (!outcome) {
        return;
      }
    }
  });
  await_sleepers(1);

  {
    LockGuard guard(mutex);
    ready = true;
  }
  condition.notify_one();

  ASSERT_TRUE(waiter.join_within());
  EXPECT_TRUE(outcome.has_value());
}

TEST(ConditionVariable, TimesOutWhenClockAdvances) {
  Mutex mutex;
  ConditionVariable condition;
  Result<void> outcome;

  TestThread waiter([&] {
    LockGuard guard(mutex);
    outcome = condition.wait(mutex, Deadline::after(100ms));
  });
  await_sleepers(1);
  mock_platform().advance(100ms);

  ASSERT_TRUE(waiter.join_within());
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error(), Errno::etimedout);
  // wait() takes the mutex back before returning, so the waiter released it.
  EXPECT_TRUE(mutex.try_lock());
  mutex.unlock();
}

TEST(ConditionVariable, PassedDeadlineReturnsAtOnce) {
  Mutex mutex;
  ConditionVariable condition;
  LockGuard guard(mutex);

  Result<void> outcome = condition.wait(mutex, Deadline::after(0ns));

  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error(), Errno::etimedout);
}

TEST(ConditionVariable, InterruptReturnsEintr) {
  Mutex mutex;
  ConditionVariable condition;
  Result<void> outcome;

  TestThread waiter([&] {
    LockGuard guard(mutex);
    outcome = condition.wait(mutex);
  });
  await_sleepers(1);
  mock_platform().interrupt(waiter.id());

  ASSERT_TRUE(waiter.join_within());
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error(), Errno::eintr);
}

TEST(ConditionVariable, NotifyAllWakesEveryWaiter) {
  Mutex mutex;
  ConditionVariable condition;
  bool go = false;
  int woken = 0;
  constexpr int waiter_count = 4;

  std::vector<std::unique_ptr<TestThread>> waiters;
  for (int i = 0; i < waiter_count; ++i) {
    waiters.push_back(std::make_unique<TestThread>([&] {
      LockGuard guard(mutex);
      while (!go) {
        if (!condition.wait(mutex)) {
          return;
        }
      }
      ++woken;
    }));
  }
  await_sleepers(waiter_count);

  {
    LockGuard guard(mutex);
    go = true;
  }
  condition.notify_all();

  for (auto& waiter : waiters) {
    ASSERT_TRUE(waiter->join_within());
  }
  EXPECT_EQ(woken, waiter_count);
}

// A producer and a consumer hand over a counter many times; a lost notify
// would leave one of them asleep for good and fail the bounded join.
TEST(ConditionVariable, PingPongLosesNoNotify) {
  Mutex mutex;
  ConditionVariable changed;
  int turn = 0;
  constexpr int rounds = 2000;

  auto player = [&](int parity) {
    for (int i = 0; i < rounds; ++i) {
      LockGuard guard(mutex);
      while (turn % 2 != parity) {
        (void)changed.wait(mutex);
      }
      ++turn;
      changed.notify_one();
    }
  };
  TestThread even([&] { player(0); });
  TestThread odd([&] { player(1); });

  ASSERT_TRUE(even.join_within());
  ASSERT_TRUE(odd.join_within());
  EXPECT_EQ(turn, 2 * rounds);
}

}  // namespace
}  // namespace litebox::sync
