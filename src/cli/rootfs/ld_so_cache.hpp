// LdSoCache: the library index that ldconfig writes to /etc/ld.so.cache and
// the glibc dynamic loader consults after DT_RUNPATH and before its default
// directories.
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace litebox::rootfs {

struct LdSoCacheEntry {
  std::string name;  // the key, a soname such as "libc.so.6"
  std::string path;  // the file the loader opens, e.g. /lib/x86_64-linux-gnu/libc.so.6
  int32_t flags = 0;
  uint64_t hardware_capabilities = 0;
};

class LdSoCache {
 public:
  // The flags of x86-64 libc6 entries: FLAG_ELF_LIBC6 | FLAG_X8664_LIB64.
  static constexpr int32_t x86_64_libc6_flags = 0x0303;

  // Parses the contents of a cache file in the "glibc-ld.so.cache1.1"
  // format, with or without the old "ld.so-1.7.0" table in front of it.
  static std::expected<LdSoCache, std::string> parse(std::span<const std::byte> contents);

  // Reads and parses `path`. A missing file is an empty cache, as the loader
  // treats it.
  static std::expected<LdSoCache, std::string> load(const std::string& path);

  // The path the loader uses for `name` on x86-64, or nullopt when the cache
  // has no entry. Entries for glibc-hwcaps subdirectories are skipped.
  std::optional<std::string> find(std::string_view name) const;

  const std::vector<LdSoCacheEntry>& entries() const { return entries_; }

 private:
  std::vector<LdSoCacheEntry> entries_;
};

}  // namespace litebox::rootfs
