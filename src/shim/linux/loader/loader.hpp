// The program loader behind `litebox run` and execve(2). It finds the
// program in the sandbox VFS and follows `#!` scripts. Then it maps the ELF
// executable and its PT_INTERP interpreter into the process's memory map,
// sets up the program break and builds the initial stack of the x86-64
// psABI.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shim/linux/loader/elf.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

struct ExecRequest {
  std::string path;  // absolute, or relative to the working directory
  // The file itself, when execveat(2) names an open descriptor; `path` is
  // then only the name the program runs under.
  std::optional<fs::Location> file;
  std::vector<std::string> arguments;
  std::vector<std::string> environment;
};

// The entry state of a loaded image: the registers a thread enters it with.
struct LoadedProgram {
  uint64_t entry = 0;           // the interpreter's entry, or the program's
  uint64_t stack_pointer = 0;   // points at argc
  std::string executable_path;  // the ELF file finally loaded
};

// An executable file found in the sandbox VFS.
struct OpenedFile {
  std::string path;           // as requested
  std::string absolute_path;  // from the root, for /proc/self/exe
  std::shared_ptr<fs::Inode> inode;
  fs::Stat status;
};

// A program whose files are found and whose headers are checked, ready to
// map: everything that can fail before execve(2) passes its point of no
// return.
struct PreparedProgram {
  ExecRequest request;    // after `#!` rewriting: the ELF file and its argv
  std::string exec_name;  // the path the caller gave, for AT_EXECFN
  OpenedFile file;
  std::optional<elf::Executable> executable;
  std::optional<OpenedFile> interpreter_file;
  std::optional<elf::Executable> interpreter;
};

// Finds and checks `request`, following `#!` scripts.
std::expected<PreparedProgram, elf::LoadError> prepare_program(Task& task,
                                                               const ExecRequest& request);

// Maps a prepared program into the task's process, which must have no
// mappings, and builds its stack and break.
std::expected<LoadedProgram, elf::LoadError> map_program(Task& task,
                                                         const PreparedProgram& prepared);

// Loads `request` into the task's (empty) process: prepare_program, then
// map_program. It maps the executable, interpreter, stack and break, and
// records the executable path, name and argument ranges in the process.
// The error's reason is one line that names the file and the problem.
std::expected<LoadedProgram, elf::LoadError> load_program(Task& task, const ExecRequest& request);

// How many nested `#!` scripts may precede the ELF program. Linux fails a
// sixth with ELOOP (measured on Linux 6.18).
inline constexpr int max_interpreter_depth = 5;

}  // namespace litebox::shim::linux_abi
