// Installs the one LinuxUserlandPlatform of the test process, then runs the
// tests. Forked children inherit it, with its signal handlers.
#include <gtest/gtest.h>

#include "test_support.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  litebox::platform::set_current(litebox::testing::host_platform().platform());
  return RUN_ALL_TESTS();
}
