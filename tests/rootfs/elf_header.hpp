// The ELF header of the small x86-64 files that the rootfs tests write.
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>

namespace litebox::rootfs::testing {

// Returns a 64-bit little-endian x86-64 ELF header of type `type` whose
// `program_header_count` program headers follow it at once.
inline Elf64_Ehdr x86_64_elf_header(uint16_t type, uint16_t program_header_count) {
  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = type;
  header.e_machine = EM_X86_64;
  header.e_version = EV_CURRENT;
  header.e_phoff = sizeof(Elf64_Ehdr);
  header.e_ehsize = sizeof(Elf64_Ehdr);
  header.e_phentsize = sizeof(Elf64_Phdr);
  header.e_phnum = program_header_count;
  return header;
}

}  // namespace litebox::rootfs::testing
