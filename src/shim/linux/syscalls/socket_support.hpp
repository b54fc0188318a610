// Helpers shared by the socket system call families: the Linux constants
// they decode, the socket behind a descriptor, and sockaddr_un in both
// directions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "litebox/ipc/socket.hpp"
#include "litebox/ipc/socket_address.hpp"
#include "litebox/ipc/stream_socket.hpp"
#include "litebox/result.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/syscall_table.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

// Address families, socket types and flags (<linux/socket.h>, <linux/net.h>).
inline constexpr int32_t af_unspec = 0;
inline constexpr int32_t af_unix = 1;
inline constexpr int32_t af_inet = 2;
inline constexpr int32_t af_inet6 = 10;
inline constexpr int32_t af_max = 46;
inline constexpr int32_t ipproto_tcp = 6;  // AF_MAX: families at or above it do not exist
inline constexpr int32_t ipproto_udp = 17;
inline constexpr uint32_t sock_stream = 1;
inline constexpr uint32_t sock_datagram = 2;
inline constexpr uint32_t sock_raw = 3;
inline constexpr uint32_t sock_seqpacket = 5;
inline constexpr uint32_t sock_max = 10;  // SOCK_MAX: types at or above it are invalid
inline constexpr uint32_t sock_type_mask = 0xf;
inline constexpr uint32_t sock_non_blocking = 04000;
inline constexpr uint32_t sock_close_on_exec = 02000000;

// SOL_SOCKET, the level of getsockopt(2), setsockopt(2) and control
// messages that belongs to the socket layer.
inline constexpr int32_t sol_socket = 1;

// struct ucred: SO_PEERCRED and SCM_CREDENTIALS.
struct LinuxCredentials {
  int32_t pid;
  uint32_t uid;
  uint32_t gid;
};

// The largest socket address a call copies in (sizeof(struct
// sockaddr_storage)).
inline constexpr int32_t max_address_length = 128;

// sizeof(struct sockaddr_un): the family and 108 bytes of sun_path.
inline constexpr size_t unix_address_size = 110;
inline constexpr size_t family_size = sizeof(uint16_t);

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
Result<std::shared_ptr<ipc::Socket>> socket_of(Task& task, int32_t descriptor);

// The stream socket behind `descriptor`: the errors of socket_of(), and
// `eopnotsupp` for a socket of another type, as listen(2) and accept(2)
// return.
Result<std::shared_ptr<ipc::StreamSocket>> stream_socket_of(Task& task, int32_t descriptor);

// Copies in the socket address of bind(2), connect(2) or sendto(2):
// `einval` for a length outside 0 to sizeof(struct sockaddr_storage),
// `efault` for a bad pointer.
Result<std::vector<std::byte>> read_socket_address(uint64_t address, int32_t length);

// The sa_family of an address, or 0 (AF_UNSPEC) when it is shorter.
uint16_t family_of(std::span<const std::byte> bytes);

// Decodes a sockaddr_un that names a socket: `einval` unless it contains the
// family AF_UNIX and at least one byte of sun_path. A path ends at its
// first NUL; an abstract name is every byte after the leading NUL.
Result<ipc::SocketAddress> decode_unix_address(std::span<const std::byte> bytes);

// The sum of the lengths of `vectors`.
uint64_t total_length(const std::vector<GuestIovec>& vectors);

// Copies between `buffer` and the bytes of the guest iovecs that start
// `offset` bytes into them, in the direction `to_guest` gives.
Result<void> copy_vector_bytes(const std::vector<GuestIovec>& vectors, uint64_t offset,
                               std::span<std::byte> buffer, bool to_guest);

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
