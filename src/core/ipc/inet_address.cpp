#include "litebox/ipc/inet_address.hpp"

#include <algorithm>

namespace litebox::ipc {

namespace {

// The first 12 bytes of an IPv4-mapped IPv6 address (RFC 4291, 2.5.5.2).
constexpr std::array<uint8_t, 12> ipv4_mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

InetAddress InetAddress::from_ipv4(std::array<uint8_t, 4> ip, uint16_t port) {
  InetAddress address{.ip = {}, .port = port};
  std::ranges::copy(ipv4_mapped_prefix, address.ip.begin());
  std::ranges::copy(ip, address.ip.begin() + 12);
  return address;
}

InetAddress InetAddress::ipv6_loopback(uint16_t port) {
  InetAddress address{.ip = {}, .port = port};
  address.ip[15] = 1;
  return address;
}

bool InetAddress::is_ipv4() const {
  return std::equal(ipv4_mapped_prefix.begin(), ipv4_mapped_prefix.end(), ip.begin());
}

std::array<uint8_t, 4> InetAddress::ipv4() const { return {ip[12], ip[13], ip[14], ip[15]}; }

bool InetAddress::is_any() const {
  if (is_ipv4()) {
    return ipv4() == std::array<uint8_t, 4>{};
  }
  return ip == std::array<uint8_t, 16>{};
}

bool InetAddress::is_loopback() const {
  if (is_ipv4()) {
    return ip[12] == 127;
  }
  return *this == ipv6_loopback(port);
}

}  // namespace litebox::ipc
