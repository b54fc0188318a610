// LibraryResolver: finds the files that the glibc dynamic loader on this
// host would open to start an ELF program: its PT_INTERP and the closure of
// its DT_NEEDED libraries.
//
// The search order per needed name follows ld.so(8): DT_RPATH of the
// loading object and its loaders (only when the loading object has no
// DT_RUNPATH), DT_RUNPATH of the loading object, /etc/ld.so.cache, then the
// default directories. LD_LIBRARY_PATH and LD_PRELOAD are ignored, because
// an image must not depend on the environment of whoever built it.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "rootfs/elf_file.hpp"
#include "rootfs/ld_so_cache.hpp"

namespace litebox::rootfs {

struct MissingLibrary {
  std::string name;       // the DT_NEEDED value
  std::string needed_by;  // the object that names it
};

struct LibraryClosure {
  std::optional<std::string> interpreter;  // PT_INTERP of the object, as written
  std::vector<std::string> libraries;      // paths as the loader opens them, in load order
  std::vector<MissingLibrary> missing;
};

class LibraryResolver {
 public:
  // The default directories of Debian's x86-64 glibc, searched last.
  static const std::vector<std::string>& default_directories();

  // The first resolve that needs a library reads the cache at
  // `ld_so_cache_path`; a static program needs none and costs no parse.
  explicit LibraryResolver(std::string ld_so_cache_path)
      : ld_so_cache_path_(std::move(ld_so_cache_path)) {}

  // Resolves the closure of the x86-64 ELF file at `path`, loading it as the
  // main program would be loaded.
  std::expected<LibraryClosure, std::string> resolve(const std::string& path) const;

  // Resolves the closure as above, from the dependencies of `path` already
  // read by read_elf_file or read_elf_dependencies.
  std::expected<LibraryClosure, std::string> resolve(
      const std::string& path, const ElfDependencies& main_dependencies) const;

 private:
  std::string ld_so_cache_path_;
  mutable std::optional<LdSoCache> cache_;
};

// Replaces $ORIGIN, $LIB and $PLATFORM (also in the ${NAME} form) in one
// search path entry, with the values of Debian's x86-64 glibc: $LIB is
// lib/x86_64-linux-gnu and $PLATFORM is x86_64. Returns nullopt for an
// unknown token, which makes the loader skip the entry.
std::optional<std::string> expand_dynamic_string_tokens(const std::string& entry,
                                                        const std::string& origin);

}  // namespace litebox::rootfs
