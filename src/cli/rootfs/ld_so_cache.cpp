#include "rootfs/ld_so_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace litebox::rootfs {
namespace {

constexpr std::string_view old_magic = "ld.so-1.7.0";
constexpr std::string_view new_magic = "glibc-ld.so.cache1.1";

// Layout of the new format, from glibc's dl-cache.h. All fields are in host
// byte order; offsets of strings are relative to the start of the new header.
constexpr size_t new_header_size = 48;  // magic, version, nlibs, len_strings, flags, ...
constexpr size_t new_entry_size = 24;   // flags, key, value, osversion, hwcap
constexpr size_t old_header_size = 16;  // magic padded to 12, nlibs
constexpr size_t old_entry_size = 12;   // flags, key, value

// Bit 62 of hwcap marks an entry of a glibc-hwcaps subdirectory.
constexpr uint64_t hwcap_extension_bit = uint64_t{1} << 62;

template <typename T>
T read_at(std::span<const std::byte> bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

std::optional<std::string> string_at(std::span<const std::byte> bytes, size_t offset) {
  if (offset >= bytes.size()) {
    return std::nullopt;
  }
  const auto* start = bytes.data() + offset;
  const void* end = std::memchr(start, 0, bytes.size() - offset);
  if (end == nullptr) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(start),  // Safety: bytes are chars.
                     static_cast<size_t>(static_cast<const std::byte*>(end) - start));
}

bool starts_with(std::span<const std::byte> bytes, size_t offset, std::string_view magic) {
  return bytes.size() >= offset + magic.size() &&
         std::memcmp(bytes.data() + offset, magic.data(), magic.size()) == 0;
}

// Reads the whole file open on `descriptor`. Errors name `path`.
std::expected<std::vector<char>, std::string> read_whole_file(int descriptor,
                                                              const std::string& path) {
  struct stat status {};
  if (fstat(descriptor, &status) != 0) {
    return std::unexpected(path + ": " + std::strerror(errno));
  }

  std::vector<char> bytes(static_cast<size_t>(status.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t count = read(descriptor, bytes.data() + done, bytes.size() - done);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      return std::unexpected(path + ": " + std::strerror(errno));
    }
    if (count == 0) {
      return std::unexpected(path + ": cannot read the whole file");
    }
    done += static_cast<size_t>(count);
  }
  return bytes;
}

}  // namespace

std::expected<LdSoCache, std::string> LdSoCache::parse(std::span<const std::byte> contents) {
  // An old-format table may precede the new one; the new header then starts
  // after the old entries, aligned to 8 bytes.
  size_t new_start = 0;
  if (starts_with(contents, 0, old_magic)) {
    if (contents.size() < old_header_size) {
      return std::unexpected("truncated ld.so.cache header");
    }
    auto old_count = read_at<uint32_t>(contents, 12);
    new_start = old_header_size + size_t{old_count} * old_entry_size;
    new_start = (new_start + 7) & ~size_t{7};
  }
  if (!starts_with(contents, new_start, new_magic)) {
    return std::unexpected("not a glibc-ld.so.cache1.1 file");
  }
  if (contents.size() < new_start + new_header_size) {
    return std::unexpected("truncated ld.so.cache header");
  }

  auto table = contents.subspan(new_start);
  auto count = read_at<uint32_t>(table, 20);
  if (new_header_size + size_t{count} * new_entry_size > table.size()) {
    return std::unexpected("ld.so.cache entry table exceeds the file");
  }

  LdSoCache cache;
  cache.entries_.reserve(count);
  for (size_t index = 0; index < count; ++index) {
    size_t entry = new_header_size + index * new_entry_size;
    auto name = string_at(table, read_at<uint32_t>(table, entry + 4));
    auto path = string_at(table, read_at<uint32_t>(table, entry + 8));
    if (!name || !path) {
      return std::unexpected("ld.so.cache string offset out of range");
    }
    cache.entries_.push_back(LdSoCacheEntry{
        .name = std::move(*name),
        .path = std::move(*path),
        .flags = read_at<int32_t>(table, entry),
        .hardware_capabilities = read_at<uint64_t>(table, entry + 16),
    });
  }
  return cache;
}

std::expected<LdSoCache, std::string> LdSoCache::load(const std::string& path) {
  // POSIX calls rather than std::ifstream: the first stream of a process
  // builds the global std::locale, which `litebox run` of every dynamic
  // program would pay at start-up.
  const int descriptor = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    return LdSoCache{};
  }
  auto bytes = read_whole_file(descriptor, path);
  close(descriptor);
  if (!bytes) {
    return std::unexpected(bytes.error());
  }

  auto cache = parse(std::as_bytes(std::span(*bytes)));
  if (!cache) {
    return std::unexpected(path + ": " + cache.error());
  }
  return cache;
}

std::optional<std::string> LdSoCache::find(std::string_view name) const {
  for (const LdSoCacheEntry& entry : entries_) {
    // TODO: the loader also picks glibc-hwcaps entries (x86-64-v2..v4) that
    // the CPU supports; the image skips them so it runs on any x86-64 CPU.
    if (entry.name == name && entry.flags == x86_64_libc6_flags &&
        (entry.hardware_capabilities & hwcap_extension_bit) == 0) {
      return entry.path;
    }
  }
  return std::nullopt;
}

}  // namespace litebox::rootfs
