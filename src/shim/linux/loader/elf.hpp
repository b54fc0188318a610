// ELF64 headers as the x86-64 psABI defines them, and the checked summary
// of an executable that the loader maps.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "litebox/fs/inode.hpp"

namespace litebox::shim::linux_abi::elf {

struct FileHeader {
  uint8_t ident[16];
  uint16_t type;
  uint16_t machine;
  uint32_t version;
  uint64_t entry;
  uint64_t program_header_offset;
  uint64_t section_header_offset;
  uint32_t flags;
  uint16_t header_size;
  uint16_t program_header_size;
  uint16_t program_header_count;
  uint16_t section_header_size;
  uint16_t section_header_count;
  uint16_t section_name_index;
};
static_assert(sizeof(FileHeader) == 64);

struct ProgramHeader {
  uint32_t type;
  uint32_t flags;
  uint64_t offset;
  uint64_t virtual_address;
  uint64_t physical_address;
  uint64_t file_size;
  uint64_t memory_size;
  uint64_t alignment;
};
static_assert(sizeof(ProgramHeader) == 56);

inline constexpr uint16_t type_executable = 2;  // ET_EXEC
inline constexpr uint16_t type_shared = 3;      // ET_DYN (PIE or ld.so)
inline constexpr uint16_t machine_x86_64 = 62;  // EM_X86_64

inline constexpr uint32_t segment_load = 1;             // PT_LOAD
inline constexpr uint32_t segment_interpreter = 3;      // PT_INTERP
inline constexpr uint32_t segment_program_headers = 6;  // PT_PHDR
inline constexpr uint32_t segment_gnu_stack = 0x6474e551;

inline constexpr uint32_t flag_execute = 1;  // PF_X
inline constexpr uint32_t flag_write = 2;    // PF_W
inline constexpr uint32_t flag_read = 4;     // PF_R

// One PT_LOAD segment, already checked against the file.
struct Segment {
  uint64_t virtual_address;
  uint64_t memory_size;
  uint64_t file_offset;
  uint64_t file_size;
  uint32_t protection;  // platform::Protection bits
};

// The facts the loader needs from a validated ELF executable.
struct Executable {
  bool position_independent = false;  // ET_DYN: loaded at a chosen base
  uint64_t entry = 0;                 // before relocation by the base
  std::vector<Segment> segments;      // in address order
  uint64_t lowest_address = 0;        // page-aligned start of the first segment
  uint64_t highest_address = 0;       // end of the last segment
  // The program headers' address before relocation, for AT_PHDR.
  uint64_t program_headers_address = 0;
  uint16_t program_header_count = 0;
  std::optional<std::string> interpreter;  // PT_INTERP path
  bool executable_stack = false;           // PT_GNU_STACK with PF_X
};

// Why a file cannot be loaded: the errno execve(2) would return and a
// one-line reason ("32-bit ELF (i386) is not supported").
struct LoadError {
  Errno error;
  std::string reason;
};

// Returns whether the first bytes of a file are the ELF magic.
bool has_elf_magic(std::span<const std::byte> start);

// Reads and checks the headers of the ELF file behind `inode`, which is
// `file_size` bytes long, the way Linux's binfmt_elf checks them: class,
// byte order, machine, type, program headers inside the file, PT_LOAD
// segments inside the file and within the user address space, without
// overlap and with file offsets congruent to addresses modulo the page size.
std::expected<Executable, LoadError> read_executable(fs::Inode& inode, uint64_t file_size);

}  // namespace litebox::shim::linux_abi::elf
