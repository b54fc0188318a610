// TarWriter: writes a POSIX.1-2001 (pax) tar archive, the format of root
// images. Names and link targets that do not fit the ustar header go into a
// pax extended header, so any path length works.
#pragma once

#include <cstdint>
#include <expected>
#include <ostream>
#include <string>

#include "rootfs/root_image.hpp"

namespace litebox::rootfs {

class TarWriter {
 public:
  explicit TarWriter(std::ostream& output) : output_(output) {}

  // Appends one entry. Its path is stored relative to "/" ("usr/bin/ls",
  // directories with a trailing slash), owned by root, with the entry's
  // mode and modification time. Regular file contents are copied from
  // `entry.source`, which must still have `entry.size` bytes.
  std::expected<void, std::string> add(const RootEntry& entry);

  // Writes the two zero blocks that end an archive and pads it to a whole
  // 10240-byte record, as tar(1) does.
  std::expected<void, std::string> finish();

 private:
  std::expected<void, std::string> write_header(const std::string& name, char type, uint32_t mode,
                                                uint64_t size, int64_t modification_time,
                                                const std::string& link_target);
  std::expected<void, std::string> write_bytes(const char* data, size_t size);
  std::expected<void, std::string> pad_to_block();

  std::ostream& output_;
  uint64_t written_ = 0;
};

}  // namespace litebox::rootfs
