#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "litebox/sync/mutex.hpp"
#include "litebox/sync/wait_queue.hpp"
#include "test_platform.hpp"
#include "test_threads.hpp"

namespace litebox::sync {
namespace {

TEST(Mutex, TryLockFailsWhileHeld) {
  Mutex mutex;
  ASSERT_TRUE(mutex.try_lock());
  EXPECT_FALSE(mutex.try_lock());
  mutex.unlock();
  EXPECT_TRUE(mutex.try_lock());
  mutex.unlock();
}

TEST(Mutex, ExcludesUnderContention) {
  Mutex mutex;
  uint64_t counter = 0;
  constexpr int threads = 4;
  constexpr int iterations = 20000;

  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < iterations; ++i) {
        LockGuard guard(mutex);
        ++counter;
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }

  EXPECT_EQ(counter, uint64_t{threads} * iterations);
}

// Taking a lock is not interruptible, but an interrupt that arrives while a
// thread waits for a Mutex must still end its next interruptible wait.
TEST(Mutex, InterruptDuringLockReachesNextWait) {
  Mutex mutex;
  WaitQueue queue;
  Result<void> outcome;
  mutex.lock();

  litebox::testing::TestThread waiter([&] {
    LockGuard guard(mutex);
    outcome = queue.wait(mutex, [] { return false; });
  });
  litebox::testing::await_sleepers(1);
  litebox::testing::mock_platform().interrupt(waiter.id());
  mutex.unlock();

  ASSERT_TRUE(waiter.join_within());
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error(), Errno::eintr);
}

}  // namespace
}  // namespace litebox::sync
