// The x86-64 signal frame (struct rt_sigframe) that the shim builds on the
// guest stack before it runs a handler, and that rt_sigreturn reads back.
#pragma once

#include <cstdint>

#include "litebox/platform/execution.hpp"
#include "litebox/result.hpp"
#include "shim/linux/process.hpp"
#include "shim/linux/signal/signal_types.hpp"

namespace litebox::shim::linux_abi {

class Task;

// The frame's contents besides the registers: the mask to restore on
// rt_sigreturn and, for a fault, the CPU's view of it.
struct FrameContext {
  uint64_t saved_mask = 0;
  uint64_t trap_number = 0;
  uint64_t error_code = 0;
  uint64_t fault_address = 0;
};

// Writes the frame for `info` below the guest's stack (or on its alternate
// stack) and points `registers` at `action`'s handler. As in Linux, the
// frame lies below the 128-byte red zone, 16-byte aligned minus 8, with the
// XSAVE image of `extended_state` above it. Resets `extended_state` to the
// initial state the handler starts with. Returns `efault`, with the
// registers unchanged, when the frame does not fit or cannot be written.
Result<void> push_signal_frame(Task& task, platform::GuestRegisters& registers,
                               platform::ExtendedState extended_state, const SignalInfo& info,
                               const SignalAction& action, const FrameContext& context);

// Puts every x87/SSE/AVX component of `state` into its initial state, as a
// signal handler and a new program image start with.
void reset_extended_state(platform::ExtendedState state);

// Restores the registers, extended state, signal mask and alternate stack
// from the frame at the guest's stack pointer (rt_sigreturn). Returns the
// restored rax; `efault` for a frame the guest cannot read.
Result<uint64_t> pop_signal_frame(Task& task, platform::GuestRegisters& registers,
                                  platform::ExtendedState extended_state);

}  // namespace litebox::shim::linux_abi
