// The ELF reader of `litebox rootfs` on small ELF files written by the test.
// It must read what the ELF specification allows, such as a dynamic string
// table of megabytes (Node has one), and reject tables and strings that
// point outside the file.
#include "rootfs/elf_file.hpp"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "elf_header.hpp"
#include "host_command.hpp"

namespace litebox::rootfs {
namespace {

using testing::ScratchDirectory;
using namespace std::string_literals;

constexpr uint64_t load_address = 0x400000;

// The dynamic string table and the tags that point into it.
struct DynamicStrings {
  std::string table;
  std::vector<Elf64_Dyn> entries;  // DT_NEEDED and friends; DT_STRTAB/DT_STRSZ added
  uint64_t declared_size = 0;      // DT_STRSZ; 0 means table.size()
};

// Writes an ET_DYN file with one PT_LOAD segment that maps the whole file
// and a PT_DYNAMIC segment inside it. Layout: ELF header, two program
// headers, the dynamic section, the string table.
std::string write_elf(const std::filesystem::path& path, const DynamicStrings& strings) {
  std::vector<Elf64_Dyn> dynamic = strings.entries;
  uint64_t dynamic_offset = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
  uint64_t dynamic_size = (dynamic.size() + 3) * sizeof(Elf64_Dyn);
  uint64_t table_offset = dynamic_offset + dynamic_size;
  uint64_t file_size = table_offset + strings.table.size();
  uint64_t declared_size =
      strings.declared_size != 0 ? strings.declared_size : strings.table.size();
  dynamic.push_back(Elf64_Dyn{.d_tag = DT_STRTAB, .d_un = {.d_ptr = load_address + table_offset}});
  dynamic.push_back(Elf64_Dyn{.d_tag = DT_STRSZ, .d_un = {.d_val = declared_size}});
  dynamic.push_back(Elf64_Dyn{.d_tag = DT_NULL, .d_un = {.d_val = 0}});

  Elf64_Ehdr header = testing::x86_64_elf_header(ET_DYN, 2);

  Elf64_Phdr segments[2]{};
  segments[0].p_type = PT_LOAD;
  segments[0].p_flags = PF_R;
  segments[0].p_vaddr = load_address;
  segments[0].p_filesz = file_size;
  segments[0].p_memsz = file_size;
  segments[0].p_align = 0x1000;
  segments[1].p_type = PT_DYNAMIC;
  segments[1].p_flags = PF_R;
  segments[1].p_offset = dynamic_offset;
  segments[1].p_vaddr = load_address + dynamic_offset;
  segments[1].p_filesz = dynamic_size;
  segments[1].p_memsz = dynamic_size;
  segments[1].p_align = 8;

  std::ofstream file(path, std::ios::binary);
  // Safety: the ELF structures are trivially copyable and written as raw bytes.
  file.write(reinterpret_cast<const char*>(&header), sizeof header);
  // Safety: as above.
  file.write(reinterpret_cast<const char*>(segments), sizeof segments);
  // Safety: as above.
  file.write(reinterpret_cast<const char*>(dynamic.data()),
             static_cast<std::streamsize>(dynamic.size() * sizeof(Elf64_Dyn)));
  file.write(strings.table.data(), static_cast<std::streamsize>(strings.table.size()));
  return path.string();
}

Elf64_Dyn tag(int64_t type, uint64_t offset) {
  return Elf64_Dyn{.d_tag = type, .d_un = {.d_val = offset}};
}

TEST(ElfFile, ReadsLargeDynamicStringTable) {
  ScratchDirectory scratch;
  DynamicStrings strings;
  strings.table.assign(3 << 20, 'x');
  strings.table[0] = '\0';
  uint64_t needed_offset = strings.table.size() - 64;
  std::string name = "libexample.so.1";
  strings.table.replace(needed_offset, name.size() + 1, name + '\0');
  strings.table.back() = '\0';
  strings.entries = {tag(DT_NEEDED, needed_offset)};

  auto dependencies = read_elf_dependencies(write_elf(scratch.path() / "large", strings));

  ASSERT_TRUE(dependencies.has_value()) << dependencies.error();
  ASSERT_EQ(dependencies->needed.size(), 1U);
  EXPECT_EQ(dependencies->needed[0], name);
}

TEST(ElfFile, ReadsStringsLongerThanOneRead) {
  ScratchDirectory scratch;
  DynamicStrings strings;
  std::string runpath = "/opt/" + std::string(5000, 'r') + ":/usr/lib/example";
  strings.table = std::string(1, '\0') + "libone.so\0"s + runpath + '\0';
  strings.entries = {tag(DT_NEEDED, 1), tag(DT_RUNPATH, 1 + std::strlen("libone.so") + 1)};

  auto dependencies = read_elf_dependencies(write_elf(scratch.path() / "runpath", strings));

  ASSERT_TRUE(dependencies.has_value()) << dependencies.error();
  ASSERT_EQ(dependencies->needed.size(), 1U);
  EXPECT_EQ(dependencies->needed[0], "libone.so");
  EXPECT_EQ(dependencies->runpath, runpath);
}

TEST(ElfFile, RejectsStringTablePastSegment) {
  ScratchDirectory scratch;
  DynamicStrings strings;
  strings.table = std::string(1, '\0') + "libone.so\0"s;
  strings.entries = {tag(DT_NEEDED, 1)};
  strings.declared_size = strings.table.size() + 1;

  auto dependencies = read_elf_dependencies(write_elf(scratch.path() / "past", strings));

  ASSERT_FALSE(dependencies.has_value());
  EXPECT_NE(dependencies.error().find("malformed ELF dynamic string table"), std::string::npos)
      << dependencies.error();
}

TEST(ElfFile, RejectsUnterminatedString) {
  ScratchDirectory scratch;
  DynamicStrings strings;
  strings.table = std::string(1, '\0') + "libone.so";
  strings.entries = {tag(DT_NEEDED, 1)};

  auto dependencies = read_elf_dependencies(write_elf(scratch.path() / "unterminated", strings));

  ASSERT_FALSE(dependencies.has_value());
  EXPECT_NE(dependencies.error().find("not NUL-terminated"), std::string::npos)
      << dependencies.error();
}

TEST(ElfFile, RejectsStringOffsetPastTable) {
  ScratchDirectory scratch;
  DynamicStrings strings;
  strings.table = std::string(1, '\0') + "libone.so\0"s;
  strings.entries = {tag(DT_NEEDED, strings.table.size())};

  auto dependencies = read_elf_dependencies(write_elf(scratch.path() / "offset", strings));

  ASSERT_FALSE(dependencies.has_value());
  EXPECT_NE(dependencies.error().find("offset out of range"), std::string::npos)
      << dependencies.error();
}

TEST(ElfFile, ReadElfFileMatchesSeparateReads) {
  ScratchDirectory scratch;
  DynamicStrings strings;
  strings.table = "\0libexample.so.1\0/opt/lib\0"s;
  strings.entries = {tag(DT_NEEDED, 1), tag(DT_RUNPATH, 17)};
  const std::string path = write_elf(scratch.path() / "dynamic", strings);

  auto kind = classify_elf(path);
  auto dependencies = read_elf_dependencies(path);
  auto elf = read_elf_file(path);

  ASSERT_TRUE(kind.has_value()) << kind.error();
  ASSERT_TRUE(dependencies.has_value()) << dependencies.error();
  ASSERT_TRUE(elf.has_value()) << elf.error();
  EXPECT_EQ(elf->kind, ElfKind::x86_64);
  EXPECT_EQ(elf->kind, *kind);
  EXPECT_EQ(elf->dependencies.needed, std::vector<std::string>{"libexample.so.1"});
  EXPECT_EQ(elf->dependencies.needed, dependencies->needed);
  EXPECT_EQ(elf->dependencies.runpath, dependencies->runpath);
  EXPECT_EQ(elf->dependencies.interpreter, dependencies->interpreter);
}

std::vector<std::byte> read_whole_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::vector<char> characters((std::istreambuf_iterator<char>(file)),
                               std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(characters.size());
  std::memcpy(bytes.data(), characters.data(), characters.size());
  return bytes;
}

TEST(ElfFile, MappedContentsReadAsFile) {
  ScratchDirectory scratch;
  DynamicStrings strings;
  strings.table = "\0libexample.so.1\0/opt/lib\0libexample.so.0\0"s;
  strings.entries = {tag(DT_NEEDED, 1), tag(DT_RPATH, 17), tag(DT_SONAME, 26)};
  const std::string path = write_elf(scratch.path() / "dynamic", strings);
  const std::vector<std::byte> contents = read_whole_file(path);

  auto from_file = read_elf_file(path);
  auto from_contents = read_elf_file(contents, path);

  ASSERT_TRUE(from_file.has_value()) << from_file.error();
  ASSERT_TRUE(from_contents.has_value()) << from_contents.error();
  EXPECT_EQ(from_contents->kind, from_file->kind);
  EXPECT_EQ(from_contents->dependencies.needed, from_file->dependencies.needed);
  EXPECT_EQ(from_contents->dependencies.rpath, from_file->dependencies.rpath);
  EXPECT_EQ(from_contents->dependencies.soname, from_file->dependencies.soname);
  EXPECT_EQ(from_contents->dependencies.needed, std::vector<std::string>{"libexample.so.1"});
}

TEST(ElfFile, TruncatedContentsFailAsFile) {
  ScratchDirectory scratch;
  DynamicStrings strings;
  strings.table = "\0libexample.so.1\0"s;
  strings.entries = {tag(DT_NEEDED, 1)};
  const std::string whole_path = write_elf(scratch.path() / "whole", strings);
  std::vector<std::byte> contents = read_whole_file(whole_path);
  // Keep the headers, cut the dynamic section short.
  contents.resize(sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr) + 8);
  const std::string path = (scratch.path() / "truncated").string();
  std::ofstream(path, std::ios::binary)
      // Safety: the bytes are written back as characters.
      .write(reinterpret_cast<const char*>(contents.data()),
             static_cast<std::streamsize>(contents.size()));

  auto from_file = read_elf_file(path);
  auto from_contents = read_elf_file(contents, path);

  ASSERT_FALSE(from_file.has_value());
  ASSERT_FALSE(from_contents.has_value());
  EXPECT_EQ(from_contents.error(), from_file.error());
}

TEST(ElfFile, ShortElfContentsAreIncompatible) {
  const std::vector<std::byte> contents{std::byte{0x7f}, std::byte{'E'}, std::byte{'L'},
                                        std::byte{'F'}};

  auto elf = read_elf_file(contents, "short");

  ASSERT_TRUE(elf.has_value()) << elf.error();
  EXPECT_EQ(elf->kind, ElfKind::incompatible);
}

TEST(ElfFile, ReadElfFileClassifiesScript) {
  ScratchDirectory scratch;
  const std::string path = (scratch.path() / "script").string();
  std::ofstream(path) << "#!/bin/sh\nexit 0\n";

  auto elf = read_elf_file(path);

  ASSERT_TRUE(elf.has_value()) << elf.error();
  EXPECT_EQ(elf->kind, ElfKind::not_elf);
  EXPECT_TRUE(elf->dependencies.needed.empty());
}

}  // namespace
}  // namespace litebox::rootfs
