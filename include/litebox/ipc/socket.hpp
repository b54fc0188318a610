// The base of every socket, whatever its type: the open file description
// that socket(2) and socketpair(2) make, with its address family, owner,
// name and peer, and the options that Linux keeps per socket.
// StreamSocket (SOCK_STREAM) and DatagramSocket (SOCK_DGRAM) derive from
// it, so getsockname(2), getpeername(2), shutdown(2), getsockopt(2) and
// setsockopt(2) serve both.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "litebox/fd/file.hpp"
#include "litebox/ipc/inet_address.hpp"
#include "litebox/ipc/socket_address.hpp"
#include "litebox/result.hpp"

namespace litebox::ipc {

// shutdown(2) directions as the bits Linux keeps in sk_shutdown.
enum SocketShutdown : uint32_t {
  shutdown_receive = 1,
  shutdown_send = 2,
  shutdown_both = shutdown_receive | shutdown_send,
};

// The default SO_SNDBUF and SO_RCVBUF, Linux's net.core.wmem_default and
// rmem_default.
inline constexpr size_t default_socket_buffer_size = 212992;

// The default SO_SNDBUF and SO_RCVBUF of a TCP socket, the middle values
// of Linux's net.ipv4.tcp_wmem and tcp_rmem.
inline constexpr size_t default_tcp_send_buffer_size = 16384;
inline constexpr size_t default_tcp_receive_buffer_size = 131072;

// The SO_SNDBUF of a TCP socket once it is connected over loopback, unless
// the program set SO_SNDBUF itself. Linux grows the send buffer when the
// connection is set up (tcp_sndbuf_expand()) to hold its first congestion
// window of 64 KiB loopback segments. Linux 6.18 reports 3939840 on both
// ends, and a program can queue about that much before a send waits.
inline constexpr size_t loopback_tcp_send_buffer_size = 3939840;

// The smallest buffer sizes Linux grants through SO_SNDBUF and SO_RCVBUF
// (SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF on x86-64).
inline constexpr size_t min_send_buffer_size = 4608;
inline constexpr size_t min_receive_buffer_size = 2304;

// The process behind one end of a connection, which SO_PEERCRED reports to
// the other end: the creator of a socket pair, the client when it
// connected, or the server when it called listen(2).
struct SocketCredentials {
  int32_t pid = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// Per-call options of send(2) and recv(2).
struct SocketTransfer {
  bool non_blocking = false;  // MSG_DONTWAIT, or O_NONBLOCK on the description
  bool peek = false;          // MSG_PEEK: receive without consuming
  bool wait_all = false;      // MSG_WAITALL: receive until the buffer is full
};

// The open file descriptions that an SCM_RIGHTS control message passes
// over a Unix socket.
//
// Freeing the last reference to a socket frees the files queued on it,
// which may be sockets with queued files of their own, and a guest can
// build such a chain as long as it likes. So the destructor hands its
// files to release_in_flight_files(), which frees them one at a time in a
// loop instead of by recursion that could overflow the libOS stack.
// NOTE: a socket that travels in its own queue, or in a cycle of queues,
// is never freed, because no garbage collector breaks such cycles as
// Linux's does.
class FileRights : public std::vector<std::shared_ptr<fd::File>> {
 public:
  using vector::vector;
  FileRights() = default;
  FileRights(const FileRights&) = default;
  FileRights(FileRights&&) = default;
  FileRights& operator=(const FileRights&) = default;
  FileRights& operator=(FileRights&&) = default;
  ~FileRights();
};

// Drops `files`. Called while another call of it on this thread is freeing
// files, it only queues them for that call's loop.
void release_in_flight_files(std::vector<std::shared_ptr<fd::File>> files);

// The address family of a socket.
enum class SocketDomain : uint8_t { unix_domain, inet, inet6, netlink };

// The type of a socket: SOCK_STREAM or SOCK_DGRAM.
enum class SocketType : uint8_t { stream, datagram };

// Socket options that Linux keeps per socket but that change nothing in
// the sandbox, where no packet leaves a queue in memory. Their values are
// only stored, for getsockopt(2) to return.
enum class StoredOption : uint8_t {
  keep_alive,         // SO_KEEPALIVE
  reuse_port,         // SO_REUSEPORT, which bind(2) reads too
  tcp_no_delay,       // TCP_NODELAY
  tcp_keep_idle,      // TCP_KEEPIDLE, seconds
  tcp_keep_interval,  // TCP_KEEPINTVL, seconds
  tcp_keep_count,     // TCP_KEEPCNT
  broadcast,          // SO_BROADCAST
  count,
};

struct InetBinding;

class Socket : public fd::File {
 public:
  // A socket of `domain` and `type` made by the process `owner`; `flags`
  // contains the access mode and status flags.
  Socket(uint32_t flags, SocketCredentials owner, SocketDomain domain, SocketType type);

  Result<fs::Stat> stat() override;

  SocketDomain domain() const { return domain_; }
  SocketType type() const { return type_; }

  // The name getsockname(2) reports, and the peer's name that
  // getpeername(2) reports (`enotconn` unless connected).
  virtual SocketAddress address() = 0;
  virtual Result<SocketAddress> peer_address() = 0;

  // shutdown(2) with `directions` from SocketShutdown.
  virtual Result<void> shutdown(uint32_t directions) = 0;

  // SO_ACCEPTCONN.
  virtual bool is_listening() const { return false; }

  // SO_SNDBUF and SO_RCVBUF.
  virtual size_t send_buffer_size() = 0;
  virtual size_t receive_buffer_size() = 0;
  virtual void set_send_buffer_size(size_t size) = 0;
  virtual void set_receive_buffer_size(size_t size) = 0;

  // SO_PEERCRED: pid 0 with uid and gid -1 when there is no peer process
  // to report, as Linux reports.
  virtual SocketCredentials peer_credentials() = 0;

  // SO_ERROR: returns and clears the error waiting to be reported.
  virtual std::optional<Errno> take_pending_error() = 0;

  // IPV6_V6ONLY of an AF_INET6 socket: `einval` once the socket is bound,
  // as on Linux.
  bool ipv6_only() const { return ipv6_only_.load(std::memory_order_relaxed); }
  virtual Result<void> set_ipv6_only(bool only) = 0;

  // SO_REUSEADDR, which Linux keeps for every socket but which changes
  // nothing for Unix-domain ones.
  bool reuse_address() const { return reuse_address_.load(std::memory_order_relaxed); }
  void set_reuse_address(bool reuse) { reuse_address_.store(reuse, std::memory_order_relaxed); }

  int32_t stored_option(StoredOption option) const {
    return stored_options_[static_cast<size_t>(option)].load(std::memory_order_relaxed);
  }
  void set_stored_option(StoredOption option, int32_t value) {
    stored_options_[static_cast<size_t>(option)].store(value, std::memory_order_relaxed);
  }

 protected:
  bool is_non_blocking() const { return (flags() & fd::open_non_blocking) != 0; }

  // Checks the address of bind(2) of an Internet socket: `einval` for an
  // IPv4 address on an IPV6_V6ONLY socket, `eaddrnotavail` unless it is a
  // loopback or wildcard address.
  Result<void> check_bind_address(const InetAddress& address) const;

  // The entry of this Internet socket in a port table when it binds
  // `address`, with its options as bind(2) reads them.
  InetBinding inet_binding(const InetAddress& address) const;

  // Copies the options that accept(2) passes from a listener to `socket`.
  void copy_options_to(Socket& socket) const;

  const SocketCredentials owner_;
  const SocketDomain domain_;
  const SocketType type_;
  const uint64_t identity_;  // st_ino, and the owner number in the name and port tables
  std::atomic<bool> ipv6_only_{false};

 private:
  std::atomic<bool> reuse_address_{false};
  std::array<std::atomic<int32_t>, static_cast<size_t>(StoredOption::count)> stored_options_{};
};

}  // namespace litebox::ipc
