// The name of a Unix-domain socket, the part of a sockaddr_un after its
// family.
#pragma once

#include <string>

namespace litebox::ipc {

struct UnixAddress {
  enum class Kind {
    unnamed,   // never bound: the address is the family alone
    path,      // bound to a socket inode in the file system
    abstract,  // bound in the abstract namespace (sun_path starts with NUL)
  };

  Kind kind = Kind::unnamed;
  // A path without its terminating NUL, or the bytes of an abstract name
  // after the leading NUL (they may contain NULs themselves).
  std::string name;

  bool operator==(const UnixAddress&) const = default;
};

}  // namespace litebox::ipc
