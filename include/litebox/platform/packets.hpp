// South interface: raw IP packets to and from the host network.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>

#include "litebox/result.hpp"

namespace litebox::platform {

class Packets {
 public:
  virtual ~Packets() = default;

  // Sends one IPv4 or IPv6 packet. Returns `enetdown` when the sandbox has
  // no host network. Thread-safe.
  virtual Result<void> send(std::span<const std::byte> packet) = 0;

  // Receives one packet into `buffer`, waiting at most `timeout` (forever if
  // absent). Returns its length, `etimedout`, or `enetdown`. A packet longer
  // than the buffer is truncated. Thread-safe.
  virtual Result<size_t> receive(std::span<std::byte> buffer,
                                 std::optional<std::chrono::nanoseconds> timeout) = 0;
};

}  // namespace litebox::platform
