// The names that Unix-domain sockets are bound to, and the listeners that
// connect(2) reaches through them. One table serves the whole sandbox: it
// lives in the kernel heap that forked guest processes share, so a client
// in one process finds a server in another.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>

#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::ipc {

class StreamListener;

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
  // `eaddrinuse` if another socket has bound it.
  Result<void> bind(const UnixNameKey& key, uint64_t owner);

  // Binds `owner` to a free abstract name of 5 lowercase hexadecimal
  // digits, as Linux's autobind does, and returns the name: `enospc` when
  // all 2^20 of them are taken.
  Result<std::string> bind_automatic(uint64_t owner);

  // Makes `listener` the socket that connect(2) to `key` reaches, while
  // `owner` has the name bound.
  void set_listener(const UnixNameKey& key, uint64_t owner, std::weak_ptr<StreamListener> listener);

  // The listener bound to `key`, or nullptr when no socket has bound the name
  // or the socket is not listening.
  std::shared_ptr<StreamListener> find_listener(const UnixNameKey& key);

  // Releases `key` if `owner` still has it bound.
  void release(const UnixNameKey& key, uint64_t owner);

 private:
  struct Binding {
    uint64_t owner = 0;
    std::weak_ptr<StreamListener> listener;  // expired until the owner listens
  };

  sync::Mutex lock_;
  std::map<UnixNameKey, Binding> bindings_;  // guarded by lock_
};

// The table of the sandbox, made during static initialization, before the
// guest's first fork.
UnixNameTable& unix_names();

}  // namespace litebox::ipc
