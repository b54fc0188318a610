// The names that Unix-domain sockets are bound to, and the listeners that
// connect(2) or the datagram sockets that sendto(2) reaches through them.
// Sockets of all types share one namespace, as on Linux. One table serves the whole sandbox: it
// lives in the kernel heap that forked guest processes share, so a client
// in one process finds a server in another.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "litebox/fs/vfs.hpp"
#include "litebox/ipc/socket_address.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::ipc {

class StreamListener;
class DatagramQueue;

// A path name is keyed by its socket inode (st_dev and st_ino), so a
// rename or a second link reaches the same socket, and a new inode at an
// unlinked name does not.
struct SocketInodeKey {
  uint64_t device = 0;
  uint64_t inode = 0;
  auto operator<=>(const SocketInodeKey&) const = default;
};

// An abstract name is keyed by its bytes after the leading NUL.
using UnixNameKey = std::variant<std::string, SocketInodeKey>;

class UnixNameTable {
 public:
  // Binds `key` to the socket `owner` (a number unique to the socket):
  // `eaddrinuse` if another socket has bound it. Datagrams sent to the
  // name go to `receiver`, if given.
  Result<void> bind(const UnixNameKey& key, uint64_t owner,
                    std::weak_ptr<DatagramQueue> receiver = {});

  // Binds `owner` to a free abstract name of 5 lowercase hexadecimal
  // digits, as Linux's autobind does, and returns the name: `enospc` when
  // all 2^20 of them are taken.
  Result<std::string> bind_automatic(uint64_t owner,
                                     const std::weak_ptr<DatagramQueue>& receiver = {});

  // Makes `listener` the socket that connect(2) to `key` reaches, while
  // `owner` has the name bound.
  void set_listener(const UnixNameKey& key, uint64_t owner, std::weak_ptr<StreamListener> listener);

  // The listener bound to `key`, or nullptr when no socket has bound the name
  // or the socket is not listening.
  std::shared_ptr<StreamListener> find_listener(const UnixNameKey& key);

  // The datagram socket bound to `key`: `econnrefused` when no socket has
  // bound the name, `eprototype` when a socket of another type has.
  Result<std::shared_ptr<DatagramQueue>> find_receiver(const UnixNameKey& key);

  // Releases `key` if `owner` still has it bound.
  void release(const UnixNameKey& key, uint64_t owner);

 private:
  struct Binding {
    uint64_t owner = 0;
    std::weak_ptr<StreamListener> listener;  // expired until the owner listens
    std::weak_ptr<DatagramQueue> receiver;   // expired unless the owner is a datagram socket
  };

  sync::Mutex lock_;
  std::map<UnixNameKey, Binding> bindings_;  // guarded by lock_
};

// The table of the sandbox, made during static initialization, before the
// guest's first fork.
UnixNameTable& unix_names();

// The key of the name that a Unix socket bound as `address` holds, whose
// socket inode, for a path, is `inode`.
UnixNameKey unix_name_key(const SocketAddress& address, const SocketInodeKey& inode);

// bind(2) to `path` from `start`: creates a socket inode there with
// permissions 0777 less the umask and calls `hold` with its key. Removes
// the inode again if `hold` fails. `eaddrinuse` if the path exists, and
// the errors of the path walk.
Result<void> bind_socket_inode(fs::Vfs& vfs, const fs::PathContext& context,
                               const fs::Location& start, std::string_view path,
                               const std::function<Result<void>(const SocketInodeKey&)>& hold);

// The socket inode at `path` that connect(2) or sendto(2) reaches:
// `eacces` without write permission on it, `econnrefused` if it is no
// socket, and the errors of the path walk.
Result<SocketInodeKey> find_socket_inode(fs::Vfs& vfs, const fs::PathContext& context,
                                         const fs::Location& start, std::string_view path);

}  // namespace litebox::ipc
