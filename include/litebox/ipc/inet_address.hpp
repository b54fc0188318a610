// Internet socket addresses inside the sandbox's own loopback network.
//
// The sandbox has no network but loopback: 127.0.0.0/8 and ::1 are its
// local addresses, and connect(2) reaches only listeners inside the
// sandbox. No host socket is involved.
#pragma once

#include <array>
#include <compare>
#include <cstdint>

namespace litebox::ipc {

// The IP family of a socket: AF_INET or AF_INET6.
enum class InetFamily : uint8_t { v4, v6 };

// An IP address and TCP port. IPv4 addresses are kept in their IPv4-mapped
// IPv6 form (::ffff:a.b.c.d), so one comparison serves both families.
struct InetAddress {
  std::array<uint8_t, 16> ip{};
  uint16_t port = 0;  // host byte order

  static InetAddress from_ipv4(std::array<uint8_t, 4> ip, uint16_t port);
  static InetAddress ipv4_any(uint16_t port = 0) { return from_ipv4({0, 0, 0, 0}, port); }
  static InetAddress ipv4_loopback(uint16_t port = 0) { return from_ipv4({127, 0, 0, 1}, port); }
  static InetAddress ipv6_any(uint16_t port = 0) { return InetAddress{.ip = {}, .port = port}; }
  static InetAddress ipv6_loopback(uint16_t port = 0);

  // An IPv4 address, in its IPv4-mapped form.
  bool is_ipv4() const;
  // The four bytes of an IPv4 address.
  std::array<uint8_t, 4> ipv4() const;
  // 0.0.0.0 or ::, the wildcard address.
  bool is_any() const;
  // 127.0.0.0/8 or ::1.
  bool is_loopback() const;
  // An address of this sandbox: loopback or the wildcard.
  bool is_local() const { return is_any() || is_loopback(); }

  auto operator<=>(const InetAddress&) const = default;
};

}  // namespace litebox::ipc
