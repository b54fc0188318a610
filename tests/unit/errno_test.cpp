#include <gtest/gtest.h>

#include <cerrno>

#include "litebox/errno.hpp"
#include "litebox/result.hpp"

namespace litebox {
namespace {

TEST(Errno, ValuesMatchHostLinux) {
  EXPECT_EQ(errno_value(Errno::enoent), ENOENT);
  EXPECT_EQ(errno_value(Errno::eagain), EAGAIN);
  EXPECT_EQ(errno_value(Errno::enametoolong), ENAMETOOLONG);
  EXPECT_EQ(errno_value(Errno::eloop), ELOOP);
  EXPECT_EQ(errno_value(Errno::enotempty), ENOTEMPTY);
  EXPECT_EQ(errno_value(Errno::etimedout), ETIMEDOUT);
  EXPECT_EQ(errno_value(Errno::enotrecoverable), ENOTRECOVERABLE);
}

TEST(Errno, NameIsUppercaseSymbol) {
  EXPECT_EQ(errno_name(Errno::enoent), "ENOENT");
  EXPECT_EQ(errno_name(Errno::epipe), "EPIPE");
  EXPECT_EQ(errno_name(static_cast<Errno>(9999)), "E?");
}

Result<int> half(int value) {
  if (value % 2 != 0) {
    return fail(Errno::einval);
  }
  return value / 2;
}

Result<int> quarter(int value) {
  int first = TRY(half(value));
  return TRY(half(first));
}

TEST(Result, TryPropagatesError) {
  EXPECT_EQ(quarter(8).value(), 2);
  ASSERT_FALSE(quarter(6).has_value());
  EXPECT_EQ(quarter(6).error(), Errno::einval);
}

}  // namespace
}  // namespace litebox
