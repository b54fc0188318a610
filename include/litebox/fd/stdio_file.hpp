// StdioFile: an open file description for the host's standard input, output
// or error, as a guest's descriptors 0, 1 and 2 see them. Bytes pass through
// unchanged in both directions.
#pragma once

#include "litebox/fd/file.hpp"
#include "litebox/platform/stdio.hpp"

namespace litebox::fd {

class StdioFile final : public File {
 public:
  explicit StdioFile(platform::StdioStream stream);

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

  platform::StdioStream stream() const { return stream_; }
  bool is_terminal() const;

 private:
  platform::StdioStream stream_;
};

}  // namespace litebox::fd
