// StdioFile: an open file description for the host's standard input, output
// or error, as a guest's descriptors 0, 1 and 2 see them. Bytes pass through
// unchanged in both directions.
//
// Each stream reports the host stream's readiness to poll(2), select(2)
// and epoll. The host stream has no kernel object that could notify the
// sandbox, so a guest wait that finds standard input not readable, or an
// output not writable (a full pipe), arms a watcher. The watcher is one
// host thread per stream and host process, started on first use, that
// blocks in Stdio::wait_for_events and then notifies the waiters'
// Pollable. It blocks only while armed, so a ready stream that no guest
// uses does not make it spin.
#pragma once

#include <memory>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/file.hpp"
#include "litebox/platform/stdio.hpp"

namespace litebox::fd {

class StdioFile final : public File {
 public:
  // Descriptor 0, 1 or 2 of the first guest process: the host's open file
  // description of `stream`, with its access mode and status flags.
  explicit StdioFile(platform::StdioStream stream);

  // The terminal device /dev/tty, opened with `flags` through its devfs
  // `node`: reads, writes and terminal requests go to the first standard
  // stream that is a terminal (`enxio` if none is).
  static Result<std::shared_ptr<StdioFile>> open_terminal(uint32_t flags,
                                                          std::shared_ptr<fs::Inode> node);

  // The host terminal that a standard stream is, opened through its devfs
  // `node` (/dev/pts/N, see set_terminal_node). `enxio` when no stream is
  // the terminal with the node's device number.
  static Result<std::shared_ptr<StdioFile>> open_terminal_node(uint32_t flags,
                                                               std::shared_ptr<fs::Inode> node);

  // Records the devfs node (/dev/pts/N) of the host terminal that `stream`
  // is. fstat(2) of the stream then reports the node, and readlink(2) of
  // /proc/self/fd/N its path, so ttyname(3) finds it as on Linux. devfs
  // calls it once per terminal stream when it is created.
  static void set_terminal_node(platform::StdioStream stream, std::shared_ptr<fs::Inode> node);

  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> write(std::span<const std::byte> data) override;
  // Seeks the host stream: a regular file redirected to the sandbox moves,
  // a pipe or terminal fails with `espipe`.
  Result<uint64_t> seek(int64_t offset, SeekOrigin origin) override;
  // The calls below reach the host file of a regular file redirected to the
  // stream, as on Linux. A pipe or terminal fails them as Linux does
  // (`espipe` for pread, pwrite and fallocate).
  Result<size_t> pread(uint64_t offset, std::span<std::byte> buffer) override;
  Result<size_t> pwrite(uint64_t offset, std::span<const std::byte> data) override;
  Result<void> truncate(int64_t size, uint64_t size_limit) override;
  Result<void> sync(bool data_only) override;
  // fallocate(2) with Linux's FALLOC_FL_* `mode` bits, which the shim has
  // checked.
  Result<void> allocate(uint32_t mode, uint64_t offset, uint64_t length);
  // The host stream's real file type, size and times, or the devfs node of
  // a terminal. A host that cannot tell makes a terminal a character device
  // and anything else a pipe.
  Result<fs::Stat> stat() override;
  Result<uint64_t> ioctl(uint32_t request, uint64_t argument) override;
  // A new description of the same stream, as open(2) of /dev/stdin,
  // /dev/stdout or /dev/stderr makes. `enxio` for an access mode the
  // stream cannot serve (writing standard input, reading an output).
  Result<std::shared_ptr<File>> reopen(uint32_t flags) override;
  // "/dev/pts/N" for a terminal that has a devfs node, and the host path
  // of a redirected file (Stdio::stream_path), as Linux shows it.
  std::string anonymous_name() override;

  // Descriptors 0 to 2 share the host's open file description, so their
  // O_APPEND and O_NONBLOCK are the host's. F_GETFL reads them there, and
  // F_SETFL changes them where other processes sharing the description see
  // the change, as on Linux.
  uint32_t status_flags() override;
  void set_status_flags(uint32_t flags) override;

  // The host stream's events, arming the watcher when the stream is
  // neither ready (readable for standard input, writable for the outputs),
  // hung up nor in error.
  uint32_t poll_events() override;
  // The stream's Pollable, shared with the descriptions reopen() makes.
  event::Pollable* pollable() override { return readiness_.get(); }

  platform::StdioStream stream() const { return stream_; }
  bool is_terminal() const;
  // Whether this description was opened as /dev/tty, which needs a
  // controlling terminal.
  bool is_controlling_terminal_device() const { return kind_ == Kind::controlling_terminal; }

 private:
  enum class Kind {
    // A standard stream on the host's own open file description.
    host_description,
    // A standard stream reopened through /dev/stdin and the like.
    reopened_stream,
    // /dev/tty.
    controlling_terminal,
    // /dev/pts/N.
    terminal_node,
  };

  StdioFile(platform::StdioStream stream, Kind kind, uint32_t flags,
            std::shared_ptr<event::Pollable> readiness, std::shared_ptr<fs::Inode> node);

  // The devfs node recorded for `stream`, or nullptr.
  static std::shared_ptr<fs::Inode> terminal_node_of(platform::StdioStream stream);

  platform::StdioStream stream_;
  Kind kind_;
  std::shared_ptr<event::Pollable> readiness_;
  // The devfs node this description was opened through (/dev/tty,
  // /dev/pts/N); nullptr for the standard streams.
  std::shared_ptr<fs::Inode> node_;
};

}  // namespace litebox::fd
