// South interface: a cryptographically secure random number generator.
#pragma once

#include <cstddef>
#include <span>

namespace litebox::platform {

class Random {
 public:
  virtual ~Random() = default;

  // Fills `buffer` with random bytes suitable for keys. Never fails.
  // Thread-safe.
  virtual void fill(std::span<std::byte> buffer) = 0;
};

}  // namespace litebox::platform
