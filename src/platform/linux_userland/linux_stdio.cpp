// The Stdio part of LinuxUserlandPlatform: the sandbox's standard streams
// are the host process's descriptors 0, 1 and 2, which the seccomp filter
// lets the libOS use with the requests that docs/security.md lists.
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

#include "host_request_limits.hpp"
#include "linux_userland_platform.hpp"
#include "signal_handlers.hpp"

namespace litebox::platform::linux_userland {

namespace {

Errno last_errno() { return static_cast<Errno>(errno); }

}  // namespace

int stream_descriptor(StdioStream stream) {
  switch (stream) {
    case StdioStream::input:
      return STDIN_FILENO;
    case StdioStream::output:
      return STDOUT_FILENO;
    case StdioStream::error:
      return STDERR_FILENO;
  }
  return STDERR_FILENO;
}

Result<size_t> LinuxUserlandPlatform::read(std::span<std::byte> buffer) {
  return read(StdioStream::input, buffer);
}

Result<size_t> LinuxUserlandPlatform::read(StdioStream stream, std::span<std::byte> buffer) {
  while (true) {
    const ssize_t count = ::read(stream_descriptor(stream), buffer.data(), buffer.size());
    if (count >= 0) {
      return static_cast<size_t>(count);
    }
    // A relayed signal (Ctrl-C at a prompt) ends the read, so the guest
    // takes the signal now.
    // TODO: let Threads::interrupt end a blocked read of standard input.
    if (errno != EINTR || __atomic_load_n(&relayed_signals_pending, __ATOMIC_ACQUIRE) != 0) {
      return fail(last_errno());
    }
  }
}

Result<size_t> LinuxUserlandPlatform::write(StdioStream stream, std::span<const std::byte> data) {
  while (true) {
    const ssize_t count = ::write(stream_descriptor(stream), data.data(), data.size());
    if (count >= 0) {
      return static_cast<size_t>(count);
    }
    if (errno != EINTR) {
      return fail(last_errno());
    }
  }
}

Result<size_t> LinuxUserlandPlatform::read_at(StdioStream stream, uint64_t offset,
                                              std::span<std::byte> buffer) {
  while (true) {
    const ssize_t count = ::pread(stream_descriptor(stream), buffer.data(), buffer.size(),
                                  static_cast<off_t>(offset));
    if (count >= 0) {
      return static_cast<size_t>(count);
    }
    if (errno != EINTR) {
      return fail(last_errno());
    }
  }
}

Result<size_t> LinuxUserlandPlatform::write_at(StdioStream stream, uint64_t offset,
                                               std::span<const std::byte> data) {
  while (true) {
    const ssize_t count =
        ::pwrite(stream_descriptor(stream), data.data(), data.size(), static_cast<off_t>(offset));
    if (count >= 0) {
      return static_cast<size_t>(count);
    }
    if (errno != EINTR) {
      return fail(last_errno());
    }
  }
}

Result<void> LinuxUserlandPlatform::truncate(StdioStream stream, uint64_t size) {
  if (::ftruncate(stream_descriptor(stream), static_cast<off_t>(size)) != 0) {
    return fail(last_errno());
  }
  return {};
}

Result<void> LinuxUserlandPlatform::allocate(StdioStream stream, uint32_t mode, uint64_t offset,
                                             uint64_t length) {
  // The seccomp filter allows only the modes that change nothing but the
  // file's contents and size, which a write could change too.
  if ((mode & ~allowed_allocate_modes) != 0) {
    return fail(Errno::eopnotsupp);
  }
  if (::fallocate(stream_descriptor(stream), static_cast<int>(mode), static_cast<off_t>(offset),
                  static_cast<off_t>(length)) != 0) {
    return fail(last_errno());
  }
  return {};
}

Result<void> LinuxUserlandPlatform::sync(StdioStream stream, bool data_only) {
  const int result =
      data_only ? ::fdatasync(stream_descriptor(stream)) : ::fsync(stream_descriptor(stream));
  if (result != 0) {
    return fail(last_errno());
  }
  return {};
}

std::string LinuxUserlandPlatform::stream_path(StdioStream stream) {
  return stream_paths_[static_cast<size_t>(stream)];
}

void LinuxUserlandPlatform::read_stream_paths() {
  for (StdioStream stream : {StdioStream::input, StdioStream::output, StdioStream::error}) {
    const std::string link = "/proc/self/fd/" + std::to_string(stream_descriptor(stream));
    std::array<char, PATH_MAX> target = {};
    const ssize_t length = ::readlink(link.c_str(), target.data(), target.size());
    // Pipes, sockets and anonymous inodes read as "pipe:[N]" and the like,
    // which are no paths. A path that fills the buffer may be cut short.
    if (length <= 0 || static_cast<size_t>(length) >= target.size() || target[0] != '/') {
      continue;
    }
    stream_paths_[static_cast<size_t>(stream)].assign(target.data(), static_cast<size_t>(length));
  }
}

bool LinuxUserlandPlatform::isatty(StdioStream stream) {
  termios attributes = {};
  return ioctl(stream_descriptor(stream), TCGETS, &attributes) == 0;
}

// The ioctls below pass the kernel's struct termios and struct winsize,
// whose layouts TerminalAttributes and WindowSize repeat.
Result<TerminalAttributes> LinuxUserlandPlatform::terminal_attributes(StdioStream stream) {
  TerminalAttributes attributes;
  if (ioctl(stream_descriptor(stream), TCGETS, &attributes) != 0) {
    return fail(last_errno());
  }
  return attributes;
}

Result<void> LinuxUserlandPlatform::set_terminal_attributes(StdioStream stream,
                                                            const TerminalAttributes& attributes,
                                                            TerminalChange when) {
  unsigned long request = TCSETS;
  if (when == TerminalChange::drain) {
    request = TCSETSW;
  } else if (when == TerminalChange::flush) {
    request = TCSETSF;
  }
  if (ioctl(stream_descriptor(stream), request, &attributes) != 0) {
    return fail(last_errno());
  }
  return {};
}

Result<WindowSize> LinuxUserlandPlatform::window_size(StdioStream stream) {
  WindowSize size;
  if (ioctl(stream_descriptor(stream), TIOCGWINSZ, &size) != 0) {
    return fail(last_errno());
  }
  return size;
}

Result<uint64_t> LinuxUserlandPlatform::seek(StdioStream stream, int64_t offset, int origin) {
  const off_t position = lseek(stream_descriptor(stream), static_cast<off_t>(offset), origin);
  if (position < 0) {
    return fail(last_errno());
  }
  return static_cast<uint64_t>(position);
}

Result<StreamStatus> LinuxUserlandPlatform::stream_status(StdioStream stream) {
  // glibc's fstat() issues newfstatat with an empty path, whose path the
  // seccomp filter cannot check, so the plain fstat system call is used.
  struct stat host = {};
  if (syscall(SYS_fstat, stream_descriptor(stream), &host) != 0) {
    return fail(last_errno());
  }
  StreamStatus status;
  status.device = host.st_dev;
  status.inode = host.st_ino;
  status.mode = host.st_mode;
  status.link_count = static_cast<uint32_t>(host.st_nlink);
  status.uid = host.st_uid;
  status.gid = host.st_gid;
  status.rdev = host.st_rdev;
  status.size = host.st_size;
  status.block_size = host.st_blksize;
  status.blocks = host.st_blocks;
  status.access_time = {host.st_atim.tv_sec, host.st_atim.tv_nsec};
  status.modify_time = {host.st_mtim.tv_sec, host.st_mtim.tv_nsec};
  status.change_time = {host.st_ctim.tv_sec, host.st_ctim.tv_nsec};
  return status;
}

Result<uint32_t> LinuxUserlandPlatform::stream_flags(StdioStream stream) {
  const int flags = fcntl(stream_descriptor(stream), F_GETFL);
  if (flags < 0) {
    return fail(last_errno());
  }
  return static_cast<uint32_t>(flags);
}

Result<void> LinuxUserlandPlatform::set_stream_flags(StdioStream stream, uint32_t flags) {
  // The seccomp filter allows F_SETFL with these two bits only. Setting
  // them clears O_ASYNC, O_DIRECT and O_NOATIME of the host description,
  // which standard streams do not use.
  const int host_flags = static_cast<int>(flags) & (O_APPEND | O_NONBLOCK);
  if (fcntl(stream_descriptor(stream), F_SETFL, host_flags) != 0) {
    return fail(last_errno());
  }
  return {};
}

uint32_t LinuxUserlandPlatform::stream_events(StdioStream stream) {
  // Every event a stream can report, so the caller can keep those its guest
  // asked for.
  pollfd entry = {.fd = stream_descriptor(stream),
                  .events = POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM |
                            POLLWRBAND | POLLRDHUP,
                  .revents = 0};
  while (true) {
    const int ready = ::poll(&entry, 1, 0);
    if (ready >= 0) {
      return ready == 0 ? 0 : static_cast<uint16_t>(entry.revents);
    }
    if (errno != EINTR) {
      // With one valid pollfd, poll(2) fails only with ENOMEM. POLLERR
      // sends the guest to read() or write(), which reports the failure.
      return POLLERR;
    }
  }
}

void LinuxUserlandPlatform::wait_for_events(StdioStream stream, uint32_t events) {
  pollfd entry = {
      .fd = stream_descriptor(stream), .events = static_cast<int16_t>(events), .revents = 0};
  while (::poll(&entry, 1, -1) < 0 && errno == EINTR) {
  }
}

}  // namespace litebox::platform::linux_userland
