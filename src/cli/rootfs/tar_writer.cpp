#include "rootfs/tar_writer.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>

namespace litebox::rootfs {
namespace {

constexpr size_t block_size = 512;
constexpr size_t record_size = 10240;
// The x86-64 page size: the alignment of ELF file data in the archive.
constexpr uint64_t page_size = 4096;

// Field sizes of the ustar header.
constexpr size_t name_field = 100;
constexpr size_t link_field = 100;
// The largest size an 11-digit octal field holds.
constexpr uint64_t max_octal_size = 077777777777;

// ustar header layout (POSIX.1-2001, pax "ustar Interchange Format").
struct UstarHeader {
  char name[100];
  char mode[8];
  char uid[8];
  char gid[8];
  char size[12];
  char mtime[12];
  char checksum[8];
  char typeflag;
  char linkname[100];
  char magic[6];
  char version[2];
  char uname[32];
  char gname[32];
  char devmajor[8];
  char devminor[8];
  char prefix[155];
  char padding[12];
};
static_assert(sizeof(UstarHeader) == block_size);

// Writes `value` as zero-padded octal filling `size - 1` digits and a NUL.
void put_octal(char* field, size_t size, uint64_t value) {
  for (size_t index = size - 1; index-- > 0;) {
    field[index] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[size - 1] = '\0';
}

// Copies `value` into a NUL-padded field; ustar lets a value fill the whole
// field with no terminating NUL.
void put_string(char* field, size_t size, const std::string& value) {
  std::copy_n(value.data(), std::min(size, value.size()), field);
}

// One pax record: "<length> <keyword>=<value>\n", where the length counts
// the whole record including its own digits.
std::string pax_record(const std::string& keyword, const std::string& value) {
  size_t body = 1 + keyword.size() + 1 + value.size() + 1;  // " k=v\n"
  size_t length = body + std::to_string(body).size();
  if (std::to_string(length).size() != std::to_string(body).size()) {
    ++length;  // adding the digits made the number one digit longer
  }
  return std::to_string(length) + " " + keyword + "=" + value + "\n";
}

// Returns pax "comment" records of exactly `length` bytes in all (at least
// 12). Readers ignore comments, so the records only move what follows.
std::string padding_records(size_t length) {
  // The shortest record, "12 comment=\n", is 12 bytes.
  const std::string shortest = pax_record("comment", "");
  for (size_t value = length - shortest.size() + 2; value > 0; --value) {
    std::string record = pax_record("comment", std::string(value, ' '));
    if (record.size() == length) {
      return record;
    }
    if (record.size() < length) {
      break;
    }
  }
  // No single record is 100 or 1000 bytes long: the length field gains a
  // digit there. Two records make up such a length.
  return padding_records(length - shortest.size()) + shortest;
}

// Returns whether the host file `path` starts with the ELF magic number.
bool is_elf_file(const std::string& path) {
  std::ifstream input(path, std::ios::binary);
  std::array<char, 4> magic{};
  input.read(magic.data(), magic.size());
  return input.gcount() == 4 && std::memcmp(magic.data(), "\177ELF", 4) == 0;
}

}  // namespace

std::expected<void, std::string> TarWriter::write_bytes(const char* data, size_t size) {
  output_.write(data, static_cast<std::streamsize>(size));
  if (!output_) {
    return std::unexpected("writing the archive failed");
  }
  written_ += size;
  return {};
}

std::expected<void, std::string> TarWriter::pad_to_block() {
  static const std::array<char, block_size> zeros{};
  size_t remainder = written_ % block_size;
  if (remainder == 0) {
    return {};
  }
  return write_bytes(zeros.data(), block_size - remainder);
}

std::expected<void, std::string> TarWriter::write_header(const std::string& name, char type,
                                                         uint32_t mode, uint64_t size,
                                                         int64_t modification_time,
                                                         const std::string& link_target) {
  UstarHeader header{};
  put_string(header.name, sizeof header.name, name);
  put_octal(header.mode, sizeof header.mode, mode & 07777);
  put_octal(header.uid, sizeof header.uid, 0);
  put_octal(header.gid, sizeof header.gid, 0);
  put_octal(header.size, sizeof header.size, size);
  // A time outside the field's range is clamped rather than cut to its
  // low 33 bits, which would give an unrelated date.
  put_octal(header.mtime, sizeof header.mtime,
            static_cast<uint64_t>(
                std::clamp<int64_t>(modification_time, 0, static_cast<int64_t>(max_octal_size))));
  header.typeflag = type;
  put_string(header.linkname, sizeof header.linkname, link_target);
  std::memcpy(header.magic, "ustar", 6);
  std::memcpy(header.version, "00", 2);
  put_string(header.uname, sizeof header.uname, "root");
  put_string(header.gname, sizeof header.gname, "root");
  put_octal(header.devmajor, sizeof header.devmajor, 0);
  put_octal(header.devminor, sizeof header.devminor, 0);

  // The checksum is the byte sum of the header with the checksum field
  // taken as eight spaces; it is stored as six octal digits, NUL, space.
  std::memset(header.checksum, ' ', sizeof header.checksum);
  // Safety: UstarHeader is 512 chars with no padding (static_assert above).
  const auto* bytes = reinterpret_cast<const unsigned char*>(&header);
  uint64_t checksum = 0;
  for (size_t index = 0; index < sizeof header; ++index) {
    checksum += bytes[index];
  }
  put_octal(header.checksum, 7, checksum);
  header.checksum[7] = ' ';

  // Safety: as above, the header is a plain array of chars.
  return write_bytes(reinterpret_cast<const char*>(&header), sizeof header);
}

std::expected<void, std::string> TarWriter::add(const RootEntry& entry) {
  std::string name = entry.path.substr(entry.path.find_first_not_of('/'));
  char type = '0';
  uint64_t size = 0;
  std::string link_target;
  switch (entry.kind) {
    case EntryKind::directory:
      type = '5';
      name += '/';
      break;
    case EntryKind::symlink:
      type = '2';
      link_target = entry.source;
      break;
    case EntryKind::regular_file:
      type = '0';
      size = entry.size;
      break;
  }

  std::string pax;
  if (name.size() > name_field) {
    pax += pax_record("path", name);
  }
  if (link_target.size() > link_field) {
    pax += pax_record("linkpath", link_target);
  }
  if (size > max_octal_size) {
    pax += pax_record("size", std::to_string(size));
  }
  // An ELF file's data starts on a page boundary of the image, so the
  // sandbox can map its segments from the image file instead of copying
  // them. A comment record in the pax header moves the data there.
  if (entry.kind == EntryKind::regular_file && size >= page_size && is_elf_file(entry.source)) {
    // The data follows the pax header, its data and the member's header.
    const uint64_t headers_end = written_ + 2 * block_size;
    uint64_t blocks = (pax.size() + 12 + block_size - 1) / block_size;
    while ((headers_end + blocks * block_size) % page_size != 0) {
      ++blocks;
    }
    pax += padding_records(blocks * block_size - pax.size());
  }
  if (!pax.empty()) {
    // The pax header's own name is informational; a fixed one keeps the
    // archive reproducible.
    if (auto written =
            write_header("PaxHeader", 'x', 0644, pax.size(), entry.modification_time, "");
        !written) {
      return written;
    }
    if (auto written = write_bytes(pax.data(), pax.size()); !written) {
      return written;
    }
    if (auto padded = pad_to_block(); !padded) {
      return padded;
    }
  }

  if (auto written = write_header(name, type, entry.mode, std::min(size, max_octal_size),
                                  entry.modification_time, link_target);
      !written) {
    return written;
  }
  if (entry.kind != EntryKind::regular_file) {
    return {};
  }

  std::ifstream input(entry.source, std::ios::binary);
  if (!input) {
    return std::unexpected(entry.source + ": open failed");
  }
  std::array<char, 64 * 1024> buffer{};
  uint64_t remaining = size;
  while (remaining > 0) {
    auto chunk = static_cast<std::streamsize>(std::min<uint64_t>(remaining, buffer.size()));
    input.read(buffer.data(), chunk);
    if (input.gcount() != chunk) {
      return std::unexpected(entry.source + ": file shrank while the image was written");
    }
    if (auto written = write_bytes(buffer.data(), static_cast<size_t>(chunk)); !written) {
      return written;
    }
    remaining -= static_cast<uint64_t>(chunk);
  }
  return pad_to_block();
}

std::expected<void, std::string> TarWriter::finish() {
  static const std::array<char, block_size> zeros{};
  for (int block = 0; block < 2; ++block) {
    if (auto written = write_bytes(zeros.data(), zeros.size()); !written) {
      return written;
    }
  }
  while (written_ % record_size != 0) {
    if (auto written = write_bytes(zeros.data(), zeros.size()); !written) {
      return written;
    }
  }
  output_.flush();
  if (!output_) {
    return std::unexpected("writing the archive failed");
  }
  return {};
}

}  // namespace litebox::rootfs
