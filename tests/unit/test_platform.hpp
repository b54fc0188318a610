// The mock platform that every unit test runs on.
#pragma once

#include "mock_platform.hpp"

namespace litebox::testing {

platform::mock::MockPlatform& mock_platform();

}  // namespace litebox::testing
