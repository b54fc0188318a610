// File system calls: descriptors, reads and writes, open and stat. The first
// set serves the standard streams and the sandbox files a static program
// needs, and the rest of the family builds on it.
#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <vector>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/stdio_file.hpp"
#include "litebox/fs/devfs.hpp"
#include "litebox/platform/platform.hpp"
#include "litebox/tty/pseudo_terminal.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/syscalls/file_support.hpp"
#include "shim/linux/syscalls/socket_netlink.hpp"
#include "shim/linux/syscalls/terminal.hpp"

namespace litebox::shim::linux_abi {

namespace {

// The largest message that one read or write of a message-oriented file
// moves: above the largest Unix datagram Linux accepts by default.
// NOTE: a longer write is cut to this size before the socket checks its
// send buffer, so only a send buffer raised past 4 MiB would let a cut
// datagram through where Linux fails with EMSGSIZE.
constexpr uint64_t max_message_transfer = 4 * 1024 * 1024;

// Moves one whole message between `file` and the guest buffers `vectors`:
// one read scattered over them, or one write gathered from them.
Result<uint64_t> transfer_message(fd::File& file, std::span<const GuestIovec> vectors,
                                  bool is_read) {
  uint64_t length = 0;
  for (const GuestIovec& vector : vectors) {
    length += vector.length;
  }
  std::vector<std::byte> message(std::min(length, max_message_transfer));

  if (is_read) {
    const size_t count = TRY(file.read(message));
    size_t done = 0;
    for (const GuestIovec& vector : vectors) {
      const size_t part = std::min<size_t>(vector.length, count - done);
      TRY_VOID(copy_to_guest(vector.base, std::span(message).subspan(done, part)));
      done += part;
    }
    return count;
  }

  size_t done = 0;
  for (const GuestIovec& vector : vectors) {
    const size_t part = std::min<size_t>(vector.length, message.size() - done);
    TRY_VOID(copy_from_guest(std::span(message).subspan(done, part), vector.base));
    done += part;
  }
  return TRY(file.write(message));
}

// Reads from `file` into guest memory at `address`, through a bounce buffer.
// After a full chunk it reads on only while the file still reports input,
// so that a read that has data does not block for more, as on Linux.
Result<uint64_t> read_into_guest(fd::File& file, uint64_t address, uint64_t length,
                                 std::optional<uint64_t> offset) {
  if (file.is_message_oriented() && !offset) {
    return transfer_message(file, std::array{GuestIovec{address, length}}, true);
  }
  length = std::min(length, max_transfer);
  BounceBuffer buffer;
  uint64_t total = 0;
  while (total < length) {
    std::span<std::byte> chunk = buffer.first(length - total);
    auto count = offset ? file.pread(*offset + total, chunk) : file.read(chunk);
    if (!count) {
      if (total != 0) {
        break;
      }
      return fail(count.error());
    }
    TRY_VOID(copy_to_guest(address + total, chunk.first(*count)));
    total += *count;
    // A short read means no more data is ready; do not block for more.
    if (*count < chunk.size()) {
      break;
    }
    if (!offset && (file.poll_events() & event::pollin) == 0) {
      break;
    }
  }
  return total;
}

// Writes guest memory at `address` to `file`, through a bounce buffer,
// without growing a regular file past `size_limit`.
Result<uint64_t> write_from_guest(fd::File& file, uint64_t address, uint64_t length,
                                  std::optional<uint64_t> offset, uint64_t size_limit) {
  if (file.is_message_oriented() && !offset) {
    return transfer_message(file, std::array{GuestIovec{address, length}}, false);
  }
  length = std::min(length, max_transfer);
  BounceBuffer buffer;
  uint64_t total = 0;
  while (total < length) {
    std::span<std::byte> chunk = buffer.first(length - total);
    if (auto copied = copy_from_guest(chunk, address + total); !copied) {
      if (total != 0) {
        break;
      }
      return fail(copied.error());
    }
    std::optional<uint64_t> position;
    if (offset) {
      position = *offset + total;
    }
    auto count = file.write_limited(position, chunk, size_limit);
    if (!count) {
      if (total != 0) {
        break;
      }
      return fail(count.error());
    }
    total += *count;
    if (*count < chunk.size()) {
      break;
    }
  }
  return total;
}

// Whether the description has a file position for pread(2) and pwrite(2):
// pipes and sockets do not, and fail with `espipe`. An empty pread checks
// this without moving data.
bool has_position(fd::File& file) {
  auto probe = file.pread(0, {});
  return probe || probe.error() != Errno::espipe;
}

Result<uint64_t> sys_read(Task& task, const SyscallArguments& arguments) {
  auto file = TRY(file_of(task, arguments.as_int(0)));
  if (!fd::readable(file->flags())) {
    return fail(Errno::ebadf);
  }
  return read_into_guest(*file, arguments[1], arguments[2], std::nullopt);
}

Result<uint64_t> sys_write(Task& task, const SyscallArguments& arguments) {
  auto file = TRY(file_of(task, arguments.as_int(0)));
  if (!fd::writable(file->flags())) {
    return fail(Errno::ebadf);
  }
  return signal_file_size_limit(task, write_from_guest(*file, arguments[1], arguments[2],
                                                       std::nullopt, file_size_limit(task)));
}

Result<uint64_t> sys_pread64(Task& task, const SyscallArguments& arguments) {
  const auto offset = static_cast<int64_t>(arguments[3]);
  if (offset < 0) {
    return fail(Errno::einval);
  }
  auto file = TRY(file_of(task, arguments.as_int(0)));
  // Linux checks for a file position before the access mode.
  if (!has_position(*file)) {
    return fail(Errno::espipe);
  }
  if (!fd::readable(file->flags())) {
    return fail(Errno::ebadf);
  }
  return read_into_guest(*file, arguments[1], arguments[2], static_cast<uint64_t>(offset));
}

Result<uint64_t> sys_pwrite64(Task& task, const SyscallArguments& arguments) {
  const auto offset = static_cast<int64_t>(arguments[3]);
  if (offset < 0) {
    return fail(Errno::einval);
  }
  auto file = TRY(file_of(task, arguments.as_int(0)));
  // Linux checks for a file position before the access mode.
  if (!has_position(*file)) {
    return fail(Errno::espipe);
  }
  if (!fd::writable(file->flags())) {
    return fail(Errno::ebadf);
  }
  return signal_file_size_limit(
      task, write_from_guest(*file, arguments[1], arguments[2], static_cast<uint64_t>(offset),
                             file_size_limit(task)));
}

// Moves the iovecs of a vectored read or write in order with `transfer`,
// which gets each iovec and the bytes moved before it, and returns the byte
// total. It stops at the first short transfer, and an error after some
// bytes moved returns the count so far, as Linux does.
template <typename Transfer>
Result<uint64_t> transfer_vectors(const std::vector<GuestIovec>& vectors, Transfer transfer) {
  uint64_t total = 0;
  for (const GuestIovec& vector : vectors) {
    Result<uint64_t> count = transfer(vector, total);
    if (!count) {
      if (total != 0) {
        break;
      }
      return fail(count.error());
    }
    total += *count;
    if (*count < vector.length) {
      break;
    }
  }
  return total;
}

// The RWF_* flags of preadv2(2) and pwritev2(2).
constexpr uint32_t rwf_hipri = 0x01;
constexpr uint32_t rwf_dsync = 0x02;
constexpr uint32_t rwf_sync = 0x04;
constexpr uint32_t rwf_nowait = 0x08;
constexpr uint32_t rwf_append = 0x10;
constexpr uint32_t rwf_dontcache = 0x80;
// TODO: Linux 6.9 added RWF_NOAPPEND (0x20), which makes a write on an
// O_APPEND description land at its offset. InodeFile always appends, so the
// flag fails with EOPNOTSUPP as on Linux before 6.9, and so does
// RWF_ATOMIC (0x40), which neither ext4 buffered I/O nor tmpfs supports.
constexpr uint32_t rwf_supported =
    rwf_hipri | rwf_dsync | rwf_sync | rwf_nowait | rwf_append | rwf_dontcache | rwf_no_signal;

enum class Direction : uint8_t { read, write };

// Whether `file` is a regular file of a file system that acts as a disk
// (FileSystem::acts_as_disk).
bool is_disk_file(fd::File& file, const fs::Stat& status) {
  std::shared_ptr<fs::Inode> inode = file.inode();
  return fs::file_type_of(status.mode) == fs::FileType::regular && inode != nullptr &&
         inode->file_system().acts_as_disk();
}

// Whether `status` is one of the devices whose reads and writes never wait,
// which accept RWF_NOWAIT on Linux 6.18: /dev/null, /dev/zero, /dev/random
// and /dev/urandom (major 1, minors 3, 5, 8 and 9). /dev/full rejects it.
bool is_nowait_device(const fs::Stat& status) {
  if (fs::file_type_of(status.mode) != fs::FileType::character_device ||
      fs::devfs::major_of(status.rdev) != 1) {
    return false;
  }
  const uint32_t minor = fs::devfs::minor_of(status.rdev);
  return minor == 3 || minor == 5 || minor == 8 || minor == 9;
}

// Whether a transfer with RWF_NOWAIT may go ahead, as on Linux 6.18. Reads
// of a disk file (is_disk_file) never wait here, because its data is in
// memory, but ext4 rejects such writes with `eopnotsupp`, and tmpfs rejects
// both. The devices of is_nowait_device never wait. A pipe or socket that
// is not ready fails with `eagain`, and one that is ready transfers as if
// it were non-blocking. Everything else fails with `eopnotsupp`.
// NOTE: the readiness is checked before the transfer, so another reader or
// writer of the same pipe can still make the transfer wait.
Result<void> check_nowait(fd::File& file, Direction direction) {
  fs::Stat status = TRY(file.stat());
  if (is_disk_file(file, status)) {
    return direction == Direction::read ? Result<void>{} : fail(Errno::eopnotsupp);
  }
  if (is_nowait_device(status)) {
    return {};
  }
  const fs::FileType type = fs::file_type_of(status.mode);
  if (type != fs::FileType::fifo && type != fs::FileType::socket) {
    return fail(Errno::eopnotsupp);
  }
  const uint32_t ready = direction == Direction::read
                             ? event::pollin | event::pollhup | event::pollerr
                             : event::pollout | event::pollerr;
  if ((file.poll_events() & ready) == 0) {
    return fail(Errno::eagain);
  }
  return {};
}

// Finds where a write with RWF_APPEND starts on an inode-backed file: at
// the end of the file. A write at the file offset (`offset` empty) moves that offset to
// the end first, so it ends up after the written bytes, as on Linux.
Result<std::optional<uint64_t>> append_position(fd::File& file, std::optional<uint64_t> offset) {
  if (file.inode() == nullptr) {
    return offset;
  }
  if (!offset) {
    TRY_VOID(file.seek(0, fd::SeekOrigin::end));
    return std::nullopt;
  }
  fs::Stat status = TRY(file.stat());
  return static_cast<uint64_t>(status.size);
}

// The common path of readv, writev, preadv, pwritev, preadv2 and pwritev2:
// the transfer starts at `offset`, or at the file offset when it is empty,
// with the RWF_* `flags`. The checks come in Linux's order: the descriptor,
// the file position, the access mode, the iovec array, and the flags only
// when some bytes are to move.
Result<uint64_t> transfer_guest_vectors(Task& task, const SyscallArguments& arguments,
                                        Direction direction, std::optional<uint64_t> offset,
                                        uint32_t flags) {
  auto file = TRY(file_of(task, arguments.as_int(0)));
  if (offset && !has_position(*file)) {
    return fail(Errno::espipe);
  }
  const bool allowed =
      direction == Direction::read ? fd::readable(file->flags()) : fd::writable(file->flags());
  if (!allowed) {
    return fail(Errno::ebadf);
  }
  auto vectors = TRY(read_guest_iovecs(arguments[1], arguments[2]));
  const bool empty =
      std::ranges::all_of(vectors, [](const GuestIovec& v) { return v.length == 0; });
  if (empty) {
    return 0;
  }

  if ((flags & ~rwf_supported) != 0) {
    return fail(Errno::eopnotsupp);
  }
  if (flags & rwf_dontcache) {
    // Only disk file systems drop the pages of a transfer from the page
    // cache, so tmpfs, pipes and devices reject the flag. Here the data
    // stays in memory either way.
    fs::Stat status = TRY(file->stat());
    if (!is_disk_file(*file, status)) {
      return fail(Errno::eopnotsupp);
    }
  }
  if (flags & rwf_nowait) {
    TRY_VOID(check_nowait(*file, direction));
  }
  if (direction == Direction::write && (flags & rwf_append)) {
    offset = TRY(append_position(*file, offset));
  }
  // RWF_HIPRI, RWF_DSYNC and RWF_SYNC change nothing: there is no device
  // to poll, and file data lives in memory. RWF_NOSIGNAL only keeps SIGPIPE
  // away, which deliver_after_syscall checks.

  if (file->is_message_oriented() && !offset) {
    return transfer_message(*file, vectors, direction == Direction::read);
  }

  const uint64_t size_limit = file_size_limit(task);
  return signal_file_size_limit(
      task, transfer_vectors(vectors, [&](const GuestIovec& vector, uint64_t done) {
        std::optional<uint64_t> position;
        if (offset) {
          position = *offset + done;
        }
        if (direction == Direction::read) {
          return read_into_guest(*file, vector.base, vector.length, position);
        }
        return write_from_guest(*file, vector.base, vector.length, position, size_limit);
      }));
}

// The offset argument of preadv(2) and pwritev(2). Linux joins two
// registers, low and high, into it, and on x86-64 the low one contains all 64
// bits.
Result<uint64_t> positional_offset(const SyscallArguments& arguments) {
  const auto offset = static_cast<int64_t>(arguments[3]);
  if (offset < 0) {
    return fail(Errno::einval);
  }
  return static_cast<uint64_t>(offset);
}

// The offset of preadv2(2) and pwritev2(2): -1 means the file offset.
Result<std::optional<uint64_t>> optional_positional_offset(const SyscallArguments& arguments) {
  if (static_cast<int64_t>(arguments[3]) == -1) {
    return std::nullopt;
  }
  return TRY(positional_offset(arguments));
}

Result<uint64_t> sys_readv(Task& task, const SyscallArguments& arguments) {
  return transfer_guest_vectors(task, arguments, Direction::read, std::nullopt, 0);
}

Result<uint64_t> sys_writev(Task& task, const SyscallArguments& arguments) {
  return transfer_guest_vectors(task, arguments, Direction::write, std::nullopt, 0);
}

Result<uint64_t> sys_preadv(Task& task, const SyscallArguments& arguments) {
  const uint64_t offset = TRY(positional_offset(arguments));
  return transfer_guest_vectors(task, arguments, Direction::read, offset, 0);
}

Result<uint64_t> sys_pwritev(Task& task, const SyscallArguments& arguments) {
  const uint64_t offset = TRY(positional_offset(arguments));
  return transfer_guest_vectors(task, arguments, Direction::write, offset, 0);
}

Result<uint64_t> sys_preadv2(Task& task, const SyscallArguments& arguments) {
  const std::optional<uint64_t> offset = TRY(optional_positional_offset(arguments));
  return transfer_guest_vectors(task, arguments, Direction::read, offset, arguments.as_uint(5));
}

Result<uint64_t> sys_pwritev2(Task& task, const SyscallArguments& arguments) {
  const std::optional<uint64_t> offset = TRY(optional_positional_offset(arguments));
  return transfer_guest_vectors(task, arguments, Direction::write, offset, arguments.as_uint(5));
}

Result<uint64_t> sys_close(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(task.process().descriptors().close(arguments.as_int(0)));
  return 0;
}

Result<uint64_t> sys_fstat(Task& task, const SyscallArguments& arguments) {
  auto file = TRY(file_of(task, arguments.as_int(0)));
  fs::Stat status = TRY(file->stat());
  TRY_VOID(GuestPtr<LinuxStat>(arguments[1]).write(to_linux_stat(status)));
  return 0;
}

Result<uint64_t> sys_lseek(Task& task, const SyscallArguments& arguments) {
  const uint32_t whence = arguments.as_uint(2);
  if (whence > static_cast<uint32_t>(fd::SeekOrigin::hole)) {
    return fail(Errno::einval);
  }
  auto file = TRY(file_of(task, arguments.as_int(0)));
  return file->seek(static_cast<int64_t>(arguments[1]), static_cast<fd::SeekOrigin>(whence));
}

Result<uint64_t> sys_ioctl(Task& task, const SyscallArguments& arguments) {
  constexpr uint32_t tcgets = 0x5401;
  constexpr uint32_t tcsets = 0x5402;
  constexpr uint32_t tcsetsw = 0x5403;
  constexpr uint32_t tcsetsf = 0x5404;
  constexpr uint32_t tiocgwinsz = 0x5413;
  constexpr uint32_t tiocgpgrp = 0x540f;
  constexpr uint32_t tiocspgrp = 0x5410;
  constexpr uint32_t tiocgsid = 0x5429;
  constexpr uint32_t fionread = 0x541b;
  constexpr uint32_t fionbio = 0x5421;
  constexpr uint32_t fionclex = 0x5450;
  constexpr uint32_t fioclex = 0x5451;

  const int32_t descriptor = arguments.as_int(0);
  auto file = TRY(file_of(task, descriptor));
  const uint32_t request = arguments.as_uint(1);

  // Requests that every kind of descriptor accepts.
  switch (request) {
    case fioclex:
    case fionclex:
      TRY_VOID(task.process().descriptors().set_close_on_exec(descriptor, request == fioclex));
      return 0;
    case fionbio: {
      int32_t enable = TRY(GuestPtr<int32_t>(arguments[2]).read());
      uint32_t flags = file->flags() & fd::open_settable_status_flags;
      file->set_status_flags(enable != 0 ? flags | fd::open_non_blocking
                                         : flags & ~uint32_t{fd::open_non_blocking});
      return 0;
    }
    case fionread: {
      size_t available = TRY(file->bytes_available());
      auto count = static_cast<int32_t>(std::min<size_t>(available, INT32_MAX));
      TRY_VOID(GuestPtr<int32_t>(arguments[2]).write(count));
      return 0;
    }
    default:
      break;
  }

  if (auto served = pseudo_terminal_ioctl(task, *file, request, arguments[2])) {
    return *served;
  }
  if (auto served = interface_ioctl(*file, request, arguments[2])) {
    return *served;
  }

  auto* stdio = dynamic_cast<fd::StdioFile*>(file.get());
  if (stdio != nullptr && stdio->is_terminal()) {
    platform::Stdio& host = platform::current().stdio;
    switch (request) {
      case tcgets: {
        platform::TerminalAttributes attributes = TRY(host.terminal_attributes(stdio->stream()));
        TRY_VOID(GuestPtr<platform::TerminalAttributes>(arguments[2]).write(attributes));
        return 0;
      }
      case tcsets:
      case tcsetsw:
      case tcsetsf: {
        auto attributes = TRY(GuestPtr<platform::TerminalAttributes>(arguments[2]).read());
        platform::TerminalChange when = platform::TerminalChange::now;
        if (request == tcsetsw) {
          when = platform::TerminalChange::drain;
        } else if (request == tcsetsf) {
          when = platform::TerminalChange::flush;
        }
        TRY_VOID(host.set_terminal_attributes(stdio->stream(), attributes, when));
        return 0;
      }
      case tiocgwinsz: {
        platform::WindowSize size = TRY(host.window_size(stdio->stream()));
        TRY_VOID(GuestPtr<platform::WindowSize>(arguments[2]).write(size));
        return 0;
      }
      // The job-control requests need the terminal to be the caller's
      // controlling terminal.
      case tiocgpgrp:
        if (!task.kernel().has_controlling_terminal(task)) {
          return fail(Errno::enotty);
        }
        TRY_VOID(GuestPtr<int32_t>(arguments[2]).write(task.kernel().terminal_foreground(task)));
        return 0;
      case tiocspgrp: {
        if (!task.kernel().has_controlling_terminal(task)) {
          return fail(Errno::enotty);
        }
        const int32_t group = TRY(GuestPtr<int32_t>(arguments[2]).read());
        TRY_VOID(task.kernel().set_terminal_foreground(task, group));
        return 0;
      }
      case tiocgsid:
        if (!task.kernel().has_controlling_terminal(task)) {
          return fail(Errno::enotty);
        }
        TRY_VOID(GuestPtr<int32_t>(arguments[2]).write(task.kernel().terminal_session()));
        return 0;
      default:
        break;
    }
  }
  return file->ioctl(request, arguments[2]);
}

Result<uint64_t> open_at(Task& task, int32_t directory_fd, uint64_t path_address, uint32_t flags,
                         uint32_t mode) {
  // O_TMPFILE needs write access, and O_CREAT | O_DIRECTORY is rejected
  // (Linux 6.4 and later).
  if ((flags & fd::open_temporary_file) == fd::open_temporary_file && !fd::writable(flags)) {
    return fail(Errno::einval);
  }
  std::string path = TRY(read_guest_path(path_address));

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, directory_fd, path));

  // Linux on 64-bit hosts opens every file with O_LARGEFILE, and F_GETFL
  // reports it.
  const bool close_on_exec = flags & fd::open_close_on_exec;
  uint32_t file_flags = (flags & ~uint32_t{fd::open_close_on_exec}) | fd::open_large_file;
  auto file = TRY(task.kernel().vfs().open(context, start, path, file_flags, mode & 07777));
  auto* terminal = dynamic_cast<fd::StdioFile*>(file.get());
  if (terminal != nullptr && terminal->is_controlling_terminal_device() &&
      !task.kernel().has_controlling_terminal(task)) {
    return fail(Errno::enxio);
  }
  // Opening a replica may make it the caller's controlling terminal.
  if (auto* replica = dynamic_cast<tty::ReplicaFile*>(file.get());
      replica != nullptr && (flags & fd::open_no_controlling_tty) == 0) {
    task.kernel().acquire_terminal_on_open(task, replica->shared_terminal(), fd::readable(flags));
  }
  return TRY(task.process().descriptors().allocate(std::move(file), close_on_exec));
}

Result<uint64_t> sys_open(Task& task, const SyscallArguments& arguments) {
  return open_at(task, at_fdcwd, arguments[0], arguments.as_uint(1), arguments.as_uint(2));
}

Result<uint64_t> sys_openat(Task& task, const SyscallArguments& arguments) {
  return open_at(task, arguments.as_int(0), arguments[1], arguments.as_uint(2),
                 arguments.as_uint(3));
}

Result<uint64_t> sys_creat(Task& task, const SyscallArguments& arguments) {
  return open_at(task, at_fdcwd, arguments[0],
                 fd::open_create | fd::open_write_only | fd::open_truncate, arguments.as_uint(1));
}

// Copies up to `length` bytes from `input` to `output` through a bounce
// buffer, reading at `input_offset` when given (the description's offset
// otherwise) and writing at `output_offset` when given. Stops at the end of
// the input or at a short write, and grows a regular output file to at
// most `size_limit` bytes. Returns the bytes copied.
Result<uint64_t> copy_between_files(fd::File& input, std::optional<uint64_t> input_offset,
                                    fd::File& output, std::optional<uint64_t> output_offset,
                                    uint64_t length, uint64_t size_limit) {
  length = std::min(length, max_transfer);
  BounceBuffer buffer;
  uint64_t total = 0;
  while (total < length) {
    std::span<std::byte> chunk = buffer.first(length - total);
    auto read = input_offset ? input.pread(*input_offset + total, chunk) : input.read(chunk);
    if (!read) {
      if (total != 0) {
        break;
      }
      return fail(read.error());
    }
    if (*read == 0) {
      break;
    }

    std::span<const std::byte> data(chunk.data(), *read);
    std::optional<uint64_t> position;
    if (output_offset) {
      position = *output_offset + total;
    }
    auto written = output.write_limited(position, data, size_limit);
    if (!written) {
      if (total != 0) {
        break;
      }
      return fail(written.error());
    }
    total += *written;
    if (*written < *read || *read < chunk.size()) {
      break;
    }
  }
  return total;
}

Result<uint64_t> sys_sendfile(Task& task, const SyscallArguments& arguments) {
  auto output = TRY(file_of(task, arguments.as_int(0)));
  auto input = TRY(file_of(task, arguments.as_int(1)));
  const uint64_t offset_address = arguments[2];
  if (!fd::readable(input->flags()) || !fd::writable(output->flags())) {
    return fail(Errno::ebadf);
  }
  if (output->flags() & fd::open_append) {
    return fail(Errno::einval);
  }

  const uint64_t size_limit = file_size_limit(task);
  if (offset_address == 0) {
    return signal_file_size_limit(task, copy_between_files(*input, std::nullopt, *output,
                                                           std::nullopt, arguments[3], size_limit));
  }
  auto offset = TRY(GuestPtr<int64_t>(offset_address).read());
  if (offset < 0) {
    return fail(Errno::einval);
  }
  uint64_t copied = TRY(signal_file_size_limit(
      task, copy_between_files(*input, static_cast<uint64_t>(offset), *output, std::nullopt,
                               arguments[3], size_limit)));
  TRY_VOID(GuestPtr<int64_t>(offset_address).write(offset + static_cast<int64_t>(copied)));
  return copied;
}

// An offset argument of copy_file_range(2): null means the description's
// own offset.
Result<std::optional<uint64_t>> read_offset_argument(uint64_t address) {
  if (address == 0) {
    return std::nullopt;
  }
  auto offset = TRY(GuestPtr<int64_t>(address).read());
  if (offset < 0) {
    return fail(Errno::einval);
  }
  return static_cast<uint64_t>(offset);
}

Result<uint64_t> sys_copy_file_range(Task& task, const SyscallArguments& arguments) {
  const uint64_t input_offset_address = arguments[1];
  const uint64_t output_offset_address = arguments[3];
  const uint64_t length = arguments[4];
  if (arguments.as_uint(5) != 0) {
    return fail(Errno::einval);
  }
  auto input = TRY(file_of(task, arguments.as_int(0)));
  auto output = TRY(file_of(task, arguments.as_int(2)));
  if (!fd::readable(input->flags()) || !fd::writable(output->flags()) ||
      (output->flags() & fd::open_append)) {
    return fail(Errno::ebadf);
  }

  fs::Stat input_status = TRY(input->stat());
  fs::Stat output_status = TRY(output->stat());
  if (fs::file_type_of(input_status.mode) == fs::FileType::directory ||
      fs::file_type_of(output_status.mode) == fs::FileType::directory) {
    return fail(Errno::eisdir);
  }
  if (fs::file_type_of(input_status.mode) != fs::FileType::regular ||
      fs::file_type_of(output_status.mode) != fs::FileType::regular) {
    return fail(Errno::einval);
  }

  auto input_offset = TRY(read_offset_argument(input_offset_address));
  auto output_offset = TRY(read_offset_argument(output_offset_address));

  // Overlapping ranges of one file are rejected, as Linux does.
  bool same_file =
      input_status.device == output_status.device && input_status.inode == output_status.inode;
  if (same_file) {
    uint64_t from = input_offset ? *input_offset : TRY(input->seek(0, fd::SeekOrigin::current));
    uint64_t to = output_offset ? *output_offset : TRY(output->seek(0, fd::SeekOrigin::current));
    if (from < to + length && to < from + length) {
      return fail(Errno::einval);
    }
  }

  uint64_t copied = TRY(
      signal_file_size_limit(task, copy_between_files(*input, input_offset, *output, output_offset,
                                                      length, file_size_limit(task))));
  if (input_offset) {
    TRY_VOID(GuestPtr<int64_t>(input_offset_address)
                 .write(static_cast<int64_t>(*input_offset + copied)));
  }
  if (output_offset) {
    TRY_VOID(GuestPtr<int64_t>(output_offset_address)
                 .write(static_cast<int64_t>(*output_offset + copied)));
  }
  return copied;
}

// fallocate(2) mode bits.
constexpr uint32_t falloc_keep_size = 0x01;
constexpr uint32_t falloc_punch_hole = 0x02;

// Checks the file type and range of a fallocate(2) on `file` as Linux does,
// and RLIMIT_FSIZE when the call may grow the file (`may_grow`).
Result<void> check_allocation(Task& task, fd::File& file, int64_t offset, int64_t length,
                              bool may_grow) {
  fs::Stat status = TRY(file.stat());
  if (fs::file_type_of(status.mode) == fs::FileType::fifo) {
    return fail(Errno::espipe);
  }
  if (fs::file_type_of(status.mode) == fs::FileType::directory) {
    return fail(Errno::eisdir);
  }
  if (fs::file_type_of(status.mode) != fs::FileType::regular) {
    return fail(Errno::enodev);
  }
  if (length > INT64_MAX - offset) {
    return fail(Errno::efbig);
  }
  // tmpfs checks RLIMIT_FSIZE for every mode but a punched hole, also with
  // FALLOC_FL_KEEP_SIZE.
  const auto end = static_cast<uint64_t>(offset + length);
  if (may_grow && end > static_cast<uint64_t>(status.size) && end > file_size_limit(task)) {
    TRY_VOID(signal_file_size_limit(task, Result<uint64_t>(fail(Errno::efbig))));
  }
  return {};
}

// fallocate(2) on a standard stream: a regular file redirected to the
// sandbox is allocated on the host, which checks `mode` as Linux does and
// applies its own RLIMIT_FSIZE, as to writes of the stream.
Result<uint64_t> allocate_in_stream(Task& task, fd::StdioFile& stream, uint32_t mode,
                                    int64_t offset, int64_t length) {
  TRY_VOID(check_allocation(task, stream, offset, length, false));
  TRY_VOID(stream.allocate(mode, static_cast<uint64_t>(offset), static_cast<uint64_t>(length)));
  return 0;
}

Result<uint64_t> sys_fallocate(Task& task, const SyscallArguments& arguments) {
  const uint32_t mode = arguments.as_uint(1);
  const auto offset = static_cast<int64_t>(arguments[2]);
  const auto length = static_cast<int64_t>(arguments[3]);
  if (offset < 0 || length <= 0) {
    return fail(Errno::einval);
  }
  auto file = TRY(file_of(task, arguments.as_int(0)));
  if (!fd::writable(file->flags())) {
    return fail(Errno::ebadf);
  }
  if (auto* stream = dynamic_cast<fd::StdioFile*>(file.get())) {
    return allocate_in_stream(task, *stream, mode, offset, length);
  }

  // The modes of tmpfs, the only writable file system here, are a plain
  // allocation, with or without FALLOC_FL_KEEP_SIZE, and a punched hole.
  // Linux accepts a punched hole only together with FALLOC_FL_KEEP_SIZE, and
  // tmpfs rejects the other modes (ZERO_RANGE, COLLAPSE_RANGE, INSERT_RANGE).
  fs::Inode::AllocateMode allocate_mode = fs::Inode::AllocateMode::allocate;
  if (mode == falloc_keep_size) {
    allocate_mode = fs::Inode::AllocateMode::allocate_keep_size;
  } else if (mode == (falloc_punch_hole | falloc_keep_size)) {
    allocate_mode = fs::Inode::AllocateMode::punch_hole;
  } else if (mode != 0) {
    return fail(Errno::eopnotsupp);
  }

  std::shared_ptr<fs::Inode> inode = file->inode();
  if (inode == nullptr) {
    return fail(Errno::espipe);
  }
  TRY_VOID(check_allocation(task, *file, offset, length,
                            allocate_mode != fs::Inode::AllocateMode::punch_hole));
  TRY_VOID(
      inode->allocate(static_cast<uint64_t>(offset), static_cast<uint64_t>(length), allocate_mode));
  return 0;
}

}  // namespace

void register_file_syscalls(SyscallTable& table) {
  table.add(nr::read, sys_read);
  table.add(nr::write, sys_write);
  table.add(nr::pread64, sys_pread64);
  table.add(nr::pwrite64, sys_pwrite64);
  table.add(nr::readv, sys_readv);
  table.add(nr::writev, sys_writev);
  table.add(nr::preadv, sys_preadv);
  table.add(nr::pwritev, sys_pwritev);
  table.add(nr::preadv2, sys_preadv2);
  table.add(nr::pwritev2, sys_pwritev2);
  table.add(nr::close, sys_close);
  table.add(nr::fstat, sys_fstat);
  table.add(nr::lseek, sys_lseek);
  table.add(nr::ioctl, sys_ioctl);
  table.add(nr::open, sys_open);
  table.add(nr::openat, sys_openat);
  table.add(nr::creat, sys_creat);
  table.add(nr::sendfile, sys_sendfile);
  table.add(nr::copy_file_range, sys_copy_file_range);
  table.add(nr::fallocate, sys_fallocate);
}

}  // namespace litebox::shim::linux_abi
