#include "shim/linux/loader/elf.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "litebox/fs/types.hpp"
#include "litebox/mm/memory_map.hpp"
#include "litebox/platform/pages.hpp"

namespace litebox::shim::linux_abi::elf {

namespace {

constexpr uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
constexpr size_t ident_class = 4;
constexpr size_t ident_data = 5;
constexpr size_t ident_version = 6;
constexpr uint8_t class_32 = 1;
constexpr uint8_t class_64 = 2;
constexpr uint8_t data_little_endian = 1;

// The fix for a file shorter than its headers declare.
constexpr std::string_view rebuild_hint = "copy or build the file again";

// Linux rejects program header tables larger than this (ELF_MIN_ALIGN, 64 KiB).
constexpr uint64_t max_program_header_bytes = 64 * 1024;

// The highest address a segment may reach: the top of the 47-bit user
// address space.
constexpr uint64_t user_address_limit = mm::Layout{}.highest;

std::unexpected<LoadError> reject(Errno error, std::string reason) {
  return std::unexpected(LoadError{error, std::move(reason)});
}

std::string machine_name(uint16_t machine) {
  switch (machine) {
    case 3:
      return "i386";
    case 8:
      return "MIPS";
    case 20:
      return "PowerPC";
    case 21:
      return "PowerPC64";
    case 40:
      return "ARM";
    case 183:
      return "aarch64";
    case 243:
      return "RISC-V";
    default:
      return fmt::format("machine {}", machine);
  }
}

Result<void> read_exact(fs::Inode& inode, uint64_t offset, std::span<std::byte> buffer) {
  size_t done = 0;
  while (done < buffer.size()) {
    size_t count = TRY(inode.read(offset + done, buffer.subspan(done)));
    if (count == 0) {
      return fail(Errno::eio);
    }
    done += count;
  }
  return {};
}

uint32_t protection_of(uint32_t flags) {
  uint32_t protection = platform::prot_none;
  if (flags & flag_read) {
    protection |= platform::prot_read;
  }
  if (flags & flag_write) {
    protection |= platform::prot_write;
  }
  if (flags & flag_execute) {
    protection |= platform::prot_exec;
  }
  return protection;
}

std::expected<void, LoadError> check_header(const FileHeader& header, uint64_t file_size) {
  if (header.ident[ident_class] == class_32) {
    return reject(Errno::enoexec,
                  fmt::format("32-bit ELF ({}) is not supported; LiteBox runs x86-64 programs",
                              machine_name(header.machine)));
  }
  if (header.ident[ident_class] != class_64) {
    return reject(Errno::enoexec, "invalid ELF class");
  }
  if (header.ident[ident_data] != data_little_endian) {
    return reject(Errno::enoexec, "big-endian ELF is not supported; LiteBox runs x86-64 programs");
  }
  if (header.ident[ident_version] != 1 || header.version != 1) {
    return reject(Errno::enoexec, "invalid ELF version");
  }
  if (header.machine != machine_x86_64) {
    return reject(Errno::enoexec,
                  fmt::format("{} ELF is not supported; LiteBox runs x86-64 programs",
                              machine_name(header.machine)));
  }
  if (header.type != type_executable && header.type != type_shared) {
    return reject(Errno::enoexec,
                  fmt::format("ELF type {} is not an executable (relocatable object or core "
                              "file?)",
                              header.type));
  }
  if (header.program_header_size != sizeof(ProgramHeader)) {
    return reject(Errno::enoexec,
                  fmt::format("invalid program header size {}", header.program_header_size));
  }
  const uint64_t table_bytes = uint64_t{header.program_header_count} * sizeof(ProgramHeader);
  if (header.program_header_count == 0 || table_bytes > max_program_header_bytes) {
    return reject(Errno::enoexec,
                  fmt::format("invalid program header count {}", header.program_header_count));
  }
  if (header.program_header_offset > file_size ||
      table_bytes > file_size - header.program_header_offset) {
    return reject(
        Errno::enoexec,
        fmt::format("truncated file: the program headers extend past its end; {}", rebuild_hint));
  }
  return {};
}

std::expected<void, LoadError> add_segment(Executable& executable, const ProgramHeader& header,
                                           size_t index, uint64_t file_size) {
  if (header.file_size > header.memory_size) {
    return reject(Errno::enoexec,
                  fmt::format("segment {} has a file size larger than its memory size", index));
  }
  if (header.offset > file_size || header.file_size > file_size - header.offset) {
    return reject(Errno::enoexec, fmt::format("truncated file: segment {} extends past its end; {}",
                                              index, rebuild_hint));
  }
  if (header.virtual_address >= user_address_limit ||
      header.memory_size > user_address_limit - header.virtual_address) {
    return reject(Errno::enomem,
                  fmt::format("segment {} does not fit in the user address space", index));
  }
  if ((header.virtual_address - header.offset) % platform::page_size != 0) {
    return reject(Errno::enoexec,
                  fmt::format("segment {} has a file offset not congruent to its address "
                              "modulo the page size",
                              index));
  }
  if (header.memory_size == 0) {
    return {};
  }
  executable.segments.push_back(Segment{header.virtual_address, header.memory_size, header.offset,
                                        header.file_size, protection_of(header.flags)});
  return {};
}

std::expected<void, LoadError> read_interpreter(Executable& executable, fs::Inode& inode,
                                                const ProgramHeader& header, uint64_t file_size) {
  if (executable.interpreter) {
    return reject(Errno::enoexec, "more than one PT_INTERP segment");
  }
  if (header.file_size < 2 || header.file_size > fs::path_max) {
    return reject(Errno::enoexec, "invalid PT_INTERP size");
  }
  if (header.offset > file_size || header.file_size > file_size - header.offset) {
    return reject(Errno::enoexec,
                  fmt::format("truncated file: PT_INTERP extends past its end; {}", rebuild_hint));
  }
  std::string path(header.file_size, '\0');
  // Safety: std::string storage is contiguous and writable.
  if (!read_exact(inode, header.offset, {reinterpret_cast<std::byte*>(path.data()), path.size()})) {
    return reject(Errno::eio, "reading PT_INTERP failed");
  }
  if (path.back() != '\0' || path.find('\0') != path.size() - 1) {
    return reject(Errno::enoexec, "PT_INTERP is not a NUL-terminated path");
  }
  path.pop_back();
  executable.interpreter = std::move(path);
  return {};
}

}  // namespace

bool has_elf_magic(std::span<const std::byte> start) {
  return start.size() >= sizeof(magic) && std::memcmp(start.data(), magic, sizeof(magic)) == 0;
}

std::expected<Executable, LoadError> read_executable(fs::Inode& inode, uint64_t file_size) {
  FileHeader header;
  if (file_size < sizeof(header)) {
    return reject(Errno::enoexec,
                  fmt::format("truncated file: shorter than an ELF header; {}", rebuild_hint));
  }
  // Safety: FileHeader is a plain struct of integers.
  if (!read_exact(inode, 0, {reinterpret_cast<std::byte*>(&header), sizeof(header)})) {
    return reject(Errno::eio, "reading the ELF header failed");
  }
  if (std::memcmp(header.ident, magic, sizeof(magic)) != 0) {
    return reject(Errno::enoexec, "not an ELF file");
  }
  if (auto checked = check_header(header, file_size); !checked) {
    return std::unexpected(checked.error());
  }

  std::vector<ProgramHeader> program_headers(header.program_header_count);
  // Safety: ProgramHeader is a plain struct of integers.
  if (!read_exact(inode, header.program_header_offset,
                  {reinterpret_cast<std::byte*>(program_headers.data()),
                   program_headers.size() * sizeof(ProgramHeader)})) {
    return reject(Errno::eio, "reading the program headers failed");
  }

  Executable executable;
  executable.position_independent = header.type == type_shared;
  executable.entry = header.entry;
  executable.program_header_count = header.program_header_count;

  std::optional<uint64_t> program_headers_address;
  for (size_t index = 0; index < program_headers.size(); ++index) {
    const ProgramHeader& program_header = program_headers[index];
    switch (program_header.type) {
      case segment_load:
        if (auto added = add_segment(executable, program_header, index, file_size); !added) {
          return std::unexpected(added.error());
        }
        break;
      case segment_interpreter:
        if (auto read = read_interpreter(executable, inode, program_header, file_size); !read) {
          return std::unexpected(read.error());
        }
        break;
      case segment_program_headers:
        program_headers_address = program_header.virtual_address;
        break;
      case segment_gnu_stack:
        executable.executable_stack = (program_header.flags & flag_execute) != 0;
        break;
      default:
        break;
    }
  }

  if (executable.segments.empty()) {
    return reject(Errno::enoexec, "no loadable segment");
  }
  std::ranges::sort(executable.segments, {}, &Segment::virtual_address);
  for (size_t index = 1; index < executable.segments.size(); ++index) {
    const Segment& previous = executable.segments[index - 1];
    if (executable.segments[index].virtual_address <
        previous.virtual_address + previous.memory_size) {
      return reject(Errno::enoexec, "overlapping loadable segments");
    }
  }
  executable.lowest_address = mm::page_round_down(executable.segments.front().virtual_address);
  const Segment& last = executable.segments.back();
  executable.highest_address = last.virtual_address + last.memory_size;
  if (executable.position_independent &&
      executable.highest_address - executable.lowest_address > user_address_limit / 2) {
    return reject(Errno::enomem, "loadable segments span more than half the address space");
  }

  // Without PT_PHDR, the headers are found inside the segment that maps
  // their file offset.
  if (!program_headers_address) {
    for (const Segment& segment : executable.segments) {
      if (header.program_header_offset >= segment.file_offset &&
          header.program_header_offset < segment.file_offset + segment.file_size) {
        program_headers_address =
            segment.virtual_address + (header.program_header_offset - segment.file_offset);
        break;
      }
    }
  }
  executable.program_headers_address = program_headers_address.value_or(0);
  return executable;
}

}  // namespace litebox::shim::linux_abi::elf
