// Errno: the error numbers of the North API, with the values Linux uses on
// x86-64. Other ABIs map from these at their shim. The enumerators are the
// lowercase Linux names (`Errno::enoent`) because <cerrno> defines the
// uppercase ones as macros.
#pragma once

#include <cstdint>
#include <string_view>

namespace litebox {

enum class Errno : int32_t {
  eperm = 1,
  enoent = 2,
  esrch = 3,
  eintr = 4,
  eio = 5,
  enxio = 6,
  e2big = 7,
  enoexec = 8,
  ebadf = 9,
  echild = 10,
  eagain = 11,
  enomem = 12,
  eacces = 13,
  efault = 14,
  enotblk = 15,
  ebusy = 16,
  eexist = 17,
  exdev = 18,
  enodev = 19,
  enotdir = 20,
  eisdir = 21,
  einval = 22,
  enfile = 23,
  emfile = 24,
  enotty = 25,
  etxtbsy = 26,
  efbig = 27,
  enospc = 28,
  espipe = 29,
  erofs = 30,
  emlink = 31,
  epipe = 32,
  edom = 33,
  erange = 34,
  edeadlk = 35,
  enametoolong = 36,
  enolck = 37,
  enosys = 38,
  enotempty = 39,
  eloop = 40,
  enomsg = 42,
  eidrm = 43,
  enodata = 61,
  etime = 62,
  eoverflow = 75,
  ebadfd = 77,
  eilseq = 84,
  enotsock = 88,
  edestaddrreq = 89,
  emsgsize = 90,
  eprototype = 91,
  enoprotoopt = 92,
  eprotonosupport = 93,
  esocktnosupport = 94,
  eopnotsupp = 95,
  epfnosupport = 96,
  eafnosupport = 97,
  eaddrinuse = 98,
  eaddrnotavail = 99,
  enetdown = 100,
  enetunreach = 101,
  enetreset = 102,
  econnaborted = 103,
  econnreset = 104,
  enobufs = 105,
  eisconn = 106,
  enotconn = 107,
  eshutdown = 108,
  etimedout = 110,
  econnrefused = 111,
  ehostdown = 112,
  ehostunreach = 113,
  ealready = 114,
  einprogress = 115,
  estale = 116,
  edquot = 122,
  ecanceled = 125,
  eownerdead = 130,
  enotrecoverable = 131,
};

// EWOULDBLOCK and EAGAIN are the same number on Linux.
inline constexpr Errno ewouldblock = Errno::eagain;
// ENOTSUP and EOPNOTSUPP are the same number on Linux.
inline constexpr Errno enotsup = Errno::eopnotsupp;

// Returns the symbolic name ("ENOENT"), or "E?" for a value not listed above.
std::string_view errno_name(Errno error);

// Returns the positive Linux number of an errno.
constexpr int32_t errno_value(Errno error) { return static_cast<int32_t>(error); }

}  // namespace litebox
