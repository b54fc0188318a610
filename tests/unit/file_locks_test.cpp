#include "litebox/fs/file_locks.hpp"

#include <gtest/gtest.h>

#include "test_platform.hpp"
#include "test_threads.hpp"

namespace litebox::fs {
namespace {

using litebox::testing::await_sleepers;
using litebox::testing::mock_platform;
using litebox::testing::TestThread;

LockOwner process(uint64_t pid) { return LockOwner{LockOwner::Kind::process, pid}; }

LockOwner description(uint64_t id) { return LockOwner{LockOwner::Kind::description, id}; }

RecordLock record(LockOwner owner, LockType type, int64_t start, int64_t end) {
  int32_t pid = owner.kind == LockOwner::Kind::process ? static_cast<int32_t>(owner.id) : -1;
  return RecordLock{owner, type, start, end, pid};
}

TEST(FileLocks, ConflictReportsFirstLock) {
  FileLocks locks;
  ASSERT_TRUE(locks.lock(record(process(1), LockType::read, 50, 59), false));
  ASSERT_TRUE(locks.lock(record(process(1), LockType::write, 10, 19), false));

  auto conflict = locks.find_conflict(record(process(2), LockType::write, 0, 100));

  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->start, 10);
  EXPECT_EQ(conflict->end, 19);
  EXPECT_EQ(conflict->type, LockType::write);
  EXPECT_EQ(conflict->pid, 1);
}

TEST(FileLocks, ReadLocksShare) {
  FileLocks locks;
  ASSERT_TRUE(locks.lock(record(process(1), LockType::read, 0, 9), false));

  EXPECT_TRUE(locks.lock(record(process(2), LockType::read, 5, 14), false));
  EXPECT_EQ(locks.lock(record(process(3), LockType::write, 9, 9), false).error(), Errno::eagain);
}

TEST(FileLocks, UnlockSplitsRange) {
  FileLocks locks;
  ASSERT_TRUE(locks.lock(record(process(1), LockType::write, 0, 99), false));

  locks.unlock(process(1), 40, 59);

  EXPECT_FALSE(locks.find_conflict(record(process(2), LockType::write, 40, 59)));
  auto after = locks.find_conflict(record(process(2), LockType::write, 50, 200));
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->start, 60);
  EXPECT_EQ(after->end, 99);
}

TEST(FileLocks, AdjacentLocksMerge) {
  FileLocks locks;
  ASSERT_TRUE(locks.lock(record(process(1), LockType::write, 0, 9), false));
  ASSERT_TRUE(locks.lock(record(process(1), LockType::write, 20, 29), false));

  ASSERT_TRUE(locks.lock(record(process(1), LockType::write, 10, 19), false));

  auto conflict = locks.find_conflict(record(process(2), LockType::read, 0, lock_offset_max));
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->start, 0);
  EXPECT_EQ(conflict->end, 29);
}

TEST(FileLocks, OfdAndPosixOwnersConflict) {
  FileLocks locks;
  ASSERT_TRUE(locks.lock(record(description(0x1000), LockType::write, 0, 0), false));

  EXPECT_EQ(locks.lock(record(process(1), LockType::read, 0, 0), false).error(), Errno::eagain);
  locks.release(description(0x1000));
  EXPECT_TRUE(locks.lock(record(process(1), LockType::read, 0, 0), false));
}

TEST(FileLocks, WaiterGetsLockAfterRelease) {
  FileLocks locks;
  ASSERT_TRUE(locks.lock(record(process(1), LockType::write, 0, 9), false));
  Result<void> outcome = fail(Errno::eio);

  TestThread waiter([&] { outcome = locks.lock(record(process(2), LockType::write, 5, 5), true); });
  await_sleepers(1);
  locks.release(process(1));

  ASSERT_TRUE(waiter.join_within());
  EXPECT_TRUE(outcome.has_value());
  EXPECT_TRUE(locks.find_conflict(record(process(1), LockType::read, 5, 5)).has_value());
}

TEST(FileLocks, InterruptedWaitFailsWithEintr) {
  FileLocks locks;
  ASSERT_TRUE(locks.lock(record(process(1), LockType::write, 0, 9), false));
  Result<void> outcome;

  TestThread waiter([&] { outcome = locks.lock(record(process(2), LockType::read, 0, 0), true); });
  await_sleepers(1);
  mock_platform().interrupt(waiter.id());

  ASSERT_TRUE(waiter.join_within());
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error(), Errno::eintr);
}

TEST(FileLocks, TwoProcessCycleIsDeadlock) {
  FileLocks locks;
  ASSERT_TRUE(locks.lock(record(process(1), LockType::write, 0, 0), false));
  ASSERT_TRUE(locks.lock(record(process(2), LockType::write, 1, 1), false));
  Result<void> first = fail(Errno::eio);

  TestThread waiter([&] { first = locks.lock(record(process(1), LockType::write, 1, 1), true); });
  await_sleepers(1);
  Result<void> second = locks.lock(record(process(2), LockType::write, 0, 0), true);

  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error(), Errno::edeadlk);
  locks.release(process(2));
  ASSERT_TRUE(waiter.join_within());
  EXPECT_TRUE(first.has_value());
}

TEST(FileLocks, FlockSharedAndExclusive) {
  FileLocks locks;
  ASSERT_TRUE(locks.flock(1, LockType::read, false));
  ASSERT_TRUE(locks.flock(2, LockType::read, false));

  EXPECT_EQ(locks.flock(3, LockType::write, false).error(), Errno::eagain);
  locks.release_flock(1);
  locks.release_flock(2);
  EXPECT_TRUE(locks.flock(3, LockType::write, false));
}

TEST(FileLocks, FailedFlockConversionUnlocks) {
  FileLocks locks;
  ASSERT_TRUE(locks.flock(1, LockType::read, false));
  ASSERT_TRUE(locks.flock(2, LockType::read, false));

  EXPECT_EQ(locks.flock(1, LockType::write, false).error(), Errno::eagain);
  locks.release_flock(2);
  EXPECT_TRUE(locks.flock(3, LockType::write, false));
}

TEST(FileLocks, FlockIgnoresRecordLocks) {
  FileLocks locks;
  ASSERT_TRUE(locks.lock(record(process(1), LockType::write, 0, lock_offset_max), false));

  EXPECT_TRUE(locks.flock(2, LockType::write, false));
}

}  // namespace
}  // namespace litebox::fs
