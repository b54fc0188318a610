#include "shim/linux/loader/loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "litebox/platform/platform.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/loader/initial_stack.hpp"
#include "shim/linux/trace.hpp"
#include "shim/linux/vdso/vdso.hpp"

namespace litebox::shim::linux_abi {

namespace {

using elf::LoadError;

// Where a position-independent executable goes. Linux uses 2/3 of the
// address space (0x555555554000), where the host has already put the
// runner's heap; this is a free region below the guest's mmap area instead.
// It lies above 0x10007fff8000, the end of the range that AddressSanitizer
// reserves for its shadow memory, so sanitized programs find that range free.
constexpr uint64_t executable_base = 0x1800'0000'0000;

// The stack size when RLIMIT_STACK is unlimited or absurdly large.
constexpr uint64_t default_stack_size = 8 * 1024 * 1024;
constexpr uint64_t max_stack_size = 1024 * 1024 * 1024;

// Linux reads this many bytes to recognize a `#!` line (BINPRM_BUF_SIZE).
constexpr size_t script_header_size = 256;

std::unexpected<LoadError> reject(Errno error, std::string reason) {
  return std::unexpected(LoadError{error, std::move(reason)});
}

std::unexpected<LoadError> reject_file(const std::string& path, const LoadError& error) {
  return reject(error.error, fmt::format("{}: {}", path, error.reason));
}

// Returns the canonical path of the file at `path`, with every symlink and
// every "." and ".." resolved, as Linux shows an executable in
// /proc/PID/exe. Vfs::path_of finds only a directory's name, so the
// directory part is resolved through it and a final symlink is followed
// here, at most 40 times as Linux does.
Result<std::string> canonical_path(fs::Vfs& vfs, const fs::PathContext& context, std::string path) {
  constexpr int max_symlinks = 40;
  for (int followed = 0; followed <= max_symlinks; ++followed) {
    const size_t slash = path.rfind('/');
    const std::string directory =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    fs::Location start = followed == 0 ? context.working_directory : context.root;
    fs::Location directory_location = TRY(vfs.resolve(context, start, directory, 0));
    std::string directory_path = TRY(vfs.path_of(context, directory_location));
    std::string candidate = directory_path == "/" ? "/" + name : directory_path + "/" + name;

    auto target = vfs.read_link(context, context.root, candidate);
    if (!target) {
      return candidate;
    }
    path = target->starts_with('/') ? *target : directory_path + "/" + *target;
  }
  return fail(Errno::eloop);
}

std::expected<OpenedFile, LoadError> open_executable(
    Task& task, const std::string& path, const std::optional<fs::Location>& file = std::nullopt) {
  if (path.empty()) {
    return reject(Errno::enoent, "empty program path");
  }
  fs::Vfs& vfs = task.kernel().vfs();
  fs::PathContext context = task.process().path_context();

  auto location =
      file ? Result<fs::Location>(*file) : vfs.resolve(context, context.working_directory, path, 0);
  if (!location) {
    if (location.error() == Errno::enoent) {
      return reject(Errno::enoent, fmt::format("{}: no such file in the sandbox", path));
    }
    return reject(location.error(),
                  fmt::format("{}: {}", path, errno_description(location.error())));
  }
  auto status = location->inode->stat();
  if (!status) {
    return reject(status.error(), fmt::format("{}: {}", path, errno_description(status.error())));
  }
  const fs::FileType type = fs::file_type_of(status->mode);
  if (type == fs::FileType::directory) {
    return reject(Errno::eacces,
                  fmt::format("{}: is a directory; give the path of a program", path));
  }
  if (type != fs::FileType::regular) {
    return reject(Errno::eacces,
                  fmt::format("{}: not a regular file; give the path of a program", path));
  }
  if (!fs::Vfs::check_permission(context.credentials, *status, fs::access_execute)) {
    return reject(
        Errno::eacces,
        fmt::format("{}: permission denied (not executable); give the path of a program, or make "
                    "it executable with chmod +x",
                    path));
  }

  auto absolute = file ? vfs.path_of(context, *location) : canonical_path(vfs, context, path);
  return OpenedFile{path, absolute ? *absolute : path, location->inode, *status};
}

// Reads up to `buffer.size()` bytes from the start of the file.
Result<size_t> read_start(fs::Inode& inode, std::span<std::byte> buffer) {
  size_t done = 0;
  while (done < buffer.size()) {
    size_t count = TRY(inode.read(done, buffer.subspan(done)));
    if (count == 0) {
      break;
    }
    done += count;
  }
  return done;
}

struct ScriptLine {
  std::string interpreter;
  std::optional<std::string> argument;
};

bool is_blank(char character) { return character == ' ' || character == '\t'; }

// Parses "#!interpreter [argument]" as Linux does, from the first
// script_header_size bytes of the file, padded with NULs. The line ends at
// the first newline, or before the last byte of the header. Only spaces and
// tabs are trimmed from its ends, so a carriage return stays part of it. The
// interpreter ends at the first blank or NUL. After a blank, the rest of the
// line up to a NUL is one argument.
std::expected<ScriptLine, LoadError> parse_script_line(std::string_view header) {
  constexpr std::string_view blanks = " \t";
  constexpr std::string_view name_ends{" \t\0", 3};
  size_t line_end = header.find('\n');
  if (line_end == std::string_view::npos) {
    // Without a newline, the interpreter must end within the header, or
    // its name was cut off.
    line_end = header.size() - 1;
    const size_t name_start = header.find_first_not_of(blanks, 2);
    if (name_start >= line_end) {
      return reject(Errno::enoexec, "#! line names no interpreter");
    }
    if (header.substr(name_start, line_end - name_start).find_first_of(name_ends) ==
        std::string_view::npos) {
      return reject(Errno::enoexec, "#! interpreter path is longer than 255 bytes");
    }
  }
  std::string_view line = header.substr(2, line_end - 2);
  while (!line.empty() && is_blank(line.front())) {
    line.remove_prefix(1);
  }
  while (!line.empty() && is_blank(line.back())) {
    line.remove_suffix(1);
  }
  if (line.empty()) {
    return reject(Errno::enoexec, "#! line names no interpreter");
  }

  const size_t name_end = std::min(line.find_first_of(name_ends), line.size());
  ScriptLine result;
  result.interpreter = std::string(line.substr(0, name_end));
  if (name_end < line.size() && line[name_end] != '\0') {
    std::string_view rest = line.substr(name_end);
    while (!rest.empty() && is_blank(rest.front())) {
      rest.remove_prefix(1);
    }
    if (!rest.empty()) {
      result.argument = std::string(rest.substr(0, rest.find('\0')));
    }
  }
  return result;
}

// The memory placement of one mapped ELF image.
struct MappedImage {
  uint64_t bias = 0;  // added to every address in the file
  uint64_t end = 0;   // end of the highest segment
};

std::expected<void, LoadError> map_segment(Process& process, const OpenedFile& file,
                                           const elf::Segment& segment, uint64_t bias) {
  const uint64_t start = segment.virtual_address + bias;
  const uint64_t page_start = mm::page_round_down(start);
  const uint64_t file_end = start + segment.file_size;
  const uint64_t memory_end = start + segment.memory_size;
  uint64_t zero_fill_start = page_start;

  if (segment.file_size > 0) {
    const uint64_t file_pages_end = mm::page_round_up(file_end);
    // As on Linux, only a segment with bss (p_memsz > p_filesz) has the rest
    // of its last file page cleared; elsewhere those bytes are the file's
    // bytes that follow. The other segments get their final protection at
    // once.
    const bool clear_tail = memory_end > file_end && file_pages_end > file_end;
    mm::MapRequest request;
    request.address = page_start;
    request.length = file_pages_end - page_start;
    request.protection = segment.protection;
    if (clear_tail) {
      request.protection |= platform::prot_write;
    }
    request.placement = mm::Placement::fixed;
    request.inode = file.inode;
    request.file_offset = mm::page_round_down(segment.file_offset);
    request.name = file.absolute_path;
    if (auto mapped = process.memory.map(request); !mapped) {
      return reject(mapped.error(), fmt::format("mapping a segment at {:#x} failed: {}", page_start,
                                                errno_description(mapped.error())));
    }

    if (clear_tail) {
      // Copied from a small constant in pieces, because a page-sized
      // buffer from the kernel heap would cost a fresh page of its own.
      static constexpr std::array<std::byte, 512> zeros{};
      for (uint64_t address = file_end; address < file_pages_end; address += zeros.size()) {
        const size_t length = std::min<uint64_t>(zeros.size(), file_pages_end - address);
        if (!copy_to_guest(address, std::span(zeros).first(length))) {
          return reject(Errno::efault, "clearing the end of a segment failed");
        }
      }
      // NOTE: Linux leaves the tail of a read-only segment with bss as the
      // file has it, because its clearing fails there. This loader clears it.
      if (!(segment.protection & platform::prot_write)) {
        (void)process.memory.protect(page_start, request.length, segment.protection);
      }
    }
    zero_fill_start = file_pages_end;
  }

  if (mm::page_round_up(memory_end) > zero_fill_start) {
    mm::MapRequest request;
    request.address = zero_fill_start;
    request.length = mm::page_round_up(memory_end) - zero_fill_start;
    request.protection = segment.protection;
    request.placement = mm::Placement::fixed;
    if (auto mapped = process.memory.map(request); !mapped) {
      return reject(mapped.error(), fmt::format("mapping bss at {:#x} failed: {}", zero_fill_start,
                                                errno_description(mapped.error())));
    }
  }
  return {};
}

std::expected<MappedImage, LoadError> map_image(Process& process, const OpenedFile& file,
                                                const elf::Executable& executable,
                                                uint64_t preferred_base) {
  MappedImage image;
  if (executable.position_independent) {
    // Reserve the whole span first, so the segments land at their relative
    // distances and nothing else sits in the gaps between them.
    mm::MapRequest request;
    request.address = preferred_base;
    request.length = mm::page_round_up(executable.highest_address) - executable.lowest_address;
    request.protection = platform::prot_none;
    auto reserved = process.memory.map(request);
    if (!reserved) {
      return reject(reserved.error(),
                    fmt::format("no room for {} bytes of segments", request.length));
    }
    image.bias = *reserved - executable.lowest_address;
  }

  for (const elf::Segment& segment : executable.segments) {
    if (auto mapped = map_segment(process, file, segment, image.bias); !mapped) {
      return std::unexpected(mapped.error());
    }
  }
  image.end = executable.highest_address + image.bias;
  return image;
}

// The strings one after another, each ending in a NUL, as they lie on the
// initial stack.
std::string joined_strings(const std::vector<std::string>& strings) {
  std::string joined;
  for (const std::string& string : strings) {
    joined += string;
    joined += '\0';
  }
  return joined;
}

uint64_t stack_size_for(Process& process) {
  const uint64_t limit = process.limit(Resource::stack).current;
  // RLIM_INFINITY is above max_stack_size too.
  if (limit > max_stack_size) {
    return default_stack_size;
  }
  return std::max(mm::page_round_up(limit), uint64_t{128 * 1024});
}

std::expected<PreparedProgram, LoadError> prepare_elf(Task& task, const OpenedFile& file,
                                                      const ExecRequest& request,
                                                      const std::string& exec_name) {
  auto executable = elf::read_executable(*file.inode, static_cast<uint64_t>(file.status.size));
  if (!executable) {
    return reject_file(file.path, executable.error());
  }

  PreparedProgram prepared;
  prepared.request = request;
  prepared.exec_name = exec_name;
  if (executable->interpreter) {
    auto opened = open_executable(task, *executable->interpreter);
    if (!opened) {
      return reject(opened.error().error,
                    fmt::format("{}: interpreter {}", file.path, opened.error().reason));
    }
    auto parsed = elf::read_executable(*opened->inode, static_cast<uint64_t>(opened->status.size));
    if (!parsed) {
      return reject(parsed.error().error, fmt::format("{}: interpreter {}: {}", file.path,
                                                      opened->path, parsed.error().reason));
    }
    prepared.interpreter_file = std::move(*opened);
    prepared.interpreter = std::move(*parsed);
  }
  prepared.file = file;
  prepared.executable = std::move(*executable);
  return prepared;
}

}  // namespace

std::expected<LoadedProgram, LoadError> map_program(Task& task, const PreparedProgram& prepared) {
  Process& process = task.process();
  const OpenedFile& file = prepared.file;
  const ExecRequest& request = prepared.request;
  const std::string& exec_name = prepared.exec_name;
  const std::optional<elf::Executable>& executable = prepared.executable;
  const std::optional<OpenedFile>& interpreter_file = prepared.interpreter_file;
  const std::optional<elf::Executable>& interpreter = prepared.interpreter;

  auto image = map_image(process, file, *executable, executable_base);
  if (!image) {
    return reject_file(file.path, image.error());
  }

  // The stack goes before the interpreter, so a stack larger than the gap
  // below it pushes the interpreter down instead of colliding with it.
  const uint64_t stack_size = stack_size_for(process);
  mm::MapRequest stack_request;
  stack_request.address = process.memory.layout().stack_top - stack_size;
  stack_request.length = stack_size;
  stack_request.protection = platform::prot_read | platform::prot_write;
  if (executable->executable_stack) {
    stack_request.protection |= platform::prot_exec;
  }
  stack_request.name = "[stack]";
  auto stack_bottom = process.memory.map(stack_request);
  if (!stack_bottom) {
    return reject(stack_bottom.error(), "mapping the stack failed");
  }

  uint64_t entry = executable->entry + image->bias;
  uint64_t interpreter_base = 0;
  if (interpreter) {
    auto interpreter_image = map_image(process, *interpreter_file, *interpreter, 0);
    if (!interpreter_image) {
      return reject(interpreter_image.error().error,
                    fmt::format("{}: interpreter {}: {}", file.path, interpreter_file->path,
                                interpreter_image.error().reason));
    }
    interpreter_base = interpreter->lowest_address + interpreter_image->bias;
    entry = interpreter->entry + interpreter_image->bias;
  }

  {
    sync::LockGuard guard(process.lock);
    process.break_start = mm::page_round_up(image->end);
    process.break_end = process.break_start;
  }

  StackContents contents;
  contents.arguments = request.arguments;
  contents.environment = request.environment;
  contents.exec_name = exec_name;
  contents.program_headers = executable->program_headers_address + image->bias;
  contents.program_header_count = executable->program_header_count;
  contents.interpreter_base = interpreter_base;
  contents.entry = executable->entry + image->bias;
  {
    sync::LockGuard guard(process.lock);
    contents.uid = process.credentials.uid;
    contents.euid = process.credentials.euid;
    contents.gid = process.credentials.gid;
    contents.egid = process.credentials.egid;
  }
  contents.minimum_signal_stack_size = task.kernel().execution().extended_state_size() + 1024;
  if (task.kernel().options().vdso) {
    auto vdso_address = vdso::map_into(process);
    if (!vdso_address) {
      return reject(vdso_address.error().error,
                    fmt::format("{}: {}", file.path, vdso_address.error().reason));
    }
    contents.vdso_address = *vdso_address;
  }

  auto layout = build_initial_stack(*stack_bottom + stack_size, *stack_bottom, contents);
  if (!layout) {
    return reject(layout.error(), layout.error() == Errno::e2big
                                      ? "argument list too long for the stack"
                                      : "writing the initial stack failed");
  }

  {
    sync::LockGuard guard(process.lock);
    process.executable_path = file.absolute_path;
    const size_t slash = exec_name.rfind('/');
    process.name = exec_name.substr(slash == std::string::npos ? 0 : slash + 1).substr(0, 15);
    process.arguments_start = layout->arguments_start;
    process.arguments_end = layout->arguments_end;
    process.environment_start = layout->environment_start;
    process.environment_end = layout->environment_end;
    process.argument_strings = joined_strings(contents.arguments);
    process.environment_strings = joined_strings(contents.environment);
  }

  return LoadedProgram{entry, layout->stack_pointer, file.absolute_path};
}

namespace {

std::expected<PreparedProgram, LoadError> prepare_nested(Task& task, const ExecRequest& request,
                                                         const std::string& exec_name, int depth) {
  auto file = open_executable(task, request.path, request.file);
  if (!file) {
    return std::unexpected(file.error());
  }

  std::array<std::byte, script_header_size> header{};
  auto length = read_start(*file->inode, header);
  if (!length) {
    return reject(length.error(), fmt::format("{}: reading failed: {}", request.path,
                                              errno_description(length.error())));
  }
  std::span<const std::byte> start(header.data(), *length);

  if (elf::has_elf_magic(start)) {
    return prepare_elf(task, *file, request, exec_name);
  }

  if (*length >= 2 && header[0] == std::byte{'#'} && header[1] == std::byte{'!'}) {
    if (depth >= max_interpreter_depth) {
      return reject(Errno::eloop,
                    fmt::format("{}: too many nested #! interpreters (at most {}, as on Linux)",
                                exec_name, max_interpreter_depth));
    }
    // Safety: reading the header bytes as characters.
    auto line = parse_script_line({reinterpret_cast<const char*>(header.data()), header.size()});
    if (!line) {
      return reject_file(request.path, line.error());
    }

    ExecRequest next;
    next.path = line->interpreter;
    next.environment = request.environment;
    next.arguments.push_back(line->interpreter);
    if (line->argument) {
      next.arguments.push_back(*line->argument);
    }
    next.arguments.push_back(request.path);
    if (request.arguments.size() > 1) {
      next.arguments.insert(next.arguments.end(), request.arguments.begin() + 1,
                            request.arguments.end());
    }
    // An error about the interpreter itself (missing, a directory, not
    // executable) names the script too, which is what the user ran.
    auto loaded = prepare_nested(task, next, exec_name, depth + 1);
    if (!loaded && loaded.error().reason.starts_with(line->interpreter + ":")) {
      return reject(loaded.error().error,
                    fmt::format("{}: #! interpreter {}", request.path, loaded.error().reason));
    }
    return loaded;
  }

  return reject(Errno::enoexec,
                fmt::format("{}: not an ELF executable or a #! script", request.path));
}

}  // namespace

std::expected<PreparedProgram, elf::LoadError> prepare_program(Task& task,
                                                               const ExecRequest& request) {
  return prepare_nested(task, request, request.path, 0);
}

std::expected<LoadedProgram, elf::LoadError> load_program(Task& task, const ExecRequest& request) {
  auto prepared = prepare_program(task, request);
  if (!prepared) {
    return std::unexpected(prepared.error());
  }
  return map_program(task, *prepared);
}

}  // namespace litebox::shim::linux_abi
