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
  Result<fs::Stat> stat() override;
  Result<uint64_t> ioctl(uint32_t request, uint64_t argument) override;

  platform::StdioStream stream() const { return stream_; }
  bool is_terminal() const;

 private:
  platform::StdioStream stream_;
};

}  // namespace litebox::fd
