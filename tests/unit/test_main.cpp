// Installs one MockPlatform for the whole unit-test binary, then runs the
// tests. Tests that need a fresh clock or captured output use mock_platform().
#include <gtest/gtest.h>

#include "mock_platform.hpp"
#include "test_platform.hpp"

namespace litebox::testing {

platform::mock::MockPlatform& mock_platform() {
  static platform::mock::MockPlatform instance;
  return instance;
}

}  // namespace litebox::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  litebox::platform::set_current(litebox::testing::mock_platform().platform());
  return RUN_ALL_TESTS();
}
