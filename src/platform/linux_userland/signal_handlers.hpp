// The host signal handlers of the Linux userland platform. They may run while
// the guest's fs base is live, so they never touch thread-local storage and
// call no libc function (signal_handlers.cpp is built without the stack
// protector, which reads its canary through fs).
#pragma once

#include <csignal>

#include <cstdint>

#include "litebox/platform/execution.hpp"

namespace litebox::platform::linux_userland {

// Installs the handlers for SIGSYS, the fault signals (SIGSEGV, SIGBUS,
// SIGFPE, SIGILL, SIGTRAP) and signal_state.interrupt_signal, all on the
// alternate signal stack and returning through litebox_signal_restorer.
// Returns 0 or a negative errno.
int install_signal_handlers();

// Installs the SIGCHLD handler, which sets `child_exit_pending` and sends a
// receiving thread that runs guest code into the libOS. Returns 0 or a
// negative errno.
int install_child_exit_handler();

// Ends this process when the host has adopted it: then the sandbox's first
// process, which adopts every orphan inside the sandbox, has ended, and no
// guest process may outlive it. Safe in a signal handler.
void end_if_sandbox_ended();

// The signals that the sandbox takes from the host and passes to the guest
// process that this host process runs: those a terminal or a supervisor
// sends (Ctrl-C, kill, a hang-up, a window change).
inline constexpr int relayed_signals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1,
                                          SIGUSR2, SIGALRM, SIGTERM, SIGWINCH};

// One bit per relayed signal (bit n - 1 for signal n) that has arrived and
// that take_relayed_signals has not returned yet.
extern uint64_t relayed_signals_pending;

// Nonzero once SIGCHLD has arrived and reap_children has not run since.
extern uint32_t child_exit_pending;

// Writes "litebox: <message>\n" to standard error with one write(2), without
// libc. Safe in a signal handler.
void write_diagnostic(const char* message);

// Ends the process with status 128 + signal after a guest fault that no
// SyscallHandler took, naming the signal and addresses on standard error.
[[noreturn]] void report_unhandled_fault(const GuestFault& fault, uint64_t instruction_pointer);

}  // namespace litebox::platform::linux_userland
