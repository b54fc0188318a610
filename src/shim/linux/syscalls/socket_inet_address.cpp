#include "shim/linux/syscalls/socket_inet_address.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "shim/linux/syscalls/socket_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

constexpr int32_t af_unspecified = 0;

// struct sockaddr_in.
struct LinuxInetAddress {
  uint16_t family;
  uint16_t port;  // network byte order
  std::array<uint8_t, 4> address;
  std::array<uint8_t, 8> zero;
};
static_assert(sizeof(LinuxInetAddress) == 16);

// struct sockaddr_in6.
struct LinuxInet6Address {
  uint16_t family;
  uint16_t port;  // network byte order
  uint32_t flow_information;
  std::array<uint8_t, 16> address;
  uint32_t scope_id;
};
static_assert(sizeof(LinuxInet6Address) == 28);

// SIN6_LEN_RFC2133: a sockaddr_in6 without sin6_scope_id, which Linux
// still takes.
constexpr size_t short_inet6_address_size = 24;

uint16_t swap_port(uint16_t port) { return static_cast<uint16_t>((port << 8) | (port >> 8)); }

template <typename T>
std::vector<std::byte> bytes_of(const T& value) {
  auto bytes = std::as_bytes(std::span(&value, 1));
  return {bytes.begin(), bytes.end()};
}

}  // namespace

Result<ipc::InetAddress> decode_inet_address(std::span<const std::byte> bytes,
                                             ipc::SocketDomain domain, InetAddressUse use) {
  if (domain == ipc::SocketDomain::inet) {
    if (bytes.size() < sizeof(LinuxInetAddress)) {
      return fail(Errno::einval);
    }
    LinuxInetAddress decoded{};
    std::memcpy(&decoded, bytes.data(), sizeof decoded);
    bool any = decoded.address == std::array<uint8_t, 4>{};
    bool unspecified_any = use == InetAddressUse::bind && decoded.family == af_unspecified && any;
    // A UDP send reads AF_UNSPEC as AF_INET, as Linux does.
    bool unspecified_send = use == InetAddressUse::send && decoded.family == af_unspecified;
    if (decoded.family != af_inet && !unspecified_any && !unspecified_send) {
      // TODO: connect(2) of a TCP socket with AF_UNSPEC, which disconnects
      // on Linux.
      return fail(Errno::eafnosupport);
    }
    return ipc::InetAddress::from_ipv4(decoded.address, swap_port(decoded.port));
  }

  if (bytes.size() < short_inet6_address_size) {
    return fail(Errno::einval);
  }
  LinuxInet6Address decoded{};
  std::memcpy(&decoded, bytes.data(), std::min(bytes.size(), sizeof decoded));
  if (decoded.family != af_inet6) {
    // TODO: a UDP send from an AF_INET6 socket to an AF_INET address,
    // which Linux takes unless the socket is IPV6_V6ONLY.
    return fail(use == InetAddressUse::send ? Errno::einval : Errno::eafnosupport);
  }
  return ipc::InetAddress{.ip = decoded.address, .port = swap_port(decoded.port)};
}

std::vector<std::byte> encode_inet_address(const ipc::InetAddress& address,
                                           ipc::SocketDomain domain) {
  if (domain == ipc::SocketDomain::inet) {
    LinuxInetAddress encoded{
        .family = af_inet, .port = swap_port(address.port), .address = address.ipv4(), .zero = {}};
    return bytes_of(encoded);
  }
  LinuxInet6Address encoded{.family = af_inet6,
                            .port = swap_port(address.port),
                            .flow_information = 0,
                            .address = address.ip,
                            .scope_id = 0};
  return bytes_of(encoded);
}

}  // namespace litebox::shim::linux_abi
