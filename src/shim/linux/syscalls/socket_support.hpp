// Helpers shared by the socket system call families: the Linux constants
// they decode, the socket behind a descriptor, and sockaddr_un in both
// directions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "litebox/ipc/socket_address.hpp"
#include "litebox/ipc/stream_socket.hpp"
#include "litebox/result.hpp"
#include "shim/linux/syscall_table.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

// Address families, socket types and flags (<linux/socket.h>, <linux/net.h>).
inline constexpr int32_t af_unix = 1;
inline constexpr int32_t af_inet = 2;
inline constexpr int32_t af_inet6 = 10;
inline constexpr int32_t af_max = 46;
inline constexpr int32_t ipproto_tcp = 6;  // AF_MAX: families at or above it do not exist
inline constexpr uint32_t sock_stream = 1;
inline constexpr uint32_t sock_datagram = 2;
inline constexpr uint32_t sock_raw = 3;
inline constexpr uint32_t sock_seqpacket = 5;
inline constexpr uint32_t sock_max = 10;  // SOCK_MAX: types at or above it are invalid
inline constexpr uint32_t sock_type_mask = 0xf;
inline constexpr uint32_t sock_non_blocking = 04000;
inline constexpr uint32_t sock_close_on_exec = 02000000;

// The largest socket address a call copies in (sizeof(struct
// sockaddr_storage)).
inline constexpr int32_t max_address_length = 128;

// The first three arguments of socket(2) and socketpair(2).
struct SocketRequest {
  int32_t domain = 0;
  uint32_t type = 0;   // SOCK_STREAM, SOCK_DGRAM, ...
  uint32_t flags = 0;  // SOCK_NONBLOCK and SOCK_CLOEXEC
  int32_t protocol = 0;
};

// Decodes the arguments of socket(2) and socketpair(2) with the checks
// Linux makes before the family handles them: `einval` for unknown flags or a
// type at or above SOCK_MAX, `eafnosupport` for a family outside 0 to
// AF_MAX.
Result<SocketRequest> decode_socket_request(const SyscallArguments& arguments);

// The checks of the AF_UNIX family: `eprotonosupport` for a protocol other
// than 0 and AF_UNIX, `esocktnosupport` for a type that the family lacks.
Result<void> check_unix_socket_type(const SocketRequest& request);

// The socket behind `descriptor`: `ebadf` if it is not open, `enotsock` if
// it is not a socket.
Result<std::shared_ptr<ipc::StreamSocket>> socket_of(Task& task, int32_t descriptor);

// The calling process as SO_PEERCRED reports it: pid, effective uid and
// effective gid.
ipc::SocketCredentials socket_credentials_of(Task& task);

// Copies a socket address out as Linux does for getsockname(2),
// getpeername(2), accept(2), recvfrom(2) and recvmsg(2): at most `*length`
// bytes of it, then its full size into `*length`.
Result<void> write_address(uint64_t address, uint64_t length_address,
                           std::span<const std::byte> value);

// The sockaddr_un of `address` with the length Linux reports: the family
// alone for an unnamed socket, the family, path and NUL for a path, and the
// family, NUL and name bytes for an abstract name.
std::vector<std::byte> encode_unix_address(const ipc::SocketAddress& address);

// The sockaddr of `address` for a socket of `domain`: a sockaddr_un, or a
// sockaddr_in or sockaddr_in6 for a TCP socket.
std::vector<std::byte> encode_socket_address(const ipc::SocketAddress& address,
                                             ipc::SocketDomain domain);

}  // namespace litebox::shim::linux_abi
