// South interface: named host-specific requests that the generic interface
// does not cover (for example, installing the guest's fs base on Linux).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "litebox/result.hpp"

namespace litebox::platform {

class Punchthrough {
 public:
  virtual ~Punchthrough() = default;

  // Performs the request called `name` with integer arguments and returns its
  // integer result. Returns `enosys` for a name this host does not know.
  // Each name a platform accepts is listed in docs/security.md. Thread-safe.
  virtual Result<uint64_t> invoke(std::string_view name, std::span<const uint64_t> arguments) = 0;
};

}  // namespace litebox::platform
