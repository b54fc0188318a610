// The name of a stream socket: the part of a sockaddr_un after its family,
// or the IP address and port of an Internet socket.
#pragma once

#include <string>

#include "litebox/ipc/inet_address.hpp"

namespace litebox::ipc {

struct SocketAddress {
  enum class Kind {
    unnamed,   // never bound: the address is the family alone
    path,      // bound to a socket inode in the file system
    abstract,  // bound in the abstract namespace (sun_path starts with NUL)
    inet,      // an AF_INET or AF_INET6 socket, named by `inet`
  };

  Kind kind = Kind::unnamed;
  // A path without its terminating NUL, or the bytes of an abstract name
  // after the leading NUL (they may contain NULs themselves).
  std::string name;
  InetAddress inet;

  bool operator==(const SocketAddress&) const = default;
};

}  // namespace litebox::ipc
