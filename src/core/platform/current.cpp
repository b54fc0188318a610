#include <cstdlib>

#include "litebox/platform/platform.hpp"

namespace litebox::platform {

namespace {
Platform* installed_platform = nullptr;
}

void set_current(Platform& platform) { installed_platform = &platform; }

Platform& current() {
  if (installed_platform == nullptr) [[unlikely]] {
    // A core call before start-up finished is a libOS bug with no errno to
    // report, so stop at once.
    std::abort();
  }
  return *installed_platform;
}

}  // namespace litebox::platform
