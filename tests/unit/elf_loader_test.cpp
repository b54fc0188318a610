// The ELF loader: header validation on crafted files, and loading into a
// process on the mock platform (no guest code runs).
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "fake_execution.hpp"
#include "litebox/fs/memfs.hpp"
#include "litebox/fs/vfs.hpp"
#include "memory_inode.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/loader/elf.hpp"
#include "shim/linux/loader/initial_stack.hpp"
#include "shim/linux/loader/loader.hpp"

namespace litebox::shim::linux_abi {
namespace {

using elf::FileHeader;
using elf::ProgramHeader;

// A crafted ELF file: header, program headers right after it, then payload.
struct ElfBuilder {
  FileHeader header{};
  std::vector<ProgramHeader> segments;
  std::string payload;  // placed at offset 0x1000

  static constexpr uint64_t payload_offset = 0x1000;

  ElfBuilder() {
    const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    std::memcpy(header.ident, ident, sizeof(ident));
    header.type = elf::type_executable;
    header.machine = elf::machine_x86_64;
    header.version = 1;
    header.entry = 0x401000;
    header.program_header_offset = sizeof(FileHeader);
    header.header_size = sizeof(FileHeader);
    header.program_header_size = sizeof(ProgramHeader);
  }

  // A PT_LOAD of the whole file (headers and payload) at `base`.
  ElfBuilder& load_everything(uint64_t base, uint32_t flags, uint64_t extra_memory = 0) {
    ProgramHeader segment{};
    segment.type = elf::segment_load;
    segment.flags = flags;
    segment.offset = 0;
    segment.virtual_address = base;
    segment.file_size = payload_offset + payload.size();
    segment.memory_size = segment.file_size + extra_memory;
    segment.alignment = 0x1000;
    segments.push_back(segment);
    return *this;
  }

  std::string build() const {
    FileHeader copy = header;
    copy.program_header_count = static_cast<uint16_t>(segments.size());
    std::string bytes(payload_offset, '\0');
    std::memcpy(bytes.data(), &copy, sizeof(copy));
    std::memcpy(bytes.data() + sizeof(copy), segments.data(),
                segments.size() * sizeof(ProgramHeader));
    return bytes + payload;
  }
};

std::expected<elf::Executable, elf::LoadError> parse(const std::string& bytes) {
  testing::TestInode inode;
  EXPECT_TRUE(inode.write(0, testing::bytes_of(bytes)));
  return elf::read_executable(inode, bytes.size());
}

ElfBuilder minimal_static() {
  ElfBuilder builder;
  builder.payload = "\xf4";  // hlt
  builder.load_everything(0x400000, elf::flag_read | elf::flag_execute);
  return builder;
}

TEST(ElfValidation, AcceptsMinimalStatic) {
  auto executable = parse(minimal_static().build());
  ASSERT_TRUE(executable) << executable.error().reason;

  EXPECT_FALSE(executable->position_independent);
  EXPECT_EQ(executable->entry, 0x401000u);
  ASSERT_EQ(executable->segments.size(), 1u);
  EXPECT_EQ(executable->segments[0].protection, platform::prot_read | platform::prot_exec);
  EXPECT_EQ(executable->program_headers_address, 0x400000u + sizeof(FileHeader));
  EXPECT_FALSE(executable->interpreter);
}

TEST(ElfValidation, RejectsNonElf) {
  auto executable = parse(std::string(100, 'a'));
  ASSERT_FALSE(executable);
  EXPECT_EQ(executable.error().error, Errno::enoexec);
  EXPECT_EQ(executable.error().reason, "not an ELF file");
}

TEST(ElfValidation, RejectsTruncatedHeader) {
  auto executable = parse(minimal_static().build().substr(0, 40));
  ASSERT_FALSE(executable);
  EXPECT_NE(executable.error().reason.find("shorter than an ELF header"), std::string::npos);
}

TEST(ElfValidation, RejectsI386) {
  ElfBuilder builder = minimal_static();
  builder.header.ident[4] = 1;
  builder.header.machine = 3;
  auto executable = parse(builder.build());
  ASSERT_FALSE(executable);
  EXPECT_EQ(executable.error().error, Errno::enoexec);
  EXPECT_NE(executable.error().reason.find("32-bit ELF (i386)"), std::string::npos);
}

TEST(ElfValidation, RejectsAarch64) {
  ElfBuilder builder = minimal_static();
  builder.header.machine = 183;
  auto executable = parse(builder.build());
  ASSERT_FALSE(executable);
  EXPECT_NE(executable.error().reason.find("aarch64"), std::string::npos);
}

TEST(ElfValidation, RejectsBigEndian) {
  ElfBuilder builder = minimal_static();
  builder.header.ident[5] = 2;
  EXPECT_FALSE(parse(builder.build()));
}

TEST(ElfValidation, RejectsRelocatableObject) {
  ElfBuilder builder = minimal_static();
  builder.header.type = 1;
  auto executable = parse(builder.build());
  ASSERT_FALSE(executable);
  EXPECT_NE(executable.error().reason.find("not an executable"), std::string::npos);
}

TEST(ElfValidation, RejectsProgramHeadersPastEnd) {
  ElfBuilder builder = minimal_static();
  builder.header.program_header_offset = 0x2000;
  auto executable = parse(builder.build());
  ASSERT_FALSE(executable);
  EXPECT_NE(executable.error().reason.find("program headers extend past"), std::string::npos);
}

TEST(ElfValidation, RejectsWrongProgramHeaderSize) {
  ElfBuilder builder = minimal_static();
  builder.header.program_header_size = 32;
  EXPECT_FALSE(parse(builder.build()));
}

TEST(ElfValidation, RejectsSegmentPastEnd) {
  ElfBuilder builder = minimal_static();
  builder.segments[0].file_size += 0x10000;
  builder.segments[0].memory_size += 0x10000;
  auto executable = parse(builder.build());
  ASSERT_FALSE(executable);
  EXPECT_NE(executable.error().reason.find("segment 0 extends past"), std::string::npos);
}

TEST(ElfValidation, RejectsFileSizeAboveMemorySize) {
  ElfBuilder builder = minimal_static();
  builder.segments[0].memory_size = 16;
  EXPECT_FALSE(parse(builder.build()));
}

TEST(ElfValidation, RejectsOverlappingSegments) {
  ElfBuilder builder = minimal_static();
  builder.load_everything(0x400800, elf::flag_read);
  builder.segments[1].offset = 0x800;
  builder.segments[1].file_size = 0x100;
  builder.segments[1].memory_size = 0x100;
  auto executable = parse(builder.build());
  ASSERT_FALSE(executable);
  EXPECT_EQ(executable.error().reason, "overlapping loadable segments");
}

TEST(ElfValidation, RejectsSegmentBeyondUserSpace) {
  ElfBuilder builder = minimal_static();
  builder.segments[0].virtual_address = 0x7fff'ffff'0000;
  builder.segments[0].memory_size = uint64_t{1} << 40;
  auto executable = parse(builder.build());
  ASSERT_FALSE(executable);
  EXPECT_EQ(executable.error().error, Errno::enomem);
}

TEST(ElfValidation, RejectsIncongruentOffset) {
  ElfBuilder builder = minimal_static();
  builder.segments[0].virtual_address = 0x400010;
  auto executable = parse(builder.build());
  ASSERT_FALSE(executable);
  EXPECT_NE(executable.error().reason.find("not congruent"), std::string::npos);
}

TEST(ElfValidation, RejectsNoLoadableSegment) {
  ElfBuilder builder = minimal_static();
  builder.segments[0].type = 4;  // PT_NOTE
  auto executable = parse(builder.build());
  ASSERT_FALSE(executable);
  EXPECT_EQ(executable.error().reason, "no loadable segment");
}

TEST(ElfValidation, ReadsInterpreterPath) {
  ElfBuilder builder = minimal_static();
  builder.payload = std::string("/lib64/ld-linux-x86-64.so.2") + '\0';
  ProgramHeader interpreter{};
  interpreter.type = elf::segment_interpreter;
  interpreter.offset = ElfBuilder::payload_offset;
  interpreter.file_size = builder.payload.size();
  builder.segments.push_back(interpreter);
  builder.segments[0].file_size = ElfBuilder::payload_offset + builder.payload.size();
  builder.segments[0].memory_size = builder.segments[0].file_size;

  auto executable = parse(builder.build());
  ASSERT_TRUE(executable) << executable.error().reason;
  EXPECT_EQ(executable->interpreter, "/lib64/ld-linux-x86-64.so.2");
}

TEST(ElfValidation, RejectsUnterminatedInterpreter) {
  ElfBuilder builder = minimal_static();
  builder.payload = "/lib/ld.so";
  ProgramHeader interpreter{};
  interpreter.type = elf::segment_interpreter;
  interpreter.offset = ElfBuilder::payload_offset;
  interpreter.file_size = builder.payload.size();
  builder.segments.push_back(interpreter);
  auto executable = parse(builder.build());
  ASSERT_FALSE(executable);
  EXPECT_NE(executable.error().reason.find("PT_INTERP"), std::string::npos);
}

// Loading into a process whose root is an in-memory file system.
class ElfLoading : public ::testing::Test {
 protected:
  ElfLoading() : vfs_(fs::memfs::create()), kernel_(execution_, &vfs_, {}) {
    fs::PathContext paths;
    paths.root = vfs_.root();
    paths.working_directory = paths.root;
    paths.umask = 0;
    context_ = paths;
    task_ = kernel_.create_first_task(paths);
    execution_.use_memory_map(&task_->process().memory);
    EXPECT_TRUE(vfs_.make_directory(context_, context_.root, "/bin", 0755));
  }

  void add_file(const std::string& path, const std::string& contents, uint32_t mode = 0755) {
    auto file = vfs_.open(context_, context_.root, path,
                          fd::open_write_only | fd::open_create | fd::open_truncate, mode);
    ASSERT_TRUE(file);
    ASSERT_EQ((*file)->write(testing::bytes_of(contents)), contents.size());
  }

  std::expected<LoadedProgram, elf::LoadError> load(const std::string& path,
                                                    std::vector<std::string> arguments) {
    ExecRequest request;
    request.path = path;
    request.arguments = std::move(arguments);
    request.environment = {"PATH=/bin", "HOME=/"};
    return load_program(*task_, request);
  }

  uint64_t read_word(uint64_t address) { return GuestPtr<uint64_t>(address).read().value(); }

  std::string read_string(uint64_t address) { return read_guest_string(address, 4096).value(); }

  // The auxiliary vector entry of `type`, from the stack at `stack_pointer`.
  std::optional<uint64_t> auxiliary_value(uint64_t stack_pointer, uint64_t type) {
    uint64_t cursor = stack_pointer + 8 * (read_word(stack_pointer) + 2);
    while (read_word(cursor) != 0) {
      cursor += 8;
    }
    for (cursor += 8; read_word(cursor) != at_null; cursor += 16) {
      if (read_word(cursor) == type) {
        return read_word(cursor + 8);
      }
    }
    return std::nullopt;
  }

  testing::FakeExecution execution_;
  fs::Vfs vfs_;
  Kernel kernel_;
  fs::PathContext context_;
  std::unique_ptr<Task> task_;
};

TEST_F(ElfLoading, StaticProgramMapsSegmentAndBss) {
  ElfBuilder builder = minimal_static();
  builder.segments[0].flags = elf::flag_read | elf::flag_write;
  builder.segments[0].memory_size += 0x3000;
  add_file("/bin/prog", builder.build());

  auto loaded = load("/bin/prog", {"prog"});
  ASSERT_TRUE(loaded) << loaded.error().reason;

  EXPECT_EQ(loaded->entry, 0x401000u);
  EXPECT_EQ(read_word(0x400000) & 0xffffffff, 0x464c457fu);  // "\x7fELF"
  EXPECT_EQ(read_word(0x401000) & 0xff, 0xf4u);
  EXPECT_EQ(read_word(0x401008), 0u);  // bss after the file bytes
  EXPECT_TRUE(task_->process().memory.is_mapped(0x400000, 0x5000));
  EXPECT_EQ(task_->process().break_start, 0x405000u);
}

TEST_F(ElfLoading, SegmentPageTailShowsFile) {
  ElfBuilder builder = minimal_static();
  // The segment ends before "tail", which shares its last page.
  builder.payload += "tail";
  add_file("/bin/prog", builder.build());

  auto loaded = load("/bin/prog", {"prog"});
  ASSERT_TRUE(loaded) << loaded.error().reason;

  // As on Linux: without bss, the page shows the bytes that follow.
  EXPECT_EQ(read_string(0x401001), "tail");
}

TEST_F(ElfLoading, BssClearsSegmentPageTail) {
  ElfBuilder builder = minimal_static();
  builder.payload += "tail";
  builder.segments[0].flags = elf::flag_read | elf::flag_write;
  builder.segments[0].memory_size += 0x2000;
  add_file("/bin/prog", builder.build());

  auto loaded = load("/bin/prog", {"prog"});
  ASSERT_TRUE(loaded) << loaded.error().reason;

  EXPECT_EQ(read_word(0x401000) & 0xff, 0xf4u);
  EXPECT_EQ(read_word(0x401001) & 0xffffffff, 0u);
  EXPECT_EQ(read_word(0x402000), 0u);
}

TEST_F(ElfLoading, StackFollowsPsAbi) {
  add_file("/bin/prog", minimal_static().build());

  auto loaded = load("/bin/prog", {"prog", "first argument"});
  ASSERT_TRUE(loaded) << loaded.error().reason;
  const uint64_t stack = loaded->stack_pointer;

  EXPECT_EQ(stack % 16, 0u);
  EXPECT_EQ(read_word(stack), 2u);
  EXPECT_EQ(read_string(read_word(stack + 8)), "prog");
  EXPECT_EQ(read_string(read_word(stack + 16)), "first argument");
  EXPECT_EQ(read_word(stack + 24), 0u);
  EXPECT_EQ(read_string(read_word(stack + 32)), "PATH=/bin");
  EXPECT_EQ(read_string(read_word(stack + 40)), "HOME=/");
  EXPECT_EQ(read_word(stack + 48), 0u);

  EXPECT_EQ(auxiliary_value(stack, at_pagesz), 4096u);
  EXPECT_EQ(auxiliary_value(stack, at_entry), 0x401000u);
  EXPECT_EQ(auxiliary_value(stack, at_phdr), 0x400040u);
  EXPECT_EQ(auxiliary_value(stack, at_phnum), 1u);
  EXPECT_EQ(auxiliary_value(stack, at_phent), 56u);
  EXPECT_EQ(auxiliary_value(stack, at_base), 0u);
  EXPECT_EQ(auxiliary_value(stack, at_secure), 0u);
  EXPECT_EQ(auxiliary_value(stack, at_clktck), 100u);
  EXPECT_EQ(read_string(*auxiliary_value(stack, at_platform)), "x86_64");
  EXPECT_EQ(read_string(*auxiliary_value(stack, at_execfn)), "/bin/prog");
  EXPECT_TRUE(auxiliary_value(stack, at_random));
  EXPECT_FALSE(auxiliary_value(stack, 33));  // no AT_SYSINFO_EHDR
}

TEST_F(ElfLoading, PositionIndependentGetsBase) {
  ElfBuilder builder;
  builder.header.type = elf::type_shared;
  builder.header.entry = 0x1000;
  builder.payload = "\xf4";
  builder.load_everything(0, elf::flag_read | elf::flag_execute);
  add_file("/bin/pie", builder.build());

  auto loaded = load("/bin/pie", {"pie"});
  ASSERT_TRUE(loaded) << loaded.error().reason;

  const uint64_t base = loaded->entry - 0x1000;
  EXPECT_NE(base, 0u);
  EXPECT_EQ(base % 4096, 0u);
  EXPECT_EQ(auxiliary_value(loaded->stack_pointer, at_entry), loaded->entry);
  EXPECT_EQ(auxiliary_value(loaded->stack_pointer, at_phdr), base + 0x40);
}

TEST_F(ElfLoading, MissingProgramIsNotFound) {
  auto loaded = load("/bin/nope", {"nope"});
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().error, Errno::enoent);
  EXPECT_EQ(loaded.error().reason, "/bin/nope: no such file in the sandbox");
}

TEST_F(ElfLoading, TextFileIsNotExecutable) {
  add_file("/bin/text", "just words\n");
  auto loaded = load("/bin/text", {"text"});
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().error, Errno::enoexec);
  EXPECT_EQ(loaded.error().reason, "/bin/text: not an ELF executable or a #! script");
}

TEST_F(ElfLoading, FileWithoutExecuteBitIsDenied) {
  // Root may execute a file only when some execute bit is set.
  add_file("/bin/plain", minimal_static().build(), 0644);
  auto loaded = load("/bin/plain", {"plain"});
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().error, Errno::eacces);
}

TEST_F(ElfLoading, ScriptRunsInterpreterWithArgument) {
  add_file("/bin/prog", minimal_static().build());
  add_file("/bin/script", "#! /bin/prog  -x  \necho\n");

  auto loaded = load("/bin/script", {"script", "one"});
  ASSERT_TRUE(loaded) << loaded.error().reason;

  const uint64_t stack = loaded->stack_pointer;
  ASSERT_EQ(read_word(stack), 4u);
  EXPECT_EQ(read_string(read_word(stack + 8)), "/bin/prog");
  EXPECT_EQ(read_string(read_word(stack + 16)), "-x");
  EXPECT_EQ(read_string(read_word(stack + 24)), "/bin/script");
  EXPECT_EQ(read_string(read_word(stack + 32)), "one");
  EXPECT_EQ(task_->process().executable_path, "/bin/prog");
}

TEST_F(ElfLoading, ScriptLoopIsTooDeep) {
  add_file("/bin/loop", "#!/bin/loop\n");
  auto loaded = load("/bin/loop", {"loop"});
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().error, Errno::eloop);
}

TEST_F(ElfLoading, MissingInterpreterNamesIt) {
  ElfBuilder builder = minimal_static();
  builder.payload = std::string("/lib/ld-missing.so") + '\0';
  ProgramHeader interpreter{};
  interpreter.type = elf::segment_interpreter;
  interpreter.offset = ElfBuilder::payload_offset;
  interpreter.file_size = builder.payload.size();
  builder.segments.push_back(interpreter);
  add_file("/bin/dynamic", builder.build());

  auto loaded = load("/bin/dynamic", {"dynamic"});
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().error, Errno::enoent);
  EXPECT_EQ(loaded.error().reason,
            "/bin/dynamic: interpreter /lib/ld-missing.so: no such file in the sandbox");
}

// execve(2) through Kernel::serve, with its path and argv in a test buffer.
class Execve : public ElfLoading {
 protected:
  Execve() { execution_.allow(buffer_.data(), buffer_.size()); }

  // Places `text` in the buffer at `offset` and returns its address.
  uint64_t place(size_t offset, const std::string& text) {
    std::memcpy(buffer_.data() + offset, text.c_str(), text.size() + 1);
    // Safety: the address is handed to the shim as a guest pointer.
    return reinterpret_cast<uint64_t>(buffer_.data() + offset);
  }

  int64_t execve(const std::string& path, const std::vector<std::string>& arguments) {
    std::vector<uint64_t> pointers;
    size_t offset = 256;
    for (const std::string& argument : arguments) {
      pointers.push_back(place(offset, argument));
      offset += argument.size() + 1;
    }
    pointers.push_back(0);
    std::memcpy(buffer_.data() + 2048, pointers.data(), pointers.size() * sizeof(uint64_t));

    registers_ = {};
    registers_.rax = nr::execve;
    registers_.rdi = place(0, path);
    // Safety: the address is handed to the shim as a guest pointer.
    registers_.rsi = reinterpret_cast<uint64_t>(buffer_.data() + 2048);
    registers_.rdx = 0;
    registers_.rip = 0x1234;
    kernel_.serve(*task_, registers_);
    return static_cast<int64_t>(registers_.rax);
  }

  std::array<char, 4096> buffer_{};
  platform::GuestRegisters registers_{};
};

TEST_F(Execve, MissingFileKeepsImage) {
  add_file("/bin/prog", minimal_static().build());
  ASSERT_TRUE(load("/bin/prog", {"prog"}));

  EXPECT_EQ(execve("/bin/missing", {"missing"}), -errno_value(Errno::enoent));
  EXPECT_EQ(registers_.rip, 0x1234u);
  EXPECT_TRUE(task_->process().memory.is_mapped(0x400000, 0x1000));
}

TEST_F(Execve, ReplacesImageAndStack) {
  add_file("/bin/prog", minimal_static().build());
  ElfBuilder other;
  other.payload = "\xf4";
  other.load_everything(0x800000, elf::flag_read | elf::flag_execute);
  other.header.entry = 0x801000;
  add_file("/bin/other", other.build());
  ASSERT_TRUE(load("/bin/prog", {"prog"}));

  EXPECT_EQ(execve("/bin/other", {"other", "arg"}), 0);

  EXPECT_EQ(registers_.rip, 0x801000u);
  EXPECT_EQ(read_word(registers_.rsp), 2u);
  EXPECT_EQ(read_string(read_word(registers_.rsp + 16)), "arg");
  EXPECT_FALSE(task_->process().memory.is_mapped(0x400000, 0x1000));
  EXPECT_EQ(task_->process().executable_path, "/bin/other");
}

}  // namespace
}  // namespace litebox::shim::linux_abi
