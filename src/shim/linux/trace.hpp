// System call tracing for `litebox run --trace`: one line per guest system
// call on standard error, in strace's format:
//   openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
//   openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "litebox/result.hpp"
#include "shim/linux/syscall_table.hpp"

namespace litebox::shim::linux_abi {

// glibc's strerror(3) text for an errno.
std::string_view errno_description(Errno error);

// The name of a signal ("SIGSEGV", "SIGRTMIN", "SIGRT_1"), or its number
// for one without a name.
std::string signal_name(int signal);

// One system call being traced. Arguments are decoded before the call,
// except output buffers, which are read once the result is known.
class TraceLine {
 public:
  // `stack_pointer` is the guest's rsp at the call, which rt_sigreturn's
  // line needs to show the signal mask that the call restores.
  explicit TraceLine(const SyscallArguments& arguments, uint64_t stack_pointer = 0);

  // The complete line for a call that returned `result`, without newline.
  std::string finish(const Result<uint64_t>& result);

  // The line for a call that does not return (exit_group): "name(args) = ?".
  std::string finish_without_return();

  // The line for a sleep that a signal interrupted and restart_syscall(2)
  // may resume, with the kernel's internal result, as strace shows it.
  std::string finish_restartable();

  // Names the call that restart_syscall(2) resumes, in place of arguments.
  void show_resumed(uint64_t interrupted_number);

  // The display format of one argument, defined in trace_layout.hpp.
  enum class Kind : uint8_t;

  // One shown argument: how to decode it, the register that contains it,
  // and the name strace prints before it ("flags=" for clone), if any.
  struct Slot {
    Kind kind;
    uint8_t index;
    const char* label;
  };

 private:
  std::string prefix();

  SyscallArguments arguments_;
  std::vector<Slot> slots_;
  std::vector<std::string> decoded_;
};

// The line strace prints first, for the execve that started the program,
// which the sandbox performs itself: execve(path, arguments, the address
// of the environment /* count vars */) = 0.
std::string first_exec_line(std::string_view path, std::span<const std::string> arguments,
                            uint64_t environment_address, size_t environment_count);

// Writes one line to the host's standard error, in one write.
void write_trace(std::string_view line);

}  // namespace litebox::shim::linux_abi
