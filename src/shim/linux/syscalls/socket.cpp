// Socket system calls that move data and options of Unix-domain, TCP and
// UDP sockets: socketpair, shutdown, sendto, recvfrom, sendmsg, recvmsg,
// getsockopt and setsockopt. socket_connection.cpp makes and connects
// named sockets, and socket_datagram.cpp moves datagrams.
// socket_control.cpp reads and writes their control messages.
// TODO: sequenced-packet sockets.
#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <vector>

#include "litebox/ipc/datagram_socket.hpp"
#include "litebox/ipc/stream_socket.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/syscalls/file_support.hpp"
#include "shim/linux/syscalls/socket_control.hpp"
#include "shim/linux/syscalls/socket_datagram.hpp"
#include "shim/linux/syscalls/socket_netlink.hpp"
#include "shim/linux/syscalls/socket_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

// shutdown(2) `how` values.
constexpr int32_t shut_read = 0;
constexpr int32_t shut_read_write = 2;

// send(2) and recv(2) flags.
constexpr uint32_t msg_out_of_band = 0x1;
constexpr uint32_t msg_peek = 0x2;
constexpr uint32_t msg_truncate = 0x20;
constexpr uint32_t msg_dont_wait = 0x40;
constexpr uint32_t msg_wait_all = 0x100;

// getsockopt(2) and setsockopt(2) at SOL_SOCKET.
constexpr int32_t so_type = 3;
constexpr int32_t so_reuse_address = 2;
constexpr int32_t so_error = 4;
constexpr int32_t so_send_buffer = 7;
constexpr int32_t so_receive_buffer = 8;
constexpr int32_t so_broadcast = 6;
constexpr int32_t so_keep_alive = 9;
constexpr int32_t so_reuse_port = 15;
constexpr int32_t so_peer_credentials = 17;
constexpr int32_t so_accept_connections = 30;
constexpr int32_t so_protocol = 38;
constexpr int32_t so_domain = 39;

// getsockopt(2) and setsockopt(2) at IPPROTO_TCP and IPPROTO_IPV6.
constexpr int32_t tcp_no_delay = 1;
constexpr int32_t tcp_keep_idle = 4;
constexpr int32_t tcp_keep_interval = 5;
constexpr int32_t tcp_keep_count = 6;
constexpr int32_t ipproto_ipv6 = 41;
constexpr int32_t ipv6_v6only = 26;

// The largest TCP_KEEPIDLE and TCP_KEEPINTVL (MAX_TCP_KEEPIDLE) and
// TCP_KEEPCNT (MAX_TCP_KEEPCNT) that Linux takes.
constexpr int32_t max_tcp_keep_seconds = 32767;
constexpr int32_t max_tcp_keep_count = 127;

// net.core.wmem_max and rmem_max: the largest SO_SNDBUF and SO_RCVBUF value
// a caller without CAP_NET_ADMIN may request (Linux doubles it).
constexpr uint32_t max_requested_buffer_size = 212992;

// struct msghdr on x86-64.
struct LinuxMessageHeader {
  uint64_t name;
  uint32_t name_length;
  uint32_t padding0;
  uint64_t iov;
  uint64_t iov_count;
  uint64_t control;
  uint64_t control_length;
  uint32_t flags;
  uint32_t padding1;
};
static_assert(sizeof(LinuxMessageHeader) == 56);

// The sender's address that recvfrom(2) and recvmsg(2) report: the
// peer's name, or no bytes at all when the peer is unnamed or the socket is
// a TCP socket, as Linux reports it.
std::vector<std::byte> source_address(ipc::StreamSocket& socket) {
  if (socket.domain() != ipc::SocketDomain::unix_domain) {
    return {};
  }
  auto peer = socket.peer_address();
  if (!peer || peer->kind == ipc::SocketAddress::Kind::unnamed) {
    return {};
  }
  return encode_unix_address(*peer);
}

// Checks a send(2) that names a destination. A Unix stream socket takes
// none when connected and cannot send to a name otherwise. TCP ignores it,
// as Linux does without MSG_FASTOPEN.
Result<void> check_destination(ipc::StreamSocket& socket) {
  if (socket.domain() != ipc::SocketDomain::unix_domain) {
    return {};
  }
  return fail(socket.is_connected() ? Errno::eisconn : Errno::eopnotsupp);
}

Result<uint64_t> sys_socketpair(Task& task, const SyscallArguments& arguments) {
  SocketRequest request = TRY(decode_socket_request(arguments));
  // Internet sockets exist but cannot be made in pairs.
  if (request.domain == af_inet || request.domain == af_inet6) {
    return fail(Errno::eopnotsupp);
  }
  if (request.domain != af_unix) {
    return fail(Errno::eafnosupport);
  }
  TRY_VOID(check_unix_socket_type(request));
  if (request.type == sock_seqpacket) {
    // TODO: sequenced-packet pairs.
    return fail(Errno::eopnotsupp);
  }
  const uint32_t flags = request.flags;

  Process& process = task.process();
  ipc::SocketCredentials creator = socket_credentials_of(task);
  uint32_t status_flags = (flags & sock_non_blocking) != 0 ? uint32_t{fd::open_non_blocking} : 0;
  std::array<std::shared_ptr<ipc::Socket>, 2> pair;
  if (request.type == sock_stream) {
    ipc::UnixSocketPair stream_pair = TRY(ipc::create_unix_stream_pair(status_flags, creator));
    pair = {stream_pair.first, stream_pair.second};
  } else {
    // SOCK_RAW means SOCK_DGRAM for Unix sockets, as on Linux.
    uint32_t file_flags = fd::open_read_write | status_flags;
    auto first =
        std::make_shared<ipc::DatagramSocket>(file_flags, creator, ipc::SocketDomain::unix_domain);
    auto second =
        std::make_shared<ipc::DatagramSocket>(file_flags, creator, ipc::SocketDomain::unix_domain);
    ipc::DatagramSocket::connect_pair(*first, *second, creator);
    pair = {first, second};
  }

  bool close_on_exec = (flags & sock_close_on_exec) != 0;
  fd::DescriptorTable& descriptors = process.descriptors();
  int first = TRY(descriptors.allocate(pair[0], close_on_exec));
  auto second = descriptors.allocate(pair[1], close_on_exec);
  if (!second) {
    (void)descriptors.close(first);
    return fail(second.error());
  }

  std::array<int32_t, 2> numbers{first, *second};
  if (auto written = GuestPtr<int32_t>(arguments[3]).write_array(numbers); !written) {
    (void)descriptors.close(first);
    (void)descriptors.close(*second);
    return fail(written.error());
  }
  return 0;
}

Result<uint64_t> sys_shutdown(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  const int32_t how = arguments.as_int(1);
  if (how < shut_read || how > shut_read_write) {
    return fail(Errno::einval);
  }

  // SHUT_RD, SHUT_WR and SHUT_RDWR are 0, 1 and 2; the directions are the
  // bits of how + 1.
  TRY_VOID(socket->shutdown(static_cast<uint32_t>(how + 1)));
  return 0;
}

// The most bytes one step of sendmsg or recvmsg moves through a bounce
// buffer. It exceeds the largest queue a socket pair can hold (twice
// net.core.wmem_max), so one step receives everything queued.
constexpr size_t transfer_step = 1 << 20;

// Sends the bytes of the guest iovecs in order, one bounce buffer at a
// time. It stops at the first short send, and an error after some bytes
// went returns the count so far, as Linux does.
Result<uint64_t> send_vectors(ipc::StreamSocket& socket, const std::vector<GuestIovec>& vectors,
                              ipc::SocketTransfer options, ipc::FileRights rights) {
  const uint64_t length = std::min(total_length(vectors), max_transfer);
  std::vector<std::byte> buffer(std::min<uint64_t>(length, transfer_step));

  uint64_t sent = 0;
  do {
    std::span<std::byte> chunk(buffer.data(), std::min<uint64_t>(buffer.size(), length - sent));
    Result<size_t> count = fail(Errno::efault);
    if (auto copied = copy_vector_bytes(vectors, sent, chunk, false); copied) {
      // The files travel with the first chunk.
      count = socket.send(chunk, options, std::move(rights));
      rights = ipc::FileRights{};
    } else {
      count = fail(copied.error());
    }
    if (!count) {
      if (sent != 0) {
        break;
      }
      return fail(count.error());
    }
    sent += *count;
    if (*count < chunk.size()) {
      break;
    }
  } while (sent < length);
  return sent;
}

// Receives into the guest iovecs in order. Without MSG_WAITALL one step
// takes everything queued; with it the steps go on until the iovecs are
// full or a step comes back short.
Result<uint64_t> receive_vectors(ipc::StreamSocket& socket, const std::vector<GuestIovec>& vectors,
                                 ipc::SocketTransfer options, ipc::FileRights* rights) {
  const uint64_t length = std::min(total_length(vectors), max_transfer);
  std::vector<std::byte> buffer(std::min<uint64_t>(length, transfer_step));

  uint64_t received = 0;
  do {
    std::span<std::byte> chunk(buffer.data(), std::min<uint64_t>(buffer.size(), length - received));
    Result<size_t> count = socket.receive(chunk, options, rights);
    if (!count) {
      if (received != 0) {
        break;
      }
      return fail(count.error());
    }
    TRY_VOID(copy_vector_bytes(vectors, received, chunk.first(*count), true));
    received += *count;
    if (!options.wait_all || options.peek || *count < chunk.size()) {
      break;
    }
  } while (received < length);
  return received;
}

// The send(2) options that `flags` select, or `eopnotsupp` for MSG_OOB.
// Other flags (MSG_NOSIGNAL, which the signal code reads itself, MSG_MORE,
// MSG_EOR) change nothing on a Unix stream socket.
Result<ipc::SocketTransfer> send_options(uint32_t flags) {
  if ((flags & msg_out_of_band) != 0) {
    // TODO: out-of-band data on Unix stream sockets (Linux 5.15 and later).
    return fail(Errno::eopnotsupp);
  }
  return ipc::SocketTransfer{.non_blocking = (flags & msg_dont_wait) != 0};
}

Result<ipc::SocketTransfer> receive_options(uint32_t flags) {
  if ((flags & msg_out_of_band) != 0) {
    // TODO: out-of-band data on Unix stream sockets (Linux 5.15 and later).
    return fail(Errno::einval);
  }
  return ipc::SocketTransfer{.non_blocking = (flags & msg_dont_wait) != 0,
                             .peek = (flags & msg_peek) != 0,
                             .wait_all = (flags & msg_wait_all) != 0};
}

// sendto(2) and sendmsg(2) of a netlink socket, which serves the request
// at once. Only the kernel (port id 0) receives.
Result<uint64_t> send_netlink(NetlinkRouteSocket& socket, const std::vector<GuestIovec>& vectors,
                              const std::optional<std::vector<std::byte>>& destination) {
  if (destination && !destination->empty()) {
    NetlinkAddress address = TRY(decode_netlink_address(*destination));
    if (address.port != 0) {
      return fail(Errno::econnrefused);
    }
  }
  const uint64_t length = total_length(vectors);
  if (length > max_datagram_length) {
    return fail(Errno::emsgsize);
  }
  std::vector<std::byte> data(length);
  TRY_VOID(copy_vector_bytes(vectors, 0, data, false));
  return TRY(socket.send(data));
}

// recvfrom(2) and recvmsg(2) of a netlink socket: one datagram of replies,
// from the kernel.
Result<ReceivedMessage> receive_netlink(NetlinkRouteSocket& socket,
                                        const std::vector<GuestIovec>& vectors,
                                        ipc::SocketTransfer options, bool report_length) {
  std::vector<std::byte> datagram = TRY(socket.receive(options));
  const uint64_t copied = std::min<uint64_t>(total_length(vectors), datagram.size());
  TRY_VOID(copy_vector_bytes(vectors, 0, std::span(datagram).first(copied), true));
  return ReceivedMessage{.count = report_length ? datagram.size() : copied,
                         .truncated = datagram.size() > copied,
                         .source = encode_netlink_address(NetlinkAddress{})};
}

// One sendto(2) or sendmsg(2) on a socket of either type, to
// `destination` or, without one, to the connected peer.
Result<uint64_t> send_message(Task& task, ipc::Socket& socket,
                              const std::vector<GuestIovec>& vectors,
                              const std::optional<std::vector<std::byte>>& destination,
                              uint32_t flags, ipc::FileRights rights = {}) {
  ipc::SocketTransfer options = TRY(send_options(flags));
  if (auto* netlink = as_netlink(socket)) {
    return send_netlink(*netlink, vectors, destination);
  }
  if (auto* datagram = dynamic_cast<ipc::DatagramSocket*>(&socket)) {
    return send_datagram(task, *datagram, vectors, destination, options, std::move(rights));
  }
  auto& stream = static_cast<ipc::StreamSocket&>(socket);
  if (destination && !destination->empty()) {
    TRY_VOID(check_destination(stream));
  }
  return send_vectors(stream, vectors, options, std::move(rights));
}

// One recvfrom(2) or recvmsg(2) on a socket of either type. Files passed
// with the data go to `rights`, or are closed when it is null.
Result<ReceivedMessage> receive_message(ipc::Socket& socket, const std::vector<GuestIovec>& vectors,
                                        uint32_t flags, ipc::FileRights* rights = nullptr) {
  ipc::SocketTransfer options = TRY(receive_options(flags));
  if (auto* netlink = as_netlink(socket)) {
    return receive_netlink(*netlink, vectors, options, (flags & msg_truncate) != 0);
  }
  if (auto* datagram = dynamic_cast<ipc::DatagramSocket*>(&socket)) {
    return receive_datagram(*datagram, vectors, options, (flags & msg_truncate) != 0, rights);
  }
  auto& stream = static_cast<ipc::StreamSocket&>(socket);
  uint64_t count = TRY(receive_vectors(stream, vectors, options, rights));
  return ReceivedMessage{.count = count, .truncated = false, .source = source_address(stream)};
}

Result<uint64_t> sys_sendto(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  const uint64_t address = arguments[4];
  std::optional<std::vector<std::byte>> destination;
  if (address != 0) {
    destination = TRY(read_socket_address(address, arguments.as_int(5)));
  }

  std::vector<GuestIovec> vectors{GuestIovec{arguments[1], arguments[2]}};
  return send_message(task, *socket, vectors, destination, arguments.as_uint(3));
}

Result<uint64_t> sys_recvfrom(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  const uint64_t address = arguments[4];

  std::vector<GuestIovec> vectors{GuestIovec{arguments[1], arguments[2]}};
  ReceivedMessage received = TRY(receive_message(*socket, vectors, arguments.as_uint(3)));
  // As on Linux, a bad length fails the call after the data was received.
  if (address != 0) {
    TRY_VOID(write_address(address, arguments[5], received.source));
  }
  return received.count;
}

// Reads the iovec array of a msghdr: `emsgsize` beyond UIO_MAXIOV entries.
Result<std::vector<GuestIovec>> message_vectors(const LinuxMessageHeader& header) {
  if (header.iov_count > max_iovec_count) {
    return fail(Errno::emsgsize);
  }
  return read_guest_iovecs(header.iov, header.iov_count);
}

Result<uint64_t> sys_sendmsg(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  LinuxMessageHeader header = TRY(GuestPtr<LinuxMessageHeader>(arguments[1]).read());
  if (static_cast<int32_t>(header.name_length) < 0) {
    return fail(Errno::einval);
  }
  // Linux ignores a name of length 0 and cuts a longer one to the size
  // of sockaddr_storage.
  std::optional<std::vector<std::byte>> destination;
  if (header.name != 0 && header.name_length != 0) {
    auto length = std::min<int32_t>(static_cast<int32_t>(header.name_length), max_address_length);
    destination = TRY(read_socket_address(header.name, length));
  }
  auto vectors = TRY(message_vectors(header));
  ipc::FileRights rights;
  if (header.control_length != 0) {
    if (socket->domain() != ipc::SocketDomain::unix_domain) {
      // TODO: control messages of TCP and UDP sockets (IP_TOS, ...).
      return fail(Errno::eopnotsupp);
    }
    rights = TRY(read_control_messages(task, header.control, header.control_length));
  }

  return send_message(task, *socket, vectors, destination, arguments.as_uint(2), std::move(rights));
}

Result<uint64_t> sys_recvmsg(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  GuestPtr<LinuxMessageHeader> header_pointer(arguments[1]);
  LinuxMessageHeader header = TRY(header_pointer.read());
  auto vectors = TRY(message_vectors(header));

  const uint32_t flags = arguments.as_uint(2);
  ipc::FileRights rights;
  ReceivedMessage received = TRY(receive_message(*socket, vectors, flags, &rights));
  bool close_on_exec = (flags & msg_control_close_on_exec) != 0;
  ControlWritten control = TRY(
      write_rights(task, header.control, header.control_length, std::move(rights), close_on_exec));

  // Linux writes back the name length (only when there is a name buffer),
  // the control length and the flags.
  if (header.name != 0) {
    if (static_cast<int32_t>(header.name_length) < 0) {
      return fail(Errno::einval);
    }
    size_t copied = std::min<size_t>(header.name_length, received.source.size());
    TRY_VOID(copy_to_guest(header.name, std::span(received.source).first(copied)));
    header.name_length = static_cast<uint32_t>(received.source.size());
  }
  header.control_length = control.length;
  // As on Linux, msg_flags repeats MSG_CMSG_CLOEXEC of the call.
  header.flags = (flags & msg_control_close_on_exec) | (received.truncated ? msg_truncate : 0) |
                 (control.truncated ? msg_control_truncated : 0);
  TRY_VOID(header_pointer.write(header));
  return received.count;
}

// Copies an option value out as getsockopt(2) does: at most `*length`
// bytes of it, then the copied size back into `*length`.
Result<uint64_t> write_option(uint64_t value_address, uint64_t length_address,
                              std::span<const std::byte> value) {
  int32_t length = TRY(GuestPtr<int32_t>(length_address).read());
  if (length < 0) {
    return fail(Errno::einval);
  }
  size_t copied = std::min(static_cast<size_t>(length), value.size());
  TRY_VOID(copy_to_guest(value_address, value.first(copied)));
  TRY_VOID(GuestPtr<int32_t>(length_address).write(static_cast<int32_t>(copied)));
  return 0;
}

template <typename T>
Result<uint64_t> write_option(uint64_t value_address, uint64_t length_address, const T& value) {
  return write_option(value_address, length_address, std::as_bytes(std::span(&value, 1)));
}

int32_t domain_number(ipc::SocketDomain domain) {
  switch (domain) {
    case ipc::SocketDomain::inet:
      return af_inet;
    case ipc::SocketDomain::inet6:
      return af_inet6;
    case ipc::SocketDomain::netlink:
      return af_netlink;
    case ipc::SocketDomain::unix_domain:
      break;
  }
  return af_unix;
}

bool is_tcp(const ipc::Socket& socket) {
  return socket.domain() != ipc::SocketDomain::unix_domain &&
         socket.type() == ipc::SocketType::stream;
}

// The SO_PROTOCOL of `socket`: IPPROTO_TCP, IPPROTO_UDP, or 0 for a Unix
// socket.
int32_t protocol_number(const ipc::Socket& socket) {
  if (socket.domain() == ipc::SocketDomain::unix_domain) {
    return 0;
  }
  if (socket.domain() == ipc::SocketDomain::netlink) {
    return netlink_route;
  }
  return socket.type() == ipc::SocketType::stream ? ipproto_tcp : ipproto_udp;
}

// The StoredOption that `option` at `level` names on `socket`, if any.
std::optional<ipc::StoredOption> stored_option_of(ipc::Socket& socket, int32_t level,
                                                  int32_t option) {
  if (level == sol_socket) {
    switch (option) {
      case so_keep_alive:
        return ipc::StoredOption::keep_alive;
      case so_reuse_port:
        return ipc::StoredOption::reuse_port;
      case so_broadcast:
        return ipc::StoredOption::broadcast;
      default:
        return std::nullopt;
    }
  }
  if (level != ipproto_tcp || !is_tcp(socket)) {
    return std::nullopt;
  }
  switch (option) {
    case tcp_no_delay:
      return ipc::StoredOption::tcp_no_delay;
    case tcp_keep_idle:
      return ipc::StoredOption::tcp_keep_idle;
    case tcp_keep_interval:
      return ipc::StoredOption::tcp_keep_interval;
    case tcp_keep_count:
      return ipc::StoredOption::tcp_keep_count;
    default:
      return std::nullopt;
  }
}

// Returns the error for an option that neither call supports. Unix sockets
// have no options of their own below SOL_SOCKET, and UDP sockets pass
// IPPROTO_TCP to the IP layer, which rejects other levels than its own.
Errno unknown_option_error(ipc::Socket& socket, int32_t level) {
  if (level != sol_socket && socket.domain() == ipc::SocketDomain::unix_domain) {
    return Errno::eopnotsupp;
  }
  if (level == ipproto_tcp && !is_tcp(socket)) {
    return Errno::eopnotsupp;
  }
  // TODO: the other SOL_SOCKET options (SO_PASSCRED, SO_RCVLOWAT, ...) and
  // the IPPROTO_IP, IPPROTO_IPV6 and IPPROTO_TCP options not handled here.
  return Errno::enoprotoopt;
}

Result<uint64_t> sys_getsockopt(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  const int32_t level = arguments.as_int(1);
  const int32_t option = arguments.as_int(2);
  const uint64_t value_address = arguments[3];
  const uint64_t length_address = arguments[4];

  if (auto stored = stored_option_of(*socket, level, option)) {
    return write_option(value_address, length_address, socket->stored_option(*stored));
  }
  if (level == ipproto_ipv6 && option == ipv6_v6only &&
      socket->domain() == ipc::SocketDomain::inet6) {
    return write_option(value_address, length_address, int32_t{socket->ipv6_only()});
  }
  if (level != sol_socket) {
    return fail(unknown_option_error(*socket, level));
  }

  const uint32_t type = socket->type() == ipc::SocketType::stream ? sock_stream : sock_datagram;
  switch (option) {
    case so_type:
      return write_option(value_address, length_address, static_cast<int32_t>(type));
    case so_domain:
      return write_option(value_address, length_address, domain_number(socket->domain()));
    case so_protocol:
      return write_option(value_address, length_address, protocol_number(*socket));
    case so_accept_connections:
      return write_option(value_address, length_address, int32_t{socket->is_listening()});
    case so_reuse_address:
      return write_option(value_address, length_address, int32_t{socket->reuse_address()});
    case so_error: {
      auto error = socket->take_pending_error();
      auto value = error ? static_cast<int32_t>(*error) : 0;
      return write_option(value_address, length_address, value);
    }
    case so_send_buffer:
      return write_option(value_address, length_address,
                          static_cast<int32_t>(socket->send_buffer_size()));
    case so_receive_buffer:
      return write_option(value_address, length_address,
                          static_cast<int32_t>(socket->receive_buffer_size()));
    case so_peer_credentials: {
      ipc::SocketCredentials peer = socket->peer_credentials();
      return write_option(value_address, length_address,
                          LinuxCredentials{peer.pid, peer.uid, peer.gid});
    }
    default:
      return fail(unknown_option_error(*socket, level));
  }
}

// Checks a TCP option value as Linux does: `einval` outside its range.
Result<void> check_stored_value(ipc::StoredOption option, int32_t value) {
  switch (option) {
    case ipc::StoredOption::tcp_keep_idle:
    case ipc::StoredOption::tcp_keep_interval:
      return value < 1 || value > max_tcp_keep_seconds ? fail(Errno::einval) : Result<void>{};
    case ipc::StoredOption::tcp_keep_count:
      return value < 1 || value > max_tcp_keep_count ? fail(Errno::einval) : Result<void>{};
    default:
      return {};
  }
}

Result<uint64_t> sys_setsockopt(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  const int32_t level = arguments.as_int(1);
  const int32_t option = arguments.as_int(2);
  const int32_t length = arguments.as_int(4);
  auto stored = stored_option_of(*socket, level, option);
  const bool ipv6_only_option = level == ipproto_ipv6 && option == ipv6_v6only &&
                                socket->domain() == ipc::SocketDomain::inet6;
  const bool known =
      stored || ipv6_only_option ||
      (level == sol_socket &&
       (option == so_send_buffer || option == so_receive_buffer || option == so_reuse_address));
  if (!known) {
    return fail(unknown_option_error(*socket, level));
  }
  if (length < static_cast<int32_t>(sizeof(int32_t))) {
    return fail(Errno::einval);
  }
  auto value = TRY(GuestPtr<int32_t>(arguments[3]).read());

  if (stored) {
    TRY_VOID(check_stored_value(*stored, value));
    // Flags are stored as 0 or 1, as Linux returns them.
    bool flag =
        *stored == ipc::StoredOption::keep_alive || *stored == ipc::StoredOption::reuse_port ||
        *stored == ipc::StoredOption::broadcast || *stored == ipc::StoredOption::tcp_no_delay;
    socket->set_stored_option(*stored, flag ? int32_t{value != 0} : value);
    return 0;
  }
  if (ipv6_only_option) {
    TRY_VOID(socket->set_ipv6_only(value != 0));
    return 0;
  }
  if (option == so_reuse_address) {
    socket->set_reuse_address(value != 0);
    return 0;
  }

  // Linux compares the request as unsigned, so a negative one gets the
  // maximum, and stores twice the value to allow for bookkeeping.
  auto requested = static_cast<uint32_t>(value);
  size_t size = size_t{std::min(requested, max_requested_buffer_size)} * 2;
  if (option == so_send_buffer) {
    socket->set_send_buffer_size(size);
  } else {
    socket->set_receive_buffer_size(size);
  }
  return 0;
}

}  // namespace

void register_socket_syscalls(SyscallTable& table) {
  table.add(nr::socketpair, sys_socketpair);
  table.add(nr::shutdown, sys_shutdown);
  table.add(nr::sendto, sys_sendto);
  table.add(nr::recvfrom, sys_recvfrom);
  table.add(nr::sendmsg, sys_sendmsg);
  table.add(nr::recvmsg, sys_recvmsg);
  table.add(nr::getsockopt, sys_getsockopt);
  table.add(nr::setsockopt, sys_setsockopt);
}

}  // namespace litebox::shim::linux_abi
