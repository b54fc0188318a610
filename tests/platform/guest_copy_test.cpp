// Fault-safe copies between the libOS and guest addresses. The fault handler
// is installed with the platform, so these run in the test process itself.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <string>

#include "test_support.hpp"

namespace litebox::testing {
namespace {

constexpr size_t page = 4096;

// Two pages: readable-writable, then read-only; and the address right after
// them, which is unmapped.
class GuestCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    void* memory =
        mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(memory, MAP_FAILED);
    base_ = static_cast<char*>(memory);
    ASSERT_EQ(mprotect(base_ + page, page, PROT_READ), 0);
    ASSERT_EQ(munmap(base_ + 2 * page, page), 0);
  }
  void TearDown() override { munmap(base_, 2 * page); }

  uint64_t address(size_t offset) const {
    // Safety: only the numeric value of the address is used.
    return reinterpret_cast<uint64_t>(base_ + offset);
  }

  platform::Execution& execution() { return host_platform().execution(); }

  char* base_ = nullptr;
};

TEST_F(GuestCopyTest, FromMappedMemory) {
  std::strcpy(base_, "guest bytes");
  char buffer[12] = {};
  ASSERT_TRUE(execution().copy_from_guest(buffer, address(0), sizeof(buffer)));
  EXPECT_STREQ(buffer, "guest bytes");
}

TEST_F(GuestCopyTest, FromUnmappedAddressFails) {
  char buffer[8] = {};
  Result<void> copied = execution().copy_from_guest(buffer, address(2 * page), sizeof(buffer));
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error(), Errno::efault);
}

TEST_F(GuestCopyTest, FromRangeEndingUnmappedFails) {
  char buffer[16] = {};
  Result<void> copied = execution().copy_from_guest(buffer, address(2 * page - 8), sizeof(buffer));
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error(), Errno::efault);
}

TEST_F(GuestCopyTest, FromKernelAddressFails) {
  char buffer[8] = {};
  Result<void> copied = execution().copy_from_guest(buffer, 0xffff'8000'0000'0000, sizeof(buffer));
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error(), Errno::efault);
}

TEST_F(GuestCopyTest, FromWrappingRangeFails) {
  char buffer[8] = {};
  Result<void> copied = execution().copy_from_guest(buffer, ~uint64_t{0} - 3, sizeof(buffer));
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error(), Errno::efault);
}

TEST_F(GuestCopyTest, ToWritableMemory) {
  ASSERT_TRUE(execution().copy_to_guest(address(100), "written", 8));
  EXPECT_STREQ(base_ + 100, "written");
}

TEST_F(GuestCopyTest, ToReadOnlyMemoryFails) {
  Result<void> copied = execution().copy_to_guest(address(page), "x", 1);
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error(), Errno::efault);
  EXPECT_EQ(base_[page], 0);
}

TEST_F(GuestCopyTest, ZeroLengthSucceedsAnywhere) {
  EXPECT_TRUE(execution().copy_from_guest(nullptr, address(2 * page), 0));
}

TEST_F(GuestCopyTest, StringWithinLimit) {
  std::strcpy(base_, "/etc/hostname");
  Result<std::string> string = execution().copy_string_from_guest(address(0), 64);
  ASSERT_TRUE(string);
  EXPECT_EQ(*string, "/etc/hostname");
}

TEST_F(GuestCopyTest, StringOfExactlyLimitLength) {
  std::strcpy(base_, "abcd");
  Result<std::string> string = execution().copy_string_from_guest(address(0), 4);
  ASSERT_TRUE(string);
  EXPECT_EQ(*string, "abcd");
}

TEST_F(GuestCopyTest, StringLongerThanLimitFails) {
  std::strcpy(base_, "abcde");
  Result<std::string> string = execution().copy_string_from_guest(address(0), 4);
  ASSERT_FALSE(string);
  EXPECT_EQ(string.error(), Errno::enametoolong);
}

TEST_F(GuestCopyTest, StringRunningIntoUnmappedFails) {
  ASSERT_EQ(mprotect(base_ + page, page, PROT_READ | PROT_WRITE), 0);
  base_[2 * page - 1] = 'a';
  ASSERT_EQ(mprotect(base_ + page, page, PROT_READ), 0);

  // The last mapped byte starts a string that runs into the unmapped page.
  Result<std::string> string = execution().copy_string_from_guest(address(2 * page - 1), 64);
  ASSERT_FALSE(string);
  EXPECT_EQ(string.error(), Errno::efault);
}

TEST_F(GuestCopyTest, StringAtUnmappedAddressFails) {
  Result<std::string> string = execution().copy_string_from_guest(address(2 * page), 64);
  ASSERT_FALSE(string);
  EXPECT_EQ(string.error(), Errno::efault);
}

}  // namespace
}  // namespace litebox::testing
