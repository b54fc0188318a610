// Helpers for the tar tests: hand-built archives for hostile input, and
// temporary directories archived by the host's GNU tar.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace litebox::testing {

using Header = std::array<char, 512>;

// The fields of one hand-built header; the defaults make a valid ustar file.
struct HeaderFields {
  std::string name;
  char type = '0';
  std::string data;    // stored after the header, padded to 512 bytes
  std::string link;    // linkname field
  std::string prefix;  // ustar prefix field
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t modify_time = 0;
  uint32_t device_major = 0;
  uint32_t device_minor = 0;
  bool gnu_magic = false;
  // Applied to the header before the checksum is computed.
  std::function<void(Header&)> edit;
  // Stores a wrong checksum.
  bool corrupt_checksum = false;
  // Overrides the size field value (the data written is still `data`).
  std::optional<uint64_t> size_override;
};

inline void write_octal(Header& header, size_t offset, size_t length, uint64_t value) {
  // length - 1 digits and a terminating NUL, as GNU tar writes them.
  std::string digits(length - 1, '0');
  for (size_t i = length - 1; i-- > 0;) {
    digits[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  std::memcpy(header.data() + offset, digits.data(), length - 1);
  header[offset + length - 1] = '\0';
}

// Writes `value` as a GNU base-256 number filling the whole field.
inline void write_base256(Header& header, size_t offset, size_t length, int64_t value) {
  auto bits = static_cast<uint64_t>(value);
  for (size_t i = length; i-- > 0;) {
    header[offset + i] = static_cast<char>(bits & 0xff);
    bits = value < 0 ? (bits >> 8) | (uint64_t{0xff} << 56) : bits >> 8;
  }
  header[offset] = static_cast<char>(value < 0 ? 0xff : 0x80);
}

inline void write_checksum(Header& header) {
  std::memset(header.data() + 148, ' ', 8);
  uint64_t sum = 0;
  for (char c : header) {
    sum += static_cast<uint8_t>(c);
  }
  write_octal(header, 148, 7, sum);
  header[155] = ' ';
}

inline Header make_header(const HeaderFields& fields) {
  Header header{};
  std::memcpy(header.data(), fields.name.data(), std::min<size_t>(fields.name.size(), 100));
  write_octal(header, 100, 8, fields.mode);
  write_octal(header, 108, 8, fields.uid);
  write_octal(header, 116, 8, fields.gid);
  write_octal(header, 124, 12, fields.size_override.value_or(fields.data.size()));
  write_octal(header, 136, 12, static_cast<uint64_t>(fields.modify_time));
  header[156] = fields.type;
  std::memcpy(header.data() + 157, fields.link.data(), std::min<size_t>(fields.link.size(), 100));
  if (fields.gnu_magic) {
    std::memcpy(header.data() + 257, "ustar  ", 8);
  } else {
    std::memcpy(header.data() + 257, "ustar", 6);
    std::memcpy(header.data() + 263, "00", 2);
  }
  write_octal(header, 329, 8, fields.device_major);
  write_octal(header, 337, 8, fields.device_minor);
  std::memcpy(header.data() + 345, fields.prefix.data(),
              std::min<size_t>(fields.prefix.size(), 155));
  if (fields.edit) {
    fields.edit(header);
  }
  write_checksum(header);
  if (fields.corrupt_checksum) {
    header[148] = header[148] == '1' ? '2' : '1';
  }
  return header;
}

// An archive assembled block by block.
class ArchiveBuilder {
 public:
  ArchiveBuilder& add(const HeaderFields& fields) {
    Header header = make_header(fields);
    append(std::string_view(header.data(), header.size()));
    append(fields.data);
    pad();
    return *this;
  }

  // A pax extended header ('x' or 'g') holding `records` ("key=value" each).
  ArchiveBuilder& add_pax(char type, const std::vector<std::string>& records) {
    std::string data;
    for (const std::string& record : records) {
      // The length counts itself, so find the fixed point.
      size_t length = record.size() + 3;
      while (std::to_string(length).size() + 1 + record.size() + 1 != length) {
        ++length;
      }
      data += std::to_string(length) + " " + record + "\n";
    }
    return add(HeaderFields{.name = "PaxHeaders/x", .type = type, .data = data});
  }

  ArchiveBuilder& end() {
    bytes_.resize(bytes_.size() + 1024, std::byte{0});
    return *this;
  }

  ArchiveBuilder& append(std::string_view raw) {
    for (char c : raw) {
      bytes_.push_back(static_cast<std::byte>(c));
    }
    return *this;
  }

  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  void pad() {
    while (bytes_.size() % 512 != 0) {
      bytes_.push_back(std::byte{0});
    }
  }

  std::vector<std::byte> bytes_;
};

// A directory under the system temporary directory, removed with its
// contents when the object goes away.
class TemporaryDirectory {
 public:
  explicit TemporaryDirectory(
      const std::filesystem::path& parent = std::filesystem::temp_directory_path()) {
    std::string pattern = (parent / "litebox-tar-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
    }
    path_ = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::vector<std::byte> read_host_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

inline void write_host_file(const std::filesystem::path& path, std::string_view contents) {
  std::ofstream file(path, std::ios::binary);
  file.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

}  // namespace litebox::testing
