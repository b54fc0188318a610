// Descriptions of errno values as glibc 2.36's strerror(3) words them, for
// the `--trace` output.
#include "shim/linux/trace.hpp"

namespace litebox::shim::linux_abi {

std::string_view errno_description(Errno error) {
  switch (error) {
    case Errno::eperm:
      return "Operation not permitted";
    case Errno::enoent:
      return "No such file or directory";
    case Errno::esrch:
      return "No such process";
    case Errno::eintr:
      return "Interrupted system call";
    case Errno::eio:
      return "Input/output error";
    case Errno::enxio:
      return "No such device or address";
    case Errno::e2big:
      return "Argument list too long";
    case Errno::enoexec:
      return "Exec format error";
    case Errno::ebadf:
      return "Bad file descriptor";
    case Errno::echild:
      return "No child processes";
    case Errno::eagain:
      return "Resource temporarily unavailable";
    case Errno::enomem:
      return "Cannot allocate memory";
    case Errno::eacces:
      return "Permission denied";
    case Errno::efault:
      return "Bad address";
    case Errno::enotblk:
      return "Block device required";
    case Errno::ebusy:
      return "Device or resource busy";
    case Errno::eexist:
      return "File exists";
    case Errno::exdev:
      return "Invalid cross-device link";
    case Errno::enodev:
      return "No such device";
    case Errno::enotdir:
      return "Not a directory";
    case Errno::eisdir:
      return "Is a directory";
    case Errno::einval:
      return "Invalid argument";
    case Errno::enfile:
      return "Too many open files in system";
    case Errno::emfile:
      return "Too many open files";
    case Errno::enotty:
      return "Inappropriate ioctl for device";
    case Errno::etxtbsy:
      return "Text file busy";
    case Errno::efbig:
      return "File too large";
    case Errno::enospc:
      return "No space left on device";
    case Errno::espipe:
      return "Illegal seek";
    case Errno::erofs:
      return "Read-only file system";
    case Errno::emlink:
      return "Too many links";
    case Errno::epipe:
      return "Broken pipe";
    case Errno::edom:
      return "Numerical argument out of domain";
    case Errno::erange:
      return "Numerical result out of range";
    case Errno::edeadlk:
      return "Resource deadlock avoided";
    case Errno::enametoolong:
      return "File name too long";
    case Errno::enolck:
      return "No locks available";
    case Errno::enosys:
      return "Function not implemented";
    case Errno::enotempty:
      return "Directory not empty";
    case Errno::eloop:
      return "Too many levels of symbolic links";
    case Errno::enomsg:
      return "No message of desired type";
    case Errno::eidrm:
      return "Identifier removed";
    case Errno::enodata:
      return "No data available";
    case Errno::etime:
      return "Timer expired";
    case Errno::eoverflow:
      return "Value too large for defined data type";
    case Errno::ebadfd:
      return "File descriptor in bad state";
    case Errno::eilseq:
      return "Invalid or incomplete multibyte or wide character";
    case Errno::enotsock:
      return "Socket operation on non-socket";
    case Errno::edestaddrreq:
      return "Destination address required";
    case Errno::emsgsize:
      return "Message too long";
    case Errno::eprototype:
      return "Protocol wrong type for socket";
    case Errno::enoprotoopt:
      return "Protocol not available";
    case Errno::eprotonosupport:
      return "Protocol not supported";
    case Errno::esocktnosupport:
      return "Socket type not supported";
    case Errno::eopnotsupp:
      return "Operation not supported";
    case Errno::epfnosupport:
      return "Protocol family not supported";
    case Errno::eafnosupport:
      return "Address family not supported by protocol";
    case Errno::eaddrinuse:
      return "Address already in use";
    case Errno::eaddrnotavail:
      return "Cannot assign requested address";
    case Errno::enetdown:
      return "Network is down";
    case Errno::enetunreach:
      return "Network is unreachable";
    case Errno::enetreset:
      return "Network dropped connection on reset";
    case Errno::econnaborted:
      return "Software caused connection abort";
    case Errno::econnreset:
      return "Connection reset by peer";
    case Errno::enobufs:
      return "No buffer space available";
    case Errno::eisconn:
      return "Transport endpoint is already connected";
    case Errno::enotconn:
      return "Transport endpoint is not connected";
    case Errno::eshutdown:
      return "Cannot send after transport endpoint shutdown";
    case Errno::etimedout:
      return "Connection timed out";
    case Errno::econnrefused:
      return "Connection refused";
    case Errno::ehostdown:
      return "Host is down";
    case Errno::ehostunreach:
      return "No route to host";
    case Errno::ealready:
      return "Operation already in progress";
    case Errno::einprogress:
      return "Operation now in progress";
    case Errno::estale:
      return "Stale file handle";
    case Errno::edquot:
      return "Disk quota exceeded";
    case Errno::ecanceled:
      return "Operation canceled";
    case Errno::eownerdead:
      return "Owner died";
    case Errno::enotrecoverable:
      return "State not recoverable";
  }
  return "Unknown error";
}

}  // namespace litebox::shim::linux_abi
