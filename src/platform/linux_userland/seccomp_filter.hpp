// The seccomp filter that seals a process, in two parts.
//
// The classifier (hand-written BPF, because libseccomp cannot compare the
// instruction pointer) traps every system call from untrusted code and
// passes the others on to the allowlist. The allowlist (built with
// libseccomp, which generates correct 64-bit argument comparisons, at build
// time by allowlist_generator.cpp) allows only the host requests the libOS
// makes and traps the rest. Guest code therefore always traps, and trusted
// code may make only allowlisted calls; docs/security.md lists them.
#pragma once

#include <vector>

#include "litebox/result.hpp"
#include "thread_block.hpp"

namespace litebox::platform::linux_userland {

// Returns the executable segments of the ELF objects loaded in this process
// (dl_iterate_phdr: the executable, its shared libraries, the vDSO), rounded
// to whole pages, sorted, with adjacent ranges merged. Executable memory that
// no loaded ELF object describes, such as the legacy vsyscall page, is left out.
Result<std::vector<AddressRange>> read_executable_ranges();

// Installs the sandbox filter on every thread of the process: the
// classifier for `trusted_ranges` followed by the allowlist. Sets
// PR_SET_NO_NEW_PRIVS first. `interrupt_signal` is the only signal the
// libOS may send with tgkill besides SIGABRT, and `lifeline_signal` the only
// parent-death signal it may ask for. Both must be the ones the allowlist
// was generated for (EINVAL otherwise).
Result<void> install_filter(const std::vector<AddressRange>& trusted_ranges, int interrupt_signal,
                            int lifeline_signal);

}  // namespace litebox::platform::linux_userland
