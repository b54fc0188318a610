// The initial process stack of the x86-64 psABI (section 3.4.1): argc, the
// argv and envp pointer arrays, the auxiliary vector, and the strings and
// random bytes they point to.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "litebox/result.hpp"

namespace litebox::shim::linux_abi {

// Auxiliary vector entry types (AT_*).
enum AuxiliaryType : uint64_t {
  at_null = 0,
  at_phdr = 3,
  at_phent = 4,
  at_phnum = 5,
  at_pagesz = 6,
  at_base = 7,
  at_flags = 8,
  at_entry = 9,
  at_uid = 11,
  at_euid = 12,
  at_gid = 13,
  at_egid = 14,
  at_platform = 15,
  at_hwcap = 16,
  at_clktck = 17,
  at_secure = 23,
  at_random = 25,
  at_hwcap2 = 26,
  at_execfn = 31,
  at_sysinfo_ehdr = 33,
  at_minsigstksz = 51,
};

// The contents of the initial stack.
struct StackContents {
  std::vector<std::string> arguments;
  std::vector<std::string> environment;
  std::string exec_name;         // AT_EXECFN: the path execve was given
  uint64_t program_headers = 0;  // AT_PHDR, relocated
  uint64_t program_header_count = 0;
  uint64_t interpreter_base = 0;  // AT_BASE, 0 without an interpreter
  uint64_t entry = 0;             // AT_ENTRY: the program's own entry
  uint32_t uid = 0, euid = 0, gid = 0, egid = 0;
  uint64_t minimum_signal_stack_size = 0;
  uint64_t vdso_address = 0;  // AT_SYSINFO_EHDR, left out when 0
};

// The addresses at which build_initial_stack placed its contents.
struct StackLayout {
  uint64_t stack_pointer = 0;  // 16-byte aligned, points at argc
  uint64_t arguments_start = 0, arguments_end = 0;
  uint64_t environment_start = 0, environment_end = 0;
};

// Writes the initial stack below `top` into guest memory and returns its
// layout. `e2big` when it would reach below `limit`.
Result<StackLayout> build_initial_stack(uint64_t top, uint64_t limit,
                                        const StackContents& contents);

// The AT_HWCAP and AT_HWCAP2 values of this CPU, as Linux reports them:
// CPUID leaf 1 EDX, and HWCAP2_FSGSBASE when the CPU has FSGSBASE.
uint64_t hardware_capabilities();
uint64_t hardware_capabilities2();

}  // namespace litebox::shim::linux_abi
