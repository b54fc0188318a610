// South interface: the host's standard input, output and error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "litebox/platform/clock.hpp"
#include "litebox/result.hpp"

namespace litebox::platform {

enum class StdioStream { input, output, error };

// A terminal's settings in the layout of Linux's struct termios, as the
// TCGETS and TCSETS ioctls pass it (36 bytes).
struct TerminalAttributes {
  uint32_t input_flags = 0;
  uint32_t output_flags = 0;
  uint32_t control_flags = 0;
  uint32_t local_flags = 0;
  uint8_t line = 0;
  uint8_t control_characters[19] = {};
};
static_assert(sizeof(TerminalAttributes) == 36);

// When new terminal settings take effect: at once (TCSETS), after the
// output drains (TCSETSW), or after it drains and pending input is dropped
// (TCSETSF).
enum class TerminalChange { now, drain, flush };

// A terminal's size, Linux's struct winsize.
struct WindowSize {
  uint16_t rows = 0;
  uint16_t columns = 0;
  uint16_t x_pixels = 0;
  uint16_t y_pixels = 0;
};

// The status of a standard stream's host descriptor as fstat(2) reports
// it, in Linux's units: st_mode bits, device numbers in glibc's makedev
// encoding, st_blocks in 512-byte blocks.
struct StreamStatus {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint32_t mode = 0;
  uint32_t link_count = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t rdev = 0;
  int64_t size = 0;
  int64_t block_size = 0;
  int64_t blocks = 0;
  Timespec access_time;
  Timespec modify_time;
  Timespec change_time;
};

class Stdio {
 public:
  virtual ~Stdio() = default;

  // Reads up to `buffer.size()` bytes from standard input, blocking until at
  // least one byte or end of file (0). Thread-safe.
  virtual Result<size_t> read(std::span<std::byte> buffer) = 0;

  // Reads from the host descriptor of any standard stream, as /dev/tty does
  // through whichever stream is the terminal (a terminal's descriptor is
  // open for both directions). The default serves standard input only
  // (`ebadf` otherwise). Thread-safe.
  virtual Result<size_t> read(StdioStream stream, std::span<std::byte> buffer);

  // Writes bytes to standard output or error, or to standard input when it
  // is a terminal. Returns how many were written, or `epipe` when the reader
  // has gone. Thread-safe.
  virtual Result<size_t> write(StdioStream stream, std::span<const std::byte> data) = 0;

  // Returns whether the stream is a terminal.
  virtual bool isatty(StdioStream stream) = 0;

  // Moves the stream's file offset as lseek(2) does, with `origin` one of
  // Linux's SEEK_SET (0) to SEEK_HOLE (4), and returns the new offset. The
  // offset belongs to the host's open file description, which the host
  // process that started the sandbox shares. The default, `espipe`, is right
  // for streams that cannot seek (pipes, terminals). Thread-safe.
  virtual Result<uint64_t> seek(StdioStream stream, int64_t offset, int origin);

  // Returns what fstat(2) reports for the stream's host descriptor, so the
  // guest gets the real file type, size and device number of a redirected
  // file or a terminal. The default, `enosys`, is for hosts that cannot
  // tell. Thread-safe.
  virtual Result<StreamStatus> stream_status(StdioStream stream);

  // Returns the host open file description's access mode and status flags
  // as F_GETFL(2) reports them (Linux O_* values). The description is
  // shared with the host process that started the sandbox, and a terminal's
  // three streams usually share one. The default, `enosys`, is for hosts
  // that cannot tell. Thread-safe.
  virtual Result<uint32_t> stream_flags(StdioStream stream);

  // Sets O_APPEND and O_NONBLOCK of the host open file description to those
  // of `flags` (F_SETFL), so that a non-blocking guest write to a full pipe
  // fails with `eagain` instead of blocking. Other bits are ignored. The
  // default, `enosys`, is for hosts that cannot change them. Thread-safe.
  virtual Result<void> set_stream_flags(StdioStream stream, uint32_t flags);

  // Reads or changes the settings, or reads the size, of the terminal that
  // the stream is. The defaults return `enotty`, right for hosts whose
  // streams are never terminals. Thread-safe.
  virtual Result<TerminalAttributes> terminal_attributes(StdioStream stream);
  virtual Result<void> set_terminal_attributes(StdioStream stream,
                                               const TerminalAttributes& attributes,
                                               TerminalChange when);
  virtual Result<WindowSize> window_size(StdioStream stream);

  // Reads or writes at `offset` as pread(2) and pwrite(2) do, leaving the
  // stream's file offset alone, for a regular file redirected to the
  // sandbox. A pipe or terminal fails with `espipe`, the default for hosts
  // that cannot do it. Thread-safe.
  virtual Result<size_t> read_at(StdioStream stream, uint64_t offset, std::span<std::byte> buffer);
  virtual Result<size_t> write_at(StdioStream stream, uint64_t offset,
                                  std::span<const std::byte> data);

  // Sets the size of the regular file that the stream is, as ftruncate(2)
  // does. The default, `einval`, is Linux's errno for a stream that is not
  // a regular file. Thread-safe.
  virtual Result<void> truncate(StdioStream stream, uint64_t size);

  // Allocates, or frees with FALLOC_FL_PUNCH_HOLE, the byte range of the
  // regular file that the stream is, as fallocate(2) does with `mode` (Linux
  // FALLOC_FL_* bits). The default, `espipe`, is Linux's errno for a pipe.
  // Thread-safe.
  virtual Result<void> allocate(StdioStream stream, uint32_t mode, uint64_t offset,
                                uint64_t length);

  // Writes the stream's file to its storage, as fsync(2) does, or only its
  // data and size with `data_only` (fdatasync(2)). The default does nothing,
  // right for hosts without storage of their own. Thread-safe.
  virtual Result<void> sync(StdioStream stream, bool data_only);

  // Returns the host's name of the stream's file, as readlink(2) of
  // /proc/self/fd/N shows it on the host ("/home/user/out.txt",
  // "/dev/null"), or an empty string when the host has no path for it (a
  // pipe, a socket) or cannot tell, the default. Thread-safe.
  virtual std::string stream_path(StdioStream stream);

  // Returns the stream's poll(2) events now (Linux bit values: POLLIN,
  // POLLOUT, POLLHUP, ...), as the host reports them, without blocking.
  // The default, for hosts that cannot tell, reports standard input always
  // readable (POLLIN | POLLRDNORM) and the outputs always writable (POLLOUT
  // | POLLWRNORM). Thread-safe.
  virtual uint32_t stream_events(StdioStream stream);

  // Blocks until the stream reports one of `events`, or POLLHUP or
  // POLLERR. The default returns at once. StdioFile calls it from one
  // watcher thread per stream and host process, never from a guest thread.
  virtual void wait_for_events(StdioStream stream, uint32_t events);
};

}  // namespace litebox::platform
