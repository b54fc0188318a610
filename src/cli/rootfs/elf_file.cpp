#include "rootfs/elf_file.hpp"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <utility>

namespace litebox::rootfs {
namespace {

// Closes a host file descriptor when it goes out of scope.
class HostFile {
 public:
  explicit HostFile(int descriptor) : descriptor_(descriptor) {}
  ~HostFile() {
    if (descriptor_ >= 0) {
      close(descriptor_);
    }
  }
  HostFile(const HostFile&) = delete;
  HostFile& operator=(const HostFile&) = delete;

  int get() const { return descriptor_; }

 private:
  int descriptor_;
};

std::string describe_errno(const std::string& path, const char* action) {
  return path + ": " + action + " failed: " + std::strerror(errno);
}

// The bytes of the file being read: an open host file, or its contents
// mapped by the caller.
struct ElfSource {
  int descriptor = -1;
  std::span<const std::byte> contents;
  bool mapped = false;
};

// Copies up to `size` bytes at `offset` of the mapped `contents` and
// returns how many there were.
size_t copy_mapped(std::span<const std::byte> contents, uint64_t offset, void* buffer,
                   size_t size) {
  if (offset >= contents.size()) {
    return 0;
  }
  const size_t count = std::min<uint64_t>(size, contents.size() - offset);
  std::memcpy(buffer, contents.data() + offset, count);
  return count;
}

// Reads exactly `size` bytes at `offset`, or fails with a message naming
// `path`.
std::expected<void, std::string> read_exact(const ElfSource& source, const std::string& path,
                                            uint64_t offset, void* buffer, size_t size) {
  if (source.mapped) {
    if (copy_mapped(source.contents, offset, buffer, size) != size) {
      return std::unexpected(path + ": truncated ELF file; copy or build the file again");
    }
    return {};
  }
  auto* bytes = static_cast<char*>(buffer);
  size_t done = 0;
  while (done < size) {
    ssize_t count =
        pread(source.descriptor, bytes + done, size - done, static_cast<off_t>(offset + done));
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      return std::unexpected(describe_errno(path, "read"));
    }
    if (count == 0) {
      return std::unexpected(path + ": truncated ELF file; copy or build the file again");
    }
    done += static_cast<size_t>(count);
  }
  return {};
}

std::expected<int, std::string> open_for_reading(const std::string& path) {
  int descriptor = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    return std::unexpected(describe_errno(path, "open"));
  }
  return descriptor;
}

ElfKind classify_header(const unsigned char* ident, size_t size, uint16_t machine) {
  if (size < SELFMAG || std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    return ElfKind::not_elf;
  }
  if (size < EI_NIDENT || ident[EI_CLASS] != ELFCLASS64 || ident[EI_DATA] != ELFDATA2LSB ||
      machine != EM_X86_64) {
    return ElfKind::incompatible;
  }
  return ElfKind::x86_64;
}

// Translates the address range [address, address + size) to a file offset
// through the PT_LOAD segment that contains it. The ELF specification places
// the dynamic string table inside one loadable segment, and the table must
// lie in the bytes that segment takes from the file.
std::optional<uint64_t> file_offset_of(const std::vector<Elf64_Phdr>& segments, uint64_t address,
                                       uint64_t size) {
  for (const Elf64_Phdr& segment : segments) {
    if (segment.p_type != PT_LOAD || address < segment.p_vaddr ||
        address - segment.p_vaddr >= segment.p_filesz) {
      continue;
    }
    uint64_t offset_in_segment = address - segment.p_vaddr;
    if (size > segment.p_filesz - offset_in_segment) {
      return std::nullopt;
    }
    return segment.p_offset + offset_in_segment;
  }
  return std::nullopt;
}

// Reads the NUL-terminated string at `offset` of the dynamic string table
// that starts at `table_offset` in the file and contains `table_size` bytes.
// Only the string itself is read, because a large program's table holds
// megabytes of symbol names.
std::expected<std::string, std::string> read_dynamic_string(const ElfSource& source,
                                                            const std::string& path,
                                                            uint64_t table_offset,
                                                            uint64_t table_size, uint64_t offset) {
  // A longer library name or search path is treated as malformed. Real ones
  // are far shorter, and the bound keeps a hostile file from growing `value`.
  constexpr uint64_t max_string_size = 1 << 20;
  constexpr uint64_t chunk_size = 256;
  if (offset >= table_size) {
    return std::unexpected(path + ": ELF dynamic string offset out of range");
  }

  std::string value;
  while (true) {
    uint64_t position = offset + value.size();
    if (position >= table_size) {
      return std::unexpected(path + ": ELF dynamic string is not NUL-terminated");
    }
    if (value.size() >= max_string_size) {
      return std::unexpected(path + ": ELF dynamic string is too long");
    }
    char chunk[chunk_size];
    uint64_t count = std::min(chunk_size, table_size - position);
    if (auto read = read_exact(source, path, table_offset + position, chunk, count); !read) {
      return std::unexpected(read.error());
    }
    const void* terminator = std::memchr(chunk, '\0', count);
    if (terminator != nullptr) {
      value.append(chunk, static_cast<size_t>(static_cast<const char*>(terminator) - chunk));
      return value;
    }
    value.append(chunk, count);
  }
}

// Reads the ELF header of `source` into `header` and classifies it. A file
// shorter than the header is classified by the bytes it has.
std::expected<ElfKind, std::string> read_and_classify_header(const ElfSource& source,
                                                             const std::string& path,
                                                             Elf64_Ehdr& header) {
  size_t size = 0;
  if (source.mapped) {
    size = copy_mapped(source.contents, 0, &header, sizeof header);
  } else {
    ssize_t count = pread(source.descriptor, &header, sizeof header, 0);
    if (count < 0) {
      return std::unexpected(describe_errno(path, "read"));
    }
    size = static_cast<size_t>(count);
  }
  uint16_t machine = size >= sizeof header ? header.e_machine : 0;
  return classify_header(header.e_ident, size, machine);
}

}  // namespace

std::expected<ElfKind, std::string> classify_elf(const std::string& path) {
  auto descriptor = open_for_reading(path);
  if (!descriptor) {
    return std::unexpected(descriptor.error());
  }
  HostFile file(*descriptor);

  Elf64_Ehdr header{};
  return read_and_classify_header(ElfSource{.descriptor = file.get()}, path, header);
}

namespace {

// Reads the dependencies of the x86-64 ELF file `source`, whose header is
// `header`.
std::expected<ElfDependencies, std::string> read_dependencies(const ElfSource& source,
                                                              const std::string& path,
                                                              const Elf64_Ehdr& header) {
  // Relocatable objects (.o) and core files are never loaded, so they have
  // no loader dependencies.
  if (header.e_type != ET_EXEC && header.e_type != ET_DYN) {
    return ElfDependencies{};
  }
  if (header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0 ||
      header.e_phnum >= PN_XNUM) {
    return std::unexpected(path + ": malformed ELF program header table");
  }

  std::vector<Elf64_Phdr> segments(header.e_phnum);
  if (auto read = read_exact(source, path, header.e_phoff, segments.data(),
                             segments.size() * sizeof(Elf64_Phdr));
      !read) {
    return std::unexpected(read.error());
  }

  ElfDependencies dependencies;
  const Elf64_Phdr* dynamic_segment = nullptr;
  for (const Elf64_Phdr& segment : segments) {
    if (segment.p_type == PT_INTERP) {
      std::string interpreter(segment.p_filesz, '\0');
      if (auto read =
              read_exact(source, path, segment.p_offset, interpreter.data(), interpreter.size());
          !read) {
        return std::unexpected(read.error());
      }
      interpreter.resize(std::strlen(interpreter.c_str()));
      dependencies.interpreter = std::move(interpreter);
    } else if (segment.p_type == PT_DYNAMIC) {
      dynamic_segment = &segment;
    }
  }
  if (dynamic_segment == nullptr) {
    return dependencies;  // a static executable
  }

  // A dynamic section larger than this is not produced by any linker.
  constexpr uint64_t max_dynamic_size = 1 << 20;
  if (dynamic_segment->p_filesz > max_dynamic_size) {
    return std::unexpected(path + ": malformed ELF dynamic section");
  }
  std::vector<Elf64_Dyn> dynamic(dynamic_segment->p_filesz / sizeof(Elf64_Dyn));
  if (auto read = read_exact(source, path, dynamic_segment->p_offset, dynamic.data(),
                             dynamic.size() * sizeof(Elf64_Dyn));
      !read) {
    return std::unexpected(read.error());
  }

  uint64_t string_table_address = 0;
  uint64_t string_table_size = 0;
  std::vector<uint64_t> needed_offsets;
  std::optional<uint64_t> rpath_offset;
  std::optional<uint64_t> runpath_offset;
  std::optional<uint64_t> soname_offset;
  for (const Elf64_Dyn& entry : dynamic) {
    if (entry.d_tag == DT_NULL) {
      break;
    }
    switch (entry.d_tag) {
      case DT_STRTAB:
        string_table_address = entry.d_un.d_ptr;
        break;
      case DT_STRSZ:
        string_table_size = entry.d_un.d_val;
        break;
      case DT_NEEDED:
        needed_offsets.push_back(entry.d_un.d_val);
        break;
      case DT_RPATH:
        rpath_offset = entry.d_un.d_val;
        break;
      case DT_RUNPATH:
        runpath_offset = entry.d_un.d_val;
        break;
      case DT_SONAME:
        soname_offset = entry.d_un.d_val;
        break;
      default:
        break;
    }
  }
  if (needed_offsets.empty() && !rpath_offset && !runpath_offset && !soname_offset) {
    return dependencies;
  }

  auto string_table_offset = file_offset_of(segments, string_table_address, string_table_size);
  if (!string_table_offset || string_table_size == 0) {
    return std::unexpected(path + ": malformed ELF dynamic string table");
  }
  auto string_at = [&](uint64_t offset) {
    return read_dynamic_string(source, path, *string_table_offset, string_table_size, offset);
  };

  for (uint64_t offset : needed_offsets) {
    auto name = string_at(offset);
    if (!name) {
      return std::unexpected(name.error());
    }
    dependencies.needed.push_back(std::move(*name));
  }
  for (auto [offset, field] : {std::pair{rpath_offset, &dependencies.rpath},
                               std::pair{runpath_offset, &dependencies.runpath},
                               std::pair{soname_offset, &dependencies.soname}}) {
    if (!offset) {
      continue;
    }
    auto value = string_at(*offset);
    if (!value) {
      return std::unexpected(value.error());
    }
    *field = std::move(*value);
  }
  return dependencies;
}

}  // namespace

std::expected<ElfDependencies, std::string> read_elf_dependencies(const std::string& path) {
  auto descriptor = open_for_reading(path);
  if (!descriptor) {
    return std::unexpected(descriptor.error());
  }
  HostFile file(*descriptor);

  const ElfSource source{.descriptor = file.get()};
  Elf64_Ehdr header{};
  if (auto read = read_exact(source, path, 0, &header, sizeof header); !read) {
    return std::unexpected(read.error());
  }
  if (classify_header(header.e_ident, sizeof header, header.e_machine) != ElfKind::x86_64) {
    return std::unexpected(path + ": not an x86-64 ELF file");
  }
  return read_dependencies(source, path, header);
}

namespace {

std::expected<ElfFile, std::string> read_elf_file_from(const ElfSource& source,
                                                       const std::string& path) {
  Elf64_Ehdr header{};
  auto kind = read_and_classify_header(source, path, header);
  if (!kind) {
    return std::unexpected(kind.error());
  }
  ElfFile elf{.kind = *kind};
  if (elf.kind != ElfKind::x86_64) {
    return elf;
  }

  auto dependencies = read_dependencies(source, path, header);
  if (!dependencies) {
    return std::unexpected(dependencies.error());
  }
  elf.dependencies = std::move(*dependencies);
  return elf;
}

}  // namespace

std::expected<ElfFile, std::string> read_elf_file(const std::string& path) {
  auto descriptor = open_for_reading(path);
  if (!descriptor) {
    return std::unexpected(descriptor.error());
  }
  HostFile file(*descriptor);
  return read_elf_file_from(ElfSource{.descriptor = file.get()}, path);
}

std::expected<ElfFile, std::string> read_elf_file(std::span<const std::byte> contents,
                                                  const std::string& path) {
  return read_elf_file_from(ElfSource{.contents = contents, .mapped = true}, path);
}

}  // namespace litebox::rootfs
