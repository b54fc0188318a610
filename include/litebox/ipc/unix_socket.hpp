// Connected Unix-domain stream sockets, the pair that socketpair(2) makes.
//
// It follows Linux (net/unix). Each end has a receive queue that the other
// end fills. shutdown(2) of one direction also shuts the matching
// direction of the peer, and closing an end shuts both directions of the
// other. A read on a shut-down direction returns 0 once the queue is
// empty, and a send fails with EPIPE (the shim raises SIGPIPE unless
// MSG_NOSIGNAL is set). A sender may have up to its send buffer size
// (SO_SNDBUF, 212992 bytes by default) queued at its peer before it waits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/file.hpp"
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

// The process that made a socket pair, reported by SO_PEERCRED on both ends.
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

class UnixStreamConnection;

// One end of a connected pair: an open file description of type socket.
class UnixStreamSocket final : public fd::File {
 public:
  UnixStreamSocket(std::shared_ptr<UnixStreamConnection> connection, size_t side, uint32_t flags);
  ~UnixStreamSocket() override;

  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> write(std::span<const std::byte> data) override;
  Result<fs::Stat> stat() override;
  uint32_t poll_events() override;
  event::Pollable* pollable() override;
  Result<size_t> bytes_available() override;

  // send(2): queues `data` at the peer. A blocking send returns once all
  // of it is queued, or with the count so far when a wait ends early.
  Result<size_t> send(std::span<const std::byte> data, SocketTransfer options);

  // recv(2): returns queued bytes, waiting for at least one unless the end
  // is non-blocking (`eagain`). Returns 0 once the receive direction is
  // shut down and the queue is empty.
  Result<size_t> receive(std::span<std::byte> buffer, SocketTransfer options);

  // shutdown(2) with `directions` from SocketShutdown.
  void shutdown(uint32_t directions);

  // SO_SNDBUF and SO_RCVBUF.
  size_t send_buffer_size();
  size_t receive_buffer_size();
  void set_send_buffer_size(size_t size);
  void set_receive_buffer_size(size_t size);

  SocketCredentials peer_credentials() const;

  // SO_ERROR: returns and clears the error waiting to be reported
  // (ECONNRESET when the peer closed with unread data).
  std::optional<Errno> take_pending_error();

 private:
  bool is_non_blocking() const { return (flags() & fd::open_non_blocking) != 0; }

  std::shared_ptr<UnixStreamConnection> connection_;
  size_t side_;  // 0 or 1: this end's index in the connection
};

struct UnixSocketPair {
  std::shared_ptr<UnixStreamSocket> first;
  std::shared_ptr<UnixStreamSocket> second;
};

// socketpair(AF_UNIX, SOCK_STREAM): two connected ends. `flags` may contain
// fd::open_non_blocking, which both ends get; anything else is `einval`.
Result<UnixSocketPair> create_unix_stream_pair(uint32_t flags, SocketCredentials creator);

}  // namespace litebox::ipc
