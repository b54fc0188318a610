// StdioFile: an open file description for the host's standard input, output
// or error, as a guest's descriptors 0, 1 and 2 see them. Bytes pass through
// unchanged in both directions.
//
// Standard input reports the host stream's readiness to poll(2), select(2)
// and epoll. The host stream has no kernel object that could notify the
// sandbox, so a guest wait that finds it not readable arms a watcher. The
// watcher is one host thread per host process, started on first use, that
// blocks in Stdio::wait_for_input and then notifies the waiters' Pollable.
// It blocks only while armed, so a readable stream that no guest reads does
// not make it spin.
#pragma once

#include <memory>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/file.hpp"
#include "litebox/platform/stdio.hpp"

namespace litebox::fd {

class StdioFile final : public File {
 public:
  explicit StdioFile(platform::StdioStream stream);

  // The terminal device /dev/tty, opened with `flags`: reads, writes and
  // terminal requests go to the first standard stream that is a terminal
  // (`enxio` if none is).
  static Result<std::shared_ptr<StdioFile>> open_terminal(uint32_t flags);

  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> write(std::span<const std::byte> data) override;
  // Seeks the host stream: a regular file redirected to the sandbox moves,
  // a pipe or terminal fails with `espipe`.
  Result<uint64_t> seek(int64_t offset, SeekOrigin origin) override;
  Result<fs::Stat> stat() override;
  Result<uint64_t> ioctl(uint32_t request, uint64_t argument) override;
  // A new description of the same stream, as open(2) of /dev/stdin,
  // /dev/stdout or /dev/stderr makes. `enxio` for an access mode the
  // stream cannot serve (writing standard input, reading an output).
  Result<std::shared_ptr<File>> reopen(uint32_t flags) override;

  // Standard input: the host stream's events, arming the watcher when it is
  // neither readable, hung up nor in error. The outputs keep the default
  // (always ready).
  uint32_t poll_events() override;
  // Standard input's Pollable, shared with the descriptions reopen() makes;
  // nullptr for the outputs.
  event::Pollable* pollable() override { return readiness_.get(); }

  platform::StdioStream stream() const { return stream_; }
  bool is_terminal() const;

 private:
  StdioFile(platform::StdioStream stream, std::shared_ptr<event::Pollable> readiness);
  StdioFile(platform::StdioStream stream, uint32_t flags,
            std::shared_ptr<event::Pollable> readiness);

  platform::StdioStream stream_;
  std::shared_ptr<event::Pollable> readiness_;  // null for the outputs
  // Opened as /dev/tty: the terminal of `stream_` in both directions.
  bool terminal_device_ = false;
};

}  // namespace litebox::fd
