#include "litebox/sync/deadline.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "test_platform.hpp"

namespace litebox::sync {
namespace {

using litebox::testing::mock_platform;
using namespace std::chrono_literals;

TEST(Deadline, PassesWhenClockReachesIt) {
  Deadline deadline = Deadline::after(3s);
  EXPECT_FALSE(deadline.has_passed());
  EXPECT_EQ(deadline.remaining(), std::chrono::nanoseconds(3s));

  mock_platform().advance(2s);
  EXPECT_FALSE(deadline.has_passed());
  EXPECT_EQ(deadline.remaining(), std::chrono::nanoseconds(1s));

  mock_platform().advance(1s);
  EXPECT_TRUE(deadline.has_passed());
  EXPECT_EQ(deadline.remaining(), std::chrono::nanoseconds(0));
}

TEST(Deadline, NeverHasNoRemainingTime) {
  Deadline deadline = Deadline::never();
  EXPECT_TRUE(deadline.is_never());
  EXPECT_FALSE(deadline.has_passed());
  EXPECT_FALSE(deadline.remaining().has_value());
}

TEST(Deadline, HugeTimeoutNeverPasses) {
  mock_platform().advance(1s);

  Deadline deadline = Deadline::after(std::chrono::nanoseconds::max());

  EXPECT_TRUE(deadline.is_never());
}

TEST(Deadline, NegativeTimeoutHasPassed) {
  Deadline deadline = Deadline::after(-5ms);
  EXPECT_TRUE(deadline.has_passed());
}

TEST(Deadline, EmptyTimeoutMeansNever) {
  EXPECT_TRUE(Deadline::from_timeout(std::nullopt).is_never());
  EXPECT_FALSE(Deadline::from_timeout(1s).is_never());
}

}  // namespace
}  // namespace litebox::sync
