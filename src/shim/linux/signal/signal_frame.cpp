#include "shim/linux/signal/signal_frame.hpp"

#include <cstddef>
#include <cstring>
#include <vector>

#include "shim/linux/guest_memory.hpp"
#include "shim/linux/signal/delivery.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

namespace {

// struct sigcontext on x86-64 (uc_mcontext); glibc's gregs[] index the
// same words.
struct SignalContext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags;
  uint16_t cs, gs, fs, ss;
  uint64_t error_code;
  uint64_t trap_number;
  uint64_t old_mask;
  uint64_t cr2;
  uint64_t fpstate;  // guest address of the XSAVE image, or 0
  uint64_t reserved[8];
};
static_assert(sizeof(SignalContext) == 256);

// The kernel's struct ucontext (shorter than glibc's ucontext_t, which
// only appends fields that the kernel does not write).
struct UserContext {
  uint64_t flags;
  uint64_t link;
  SignalStack stack;
  SignalContext machine;
  uint64_t signal_mask;
};
static_assert(sizeof(UserContext) == 304);

// struct rt_sigframe: the handler's return address slot comes first, so
// the handler's `ret` pops it and lands on sa_restorer.
struct SignalFrame {
  uint64_t return_address;
  UserContext context;
  SignalInfo info;
};
static_assert(offsetof(SignalFrame, context) == 8);
static_assert(offsetof(SignalFrame, info) == 312);

// uc_flags bits (<asm/ucontext.h>).
constexpr uint64_t uc_fp_xstate = 0x1;
constexpr uint64_t uc_sigcontext_ss = 0x2;
constexpr uint64_t uc_strict_restore_ss = 0x4;

// The 64-bit user code and stack segment selectors (__USER_CS, __USER_DS).
constexpr uint16_t user_code_segment = 0x33;
constexpr uint16_t user_stack_segment = 0x2b;

// The red zone below the stack pointer that the x86-64 ABI lets leaf
// functions use without moving rsp.
constexpr uint64_t red_zone_size = 128;

// rflags bits cleared for the handler: TF, DF and RF.
constexpr uint64_t handler_cleared_flags = 0x100 | 0x400 | 0x10000;

// Layout of the XSAVE image: the legacy FXSAVE region, whose bytes
// 464..511 are free for software and carry struct _fpx_sw_bytes, then the
// XSAVE header.
constexpr size_t legacy_region_size = 512;
constexpr size_t mxcsr_offset = 24;
constexpr size_t mxcsr_mask_offset = 28;
constexpr size_t software_bytes_offset = 464;
constexpr size_t xsave_header_offset = 512;
constexpr size_t xsave_header_size = 64;
constexpr uint32_t fp_xstate_magic1 = 0x46505853;
constexpr uint32_t fp_xstate_magic2 = 0x46505845;
constexpr uint32_t fp_xstate_magic2_size = 4;
// x87 and SSE state, which a legacy (FXSAVE-only) frame still carries.
constexpr uint64_t legacy_features = 0x3;
constexpr uint32_t default_mxcsr = 0x1f80;
// The MXCSR_MASK to assume when the processor stores 0 there.
constexpr uint32_t default_mxcsr_mask = 0xffbf;

// struct _fpx_sw_bytes.
struct SoftwareReservedBytes {
  uint32_t magic1;
  uint32_t extended_size;
  uint64_t features;
  uint32_t xstate_size;
  uint32_t padding[7];
};
static_assert(sizeof(SoftwareReservedBytes) == 48);

template <typename T>
T load(const std::byte* bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes + offset, sizeof(T));
  return value;
}

template <typename T>
void store(std::byte* bytes, size_t offset, const T& value) {
  std::memcpy(bytes + offset, &value, sizeof(T));
}

uint64_t round_down(uint64_t value, uint64_t alignment) { return value & ~(alignment - 1); }

uint32_t mxcsr_mask_of(const platform::ExtendedState& state) {
  const auto mask = load<uint32_t>(state.data, mxcsr_mask_offset);
  return mask != 0 ? mask : default_mxcsr_mask;
}

// Writes the XSAVE image with its software bytes and trailing magic at
// `address`, as the kernel lays out the fpstate of a signal frame.
Result<void> write_extended_state(uint64_t address, platform::ExtendedState state) {
  // The kernel's image contains the initial values of unused components,
  // and a guest may read them without looking at the header.
  guest_execution().complete_extended_state(state);
  std::vector<std::byte> image(state.size + fp_xstate_magic2_size);
  std::memcpy(image.data(), state.data, state.size);

  SoftwareReservedBytes software{};
  software.magic1 = fp_xstate_magic1;
  software.extended_size = static_cast<uint32_t>(state.size + fp_xstate_magic2_size);
  software.features = state.enabled_features;
  software.xstate_size = static_cast<uint32_t>(state.size);
  store(image.data(), software_bytes_offset, software);

  // The kernel marks x87 and SSE as present so a legacy FXRSTOR-based
  // reader finds them.
  if (state.size >= xsave_header_offset + xsave_header_size) {
    const auto present = load<uint64_t>(image.data(), xsave_header_offset);
    store(image.data(), xsave_header_offset, present | legacy_features);
  }
  store(image.data(), state.size, fp_xstate_magic2);

  return copy_to_guest(address, image);
}

// Loads the guest's XSAVE image from `address` into `state`, keeping only
// what XRSTOR accepts: a standard-format header with the enabled features,
// zero reserved header bytes, and MXCSR bits that the processor supports.
// A frame without valid software bytes is read as a legacy FXSAVE image,
// with the other components in their initial state.
Result<void> read_extended_state(uint64_t address, platform::ExtendedState state) {
  const uint32_t mxcsr_mask = mxcsr_mask_of(state);
  std::vector<std::byte> legacy(legacy_region_size);
  TRY_VOID(copy_from_guest(legacy, address));

  const auto software = load<SoftwareReservedBytes>(legacy.data(), software_bytes_offset);
  bool full_image = software.magic1 == fp_xstate_magic1 && software.xstate_size == state.size &&
                    software.extended_size == state.size + fp_xstate_magic2_size;
  if (full_image) {
    uint32_t magic2 = 0;
    // Safety: a uint32_t's bytes are its value.
    TRY_VOID(copy_from_guest({reinterpret_cast<std::byte*>(&magic2), sizeof(magic2)},
                             address + state.size));
    full_image = magic2 == fp_xstate_magic2;
  }

  std::vector<std::byte> image(state.size);
  uint64_t present = legacy_features;
  if (full_image) {
    TRY_VOID(copy_from_guest(image, address));
    present = load<uint64_t>(image.data(), xsave_header_offset) & state.enabled_features;
  } else {
    std::memcpy(image.data(), legacy.data(), legacy_region_size);
  }

  std::memset(image.data() + xsave_header_offset, 0, xsave_header_size);
  store(image.data(), xsave_header_offset, present);
  const auto mxcsr = load<uint32_t>(image.data(), mxcsr_offset);
  store(image.data(), mxcsr_offset, mxcsr & mxcsr_mask);
  store(image.data(), mxcsr_mask_offset, mxcsr_mask);
  std::memcpy(state.data, image.data(), state.size);
  return {};
}

bool has_xsave_image(const platform::ExtendedState& state) {
  return state.data != nullptr && state.size >= xsave_header_offset + xsave_header_size;
}

SignalContext save_registers(const platform::GuestRegisters& registers) {
  SignalContext saved{};
  saved.r8 = registers.r8;
  saved.r9 = registers.r9;
  saved.r10 = registers.r10;
  saved.r11 = registers.r11;
  saved.r12 = registers.r12;
  saved.r13 = registers.r13;
  saved.r14 = registers.r14;
  saved.r15 = registers.r15;
  saved.rdi = registers.rdi;
  saved.rsi = registers.rsi;
  saved.rbp = registers.rbp;
  saved.rbx = registers.rbx;
  saved.rdx = registers.rdx;
  saved.rax = registers.rax;
  saved.rcx = registers.rcx;
  saved.rsp = registers.rsp;
  saved.rip = registers.rip;
  saved.rflags = registers.rflags;
  saved.cs = user_code_segment;
  saved.ss = user_stack_segment;
  return saved;
}

void restore_registers(platform::GuestRegisters& registers, const SignalContext& saved) {
  registers.r8 = saved.r8;
  registers.r9 = saved.r9;
  registers.r10 = saved.r10;
  registers.r11 = saved.r11;
  registers.r12 = saved.r12;
  registers.r13 = saved.r13;
  registers.r14 = saved.r14;
  registers.r15 = saved.r15;
  registers.rdi = saved.rdi;
  registers.rsi = saved.rsi;
  registers.rbp = saved.rbp;
  registers.rbx = saved.rbx;
  registers.rdx = saved.rdx;
  registers.rax = saved.rax;
  registers.rcx = saved.rcx;
  registers.rsp = saved.rsp;
  registers.rip = saved.rip;
  // The platform keeps only the rflags bits a guest may set.
  registers.rflags = saved.rflags;
}

}  // namespace

// An all-zero XSAVE header puts every component into its initial state, and
// XRSTOR loads the default MXCSR whatever the header says.
void reset_extended_state(platform::ExtendedState state) {
  const uint32_t mxcsr_mask = load<uint32_t>(state.data, mxcsr_mask_offset);
  std::memset(state.data, 0, state.size);
  store(state.data, mxcsr_offset, default_mxcsr);
  store(state.data, mxcsr_mask_offset, mxcsr_mask);
}

Result<void> push_signal_frame(Task& task, platform::GuestRegisters& registers,
                               platform::ExtendedState extended_state, const SignalInfo& info,
                               const SignalAction& action, const FrameContext& context) {
  const SignalStack alternate = task.alternate_stack;
  const bool nested_on_alternate = on_alternate_stack(task, registers.rsp);

  uint64_t stack_pointer = registers.rsp - red_zone_size;
  bool entering_alternate = false;
  if ((action.flags & sa::on_stack) != 0 && alternate_stack_enabled(task) &&
      !on_alternate_stack(task, stack_pointer)) {
    stack_pointer = alternate.base + alternate.size;
    entering_alternate = true;
  }

  uint64_t fpstate = 0;
  if (has_xsave_image(extended_state)) {
    // XSAVE images need 64-byte alignment.
    stack_pointer = round_down(stack_pointer - extended_state.size - fp_xstate_magic2_size, 64);
    fpstate = stack_pointer;
  }
  // As after a call instruction: rsp + 8 is 16-byte aligned at the handler.
  const uint64_t frame_address = round_down(stack_pointer - sizeof(SignalFrame), 16) - 8;

  // A frame that would overflow the alternate stack is not written, and
  // the caller turns that into SIGSEGV.
  if ((nested_on_alternate || entering_alternate) &&
      !(frame_address > alternate.base && frame_address - alternate.base <= alternate.size)) {
    return fail(Errno::efault);
  }

  SignalFrame frame{};
  frame.return_address = action.restorer;
  frame.context.flags = uc_sigcontext_ss | uc_strict_restore_ss | (fpstate != 0 ? uc_fp_xstate : 0);
  frame.context.stack = alternate;
  frame.context.machine = save_registers(registers);
  frame.context.machine.trap_number = context.trap_number;
  frame.context.machine.error_code = context.error_code;
  frame.context.machine.cr2 = context.fault_address;
  frame.context.machine.old_mask = context.saved_mask;
  frame.context.machine.fpstate = fpstate;
  frame.context.signal_mask = context.saved_mask;
  if ((action.flags & sa::siginfo) != 0) {
    frame.info = info;
  }

  if (fpstate != 0) {
    TRY_VOID(write_extended_state(fpstate, extended_state));
  }
  TRY_VOID(GuestPtr<SignalFrame>(frame_address).write(frame));

  if (fpstate != 0) {
    reset_extended_state(extended_state);
  }
  registers.rdi = static_cast<uint64_t>(info.signo);
  registers.rsi = frame_address + offsetof(SignalFrame, info);
  registers.rdx = frame_address + offsetof(SignalFrame, context);
  // For handlers declared without a prototype, as for variadic calls.
  registers.rax = 0;
  registers.rip = action.handler;
  registers.rsp = frame_address;
  registers.rflags &= ~handler_cleared_flags;
  return {};
}

Result<uint64_t> pop_signal_frame(Task& task, platform::GuestRegisters& registers,
                                  platform::ExtendedState extended_state) {
  // The handler's `ret` popped the return address slot.
  const uint64_t frame_address = registers.rsp - sizeof(uint64_t);
  const SignalFrame frame = TRY(GuestPtr<SignalFrame>(frame_address).read());
  const SignalContext& saved = frame.context.machine;

  if (has_xsave_image(extended_state)) {
    if (saved.fpstate != 0) {
      TRY_VOID(read_extended_state(saved.fpstate, extended_state));
    } else {
      reset_extended_state(extended_state);
    }
  }

  // As in Linux (checked on 6.18), the alternate stack is restored against
  // the handler's stack pointer, so a stack that the handler installed and
  // still runs on stays (EPERM, ignored).
  (void)change_alternate_stack(task, frame.context.stack, registers.rsp);
  restore_registers(registers, saved);
  set_signal_mask(task, frame.context.signal_mask);
  return saved.rax;
}

}  // namespace litebox::shim::linux_abi
