// The data path of datagram sockets for sendto(2), sendmsg(2),
// recvfrom(2) and recvmsg(2): one whole datagram per call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "litebox/ipc/datagram_socket.hpp"
#include "litebox/result.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

// The maximum length of a datagram on any socket: a Unix datagram fits the largest
// SO_SNDBUF an unprivileged process gets (twice net.core.wmem_max), and a
// UDP one is far shorter. Longer sends fail before a buffer is allocated.
inline constexpr uint64_t max_datagram_length = 2 * uint64_t{212992};

// Sends the bytes of `vectors` as one datagram to the socket address
// `destination`, or to the connected peer without one. `emsgsize` when
// the datagram is too long for the socket.
Result<uint64_t> send_datagram(Task& task, ipc::DatagramSocket& socket,
                               const std::vector<GuestIovec>& vectors,
                               const std::optional<std::vector<std::byte>>& destination,
                               ipc::SocketTransfer options, ipc::FileRights rights = {});

struct ReceivedMessage {
  uint64_t count = 0;             // what the call returns
  bool truncated = false;         // the datagram was longer than the buffers: MSG_TRUNC
  std::vector<std::byte> source;  // the sender's socket address, empty when unnamed
};

// Receives one datagram into `vectors`. The call returns the bytes copied,
// or the datagram's whole length with `report_length` (MSG_TRUNC). Files
// passed with it go to `rights`, or are closed when it is null.
Result<ReceivedMessage> receive_datagram(ipc::DatagramSocket& socket,
                                         const std::vector<GuestIovec>& vectors,
                                         ipc::SocketTransfer options, bool report_length,
                                         ipc::FileRights* rights = nullptr);

}  // namespace litebox::shim::linux_abi
