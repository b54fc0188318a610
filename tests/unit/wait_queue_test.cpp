#include "litebox/sync/wait_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <vector>

#include "test_platform.hpp"
#include "test_threads.hpp"

namespace litebox::sync {
namespace {

using litebox::testing::await_sleepers;
using litebox::testing::mock_platform;
using litebox::testing::TestThread;
using namespace std::chrono_literals;

TEST(WaitQueue, ReadyConditionReturnsAtOnce) {
  WaitQueue queue;
  Mutex lock;
  LockGuard guard(lock);

  Result<void> outcome = queue.wait(
      lock, [] { return true; }, Deadline::after(0ns));

  EXPECT_TRUE(outcome.has_value());
}

TEST(WaitQueue, WakeAllAfterStateChange) {
  WaitQueue queue;
  Mutex lock;
  bool ready = false;
  Result<void> outcome = fail(Errno::eio);

  TestThread waiter([&] {
    LockGuard guard(lock);
    outcome = queue.wait(lock, [&] { return ready; });
    // The caller holds the lock again on return.
    EXPECT_FALSE(lock.try_lock());
  });
  await_sleepers(1);

  {
    LockGuard guard(lock);
    ready = true;
  }
  queue.wake_all();

  ASSERT_TRUE(waiter.join_within());
  EXPECT_TRUE(outcome.has_value());
}

TEST(WaitQueue, LocklessConditionWakes) {
  WaitQueue queue;
  std::atomic<bool> ready = false;
  Result<void> outcome = fail(Errno::eio);

  TestThread waiter([&] { outcome = queue.wait([&] { return ready.load(); }); });
  await_sleepers(1);

  ready = true;
  queue.wake_all();

  ASSERT_TRUE(waiter.join_within());
  EXPECT_TRUE(outcome.has_value());
}

TEST(WaitQueue, TimesOutOnVirtualClock) {
  WaitQueue queue;
  Mutex lock;
  Result<void> outcome;

  TestThread waiter([&] {
    LockGuard guard(lock);
    outcome = queue.wait(
        lock, [] { return false; }, Deadline::after(5s));
  });
  await_sleepers(1);
  mock_platform().advance(5s);

  ASSERT_TRUE(waiter.join_within());
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error(), Errno::etimedout);
}

// A wake-up that finds the condition still false must not restart the
// timeout: the deadline is absolute.
TEST(WaitQueue, SpuriousWakeKeepsDeadline) {
  WaitQueue queue;
  Result<void> outcome;

  TestThread waiter([&] { outcome = queue.wait([] { return false; }, Deadline::after(10s)); });
  await_sleepers(1);

  mock_platform().advance(6s);
  queue.wake_all();
  await_sleepers(1);
  mock_platform().advance(4s);

  ASSERT_TRUE(waiter.join_within());
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error(), Errno::etimedout);
}

TEST(WaitQueue, InterruptReturnsEintr) {
  WaitQueue queue;
  Mutex lock;
  Result<void> outcome;

  TestThread waiter([&] {
    LockGuard guard(lock);
    outcome = queue.wait(lock, [] { return false; });
  });
  await_sleepers(1);
  mock_platform().interrupt(waiter.id());

  ASSERT_TRUE(waiter.join_within());
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error(), Errno::eintr);
}

TEST(WaitQueue, WakeOneWakesSingleWaiter) {
  WaitQueue queue;
  Mutex lock;
  int tokens = 0;
  std::atomic<int> consumed = 0;

  auto consumer = [&] {
    LockGuard guard(lock);
    if (queue.wait(
            lock, [&] { return tokens > 0; }, Deadline::after(1s))) {
      --tokens;
      ++consumed;
    }
  };
  TestThread first(consumer);
  TestThread second(consumer);
  await_sleepers(2);

  {
    LockGuard guard(lock);
    ++tokens;
  }
  queue.wake_one();
  ASSERT_TRUE(litebox::testing::await_condition([&] { return consumed == 1; }));
  await_sleepers(1);

  // The other consumer times out instead of waking.
  mock_platform().advance(1s);
  ASSERT_TRUE(first.join_within());
  ASSERT_TRUE(second.join_within());
  EXPECT_EQ(consumed, 1);
}

// Producers and consumers pass items through a small bounded queue many
// times; a lost wake-up leaves a thread asleep and fails the bounded join.
TEST(WaitQueue, BoundedBufferLosesNoWakeUp) {
  WaitQueue not_empty;
  WaitQueue not_full;
  Mutex lock;
  std::deque<int> buffer;
  constexpr size_t buffer_capacity = 2;
  constexpr int items_per_producer = 3000;
  constexpr int producer_count = 2;
  std::atomic<long> sum = 0;

  std::vector<std::unique_ptr<TestThread>> threads;
  for (int p = 0; p < producer_count; ++p) {
    threads.push_back(std::make_unique<TestThread>([&] {
      for (int i = 1; i <= items_per_producer; ++i) {
        {
          LockGuard guard(lock);
          ASSERT_TRUE(not_full.wait(lock, [&] { return buffer.size() < buffer_capacity; }));
          buffer.push_back(i);
        }
        not_empty.wake_all();
      }
    }));
    threads.push_back(std::make_unique<TestThread>([&] {
      for (int i = 0; i < items_per_producer; ++i) {
        int item = 0;
        {
          LockGuard guard(lock);
          ASSERT_TRUE(not_empty.wait(lock, [&] { return !buffer.empty(); }));
          item = buffer.front();
          buffer.pop_front();
        }
        not_full.wake_all();
        sum += item;
      }
    }));
  }
  for (auto& thread : threads) {
    ASSERT_TRUE(thread->join_within());
  }

  long expected = producer_count * (long{items_per_producer} * (items_per_producer + 1) / 2);
  EXPECT_EQ(sum, expected);
}

}  // namespace
}  // namespace litebox::sync
