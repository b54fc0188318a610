// ElfFile: what the dynamic loader reads from an executable or shared
// object before it maps anything: PT_INTERP, DT_NEEDED, DT_RPATH and
// DT_RUNPATH.
#pragma once

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace litebox::rootfs {

struct ElfDependencies {
  std::optional<std::string> interpreter;  // PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2
  std::vector<std::string> needed;         // DT_NEEDED in file order
  std::optional<std::string> rpath;        // DT_RPATH, colon-separated
  std::optional<std::string> runpath;      // DT_RUNPATH, colon-separated
  std::optional<std::string> soname;       // DT_SONAME
};

enum class ElfKind {
  not_elf,       // no ELF magic: a script or data file
  incompatible,  // ELF, but not little-endian ELFCLASS64 for EM_X86_64
  x86_64,
};

// Reads the first bytes of `path` and classifies it. Errors name the path.
std::expected<ElfKind, std::string> classify_elf(const std::string& path);

// The kind of a file and, for an x86-64 ELF file, its dependencies.
struct ElfFile {
  ElfKind kind = ElfKind::not_elf;
  ElfDependencies dependencies;  // empty unless kind is x86_64
};

// Classifies `path` and reads the dependencies of an x86-64 ELF file, with
// one open of the file. Errors are those of classify_elf and
// read_elf_dependencies.
std::expected<ElfFile, std::string> read_elf_file(const std::string& path);

// Classifies the file `path` from its `contents`, mapped or read by the
// caller, and reads the dependencies of an x86-64 ELF file, with the errors
// of the overload above except those of open(2) and read(2).
std::expected<ElfFile, std::string> read_elf_file(std::span<const std::byte> contents,
                                                  const std::string& path);

// Reads the dependency information of the x86-64 ELF file at `path`. Errors
// (unreadable file, truncated or malformed headers) name the path.
std::expected<ElfDependencies, std::string> read_elf_dependencies(const std::string& path);

}  // namespace litebox::rootfs
