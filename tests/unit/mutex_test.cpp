#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "litebox/sync/mutex.hpp"

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

}  // namespace
}  // namespace litebox::sync
