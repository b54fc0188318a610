#include "litebox/sync/rw_lock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "litebox/sync/wait_queue.hpp"
#include "test_platform.hpp"
#include "test_threads.hpp"

namespace litebox::sync {
namespace {

using litebox::testing::await_sleepers;
using litebox::testing::TestThread;

TEST(RwLock, ReadersShare) {
  RwLock lock;
  ASSERT_TRUE(lock.try_lock_shared());
  EXPECT_TRUE(lock.try_lock_shared());
  EXPECT_FALSE(lock.try_lock());
  lock.unlock_shared();
  lock.unlock_shared();
  EXPECT_TRUE(lock.try_lock());
  lock.unlock();
}

TEST(RwLock, WriterExcludesReaders) {
  RwLock lock;
  lock.lock();
  EXPECT_FALSE(lock.try_lock_shared());
  EXPECT_FALSE(lock.try_lock());
  lock.unlock();
  EXPECT_TRUE(lock.try_lock_shared());
  lock.unlock_shared();
}

TEST(RwLock, WaitingWriterBlocksNewReaders) {
  RwLock lock;
  lock.lock_shared();

  std::atomic<bool> writer_entered = false;
  TestThread writer([&] {
    WriteLockGuard guard(lock);
    writer_entered = true;
  });
  await_sleepers(1);

  // A writer is queued, so a new reader must not overtake it.
  EXPECT_FALSE(lock.try_lock_shared());
  EXPECT_FALSE(writer_entered);

  lock.unlock_shared();
  ASSERT_TRUE(writer.join_within());
  EXPECT_TRUE(writer_entered);
}

// Readers hold the lock in overlapping turns without pause; the writer must
// still get in.
TEST(RwLock, WriterNotStarvedByReaders) {
  RwLock lock;
  std::atomic<bool> writer_done = false;
  std::atomic<int> reads = 0;

  auto reader = [&] {
    while (!writer_done) {
      ReadLockGuard guard(lock);
      ++reads;
    }
  };
  TestThread first_reader(reader);
  TestThread second_reader(reader);
  TestThread writer([&] {
    while (reads < 100) {
      platform::current().threads.yield();
    }
    WriteLockGuard guard(lock);
    writer_done = true;
  });

  ASSERT_TRUE(writer.join_within());
  ASSERT_TRUE(first_reader.join_within());
  ASSERT_TRUE(second_reader.join_within());
  EXPECT_TRUE(writer_done);
}

// Waiting for the lock is not interruptible, but the interrupt must still
// end the thread's next interruptible wait.
TEST(RwLock, InterruptWhileWaitingReachesNextWait) {
  RwLock lock;
  WaitQueue queue;
  Mutex queue_lock;
  Result<void> outcome;
  lock.lock();

  TestThread reader([&] {
    ReadLockGuard guard(lock);
    LockGuard queue_guard(queue_lock);
    outcome = queue.wait(queue_lock, [] { return false; });
  });
  await_sleepers(1);
  litebox::testing::mock_platform().interrupt(reader.id());
  lock.unlock();

  ASSERT_TRUE(reader.join_within());
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error(), Errno::eintr);
}

TEST(RwLock, ExcludesUnderContention) {
  RwLock lock;
  uint64_t first = 0;
  uint64_t second = 0;
  std::atomic<int> torn_reads = 0;
  constexpr int iterations = 5000;

  std::vector<std::unique_ptr<TestThread>> threads;
  for (int t = 0; t < 2; ++t) {
    threads.push_back(std::make_unique<TestThread>([&] {
      for (int i = 0; i < iterations; ++i) {
        WriteLockGuard guard(lock);
        ++first;
        ++second;
      }
    }));
    threads.push_back(std::make_unique<TestThread>([&] {
      for (int i = 0; i < iterations; ++i) {
        ReadLockGuard guard(lock);
        if (first != second) {
          ++torn_reads;
        }
      }
    }));
  }
  for (auto& thread : threads) {
    ASSERT_TRUE(thread->join_within());
  }

  EXPECT_EQ(first, uint64_t{2} * iterations);
  EXPECT_EQ(second, uint64_t{2} * iterations);
  EXPECT_EQ(torn_reads, 0);
}

}  // namespace
}  // namespace litebox::sync
