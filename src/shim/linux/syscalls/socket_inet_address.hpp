// sockaddr_in and sockaddr_in6 of TCP and UDP sockets in both directions.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "litebox/ipc/inet_address.hpp"
#include "litebox/ipc/stream_socket.hpp"
#include "litebox/result.hpp"

namespace litebox::shim::linux_abi {

// The call an address is decoded for, because Linux checks the addresses
// of bind(2), connect(2) and a UDP sendto(2) a little differently.
enum class InetAddressUse { bind, connect, send };

// Decodes the address that bind(2) or connect(2) of a socket of `domain`
// (inet or inet6) names: `einval` when it is shorter than sockaddr_in
// (16 bytes) or than sockaddr_in6 without sin6_scope_id (24 bytes),
// `eafnosupport` for another family. bind(2) of an AF_INET socket also
// takes AF_UNSPEC with INADDR_ANY, as Linux does.
Result<ipc::InetAddress> decode_inet_address(std::span<const std::byte> bytes,
                                             ipc::SocketDomain domain, InetAddressUse use);

// The sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes) of `address` for a
// socket of `domain`. An AF_INET6 socket reports an IPv4 peer as an
// IPv4-mapped address.
std::vector<std::byte> encode_inet_address(const ipc::InetAddress& address,
                                           ipc::SocketDomain domain);

}  // namespace litebox::shim::linux_abi
