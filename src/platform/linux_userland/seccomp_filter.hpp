// The two seccomp filters that seal a process.
//
// The classifier (hand-written BPF, because libseccomp cannot compare the
// instruction pointer) lets system calls from trusted code through and traps
// every other one. The allowlist (built with libseccomp, which generates
// correct 64-bit argument comparisons) allows only the host requests the
// libOS makes and traps the rest. The kernel applies the stricter verdict of
// the two, so guest code always traps and trusted code may make only
// allowlisted calls; docs/security.md lists them.
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

// Installs the classifier for `trusted_ranges` on every thread of the
// process. Sets PR_SET_NO_NEW_PRIVS first.
Result<void> install_classifier(const std::vector<AddressRange>& trusted_ranges);

// Installs the allowlist on every thread of the process. `interrupt_signal`
// is the only signal the libOS may send with tgkill, besides SIGABRT.
Result<void> install_allowlist(int interrupt_signal);

}  // namespace litebox::platform::linux_userland
