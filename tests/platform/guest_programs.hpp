// The guest programs of guest_programs.S and the probe page they use.
#pragma once

#include <cstddef>
#include <cstdint>

#include "guest_programs.h"
#include "litebox/platform/execution.hpp"

namespace litebox::testing {

// The probe page of register_probe (offsets in guest_programs.h).
struct ProbePage {
  uint8_t zmm_in[4][64];
  uint64_t k1_in;
  uint64_t rflags_in;
  uint64_t unused0[6];
  uint64_t gpr_out[16];  // rax rbx rcx rdx rsi rdi rbp rsp r8 .. r15
  uint64_t rflags_out;
  uint64_t fs_word_out;
  uint64_t k1_out;
  uint64_t unused1[5];
  uint8_t zmm_out[4][64];
};

static_assert(offsetof(ProbePage, zmm_in) == PROBE_ZMM_IN);
static_assert(offsetof(ProbePage, k1_in) == PROBE_K1_IN);
static_assert(offsetof(ProbePage, rflags_in) == PROBE_RFLAGS_IN);
static_assert(offsetof(ProbePage, gpr_out) == PROBE_GPR_OUT);
static_assert(offsetof(ProbePage, rflags_out) == PROBE_RFLAGS_OUT);
static_assert(offsetof(ProbePage, fs_word_out) == PROBE_FS_WORD_OUT);
static_assert(offsetof(ProbePage, k1_out) == PROBE_K1_OUT);
static_assert(offsetof(ProbePage, zmm_out) == PROBE_ZMM_OUT);

}  // namespace litebox::testing

extern "C" {
extern const std::byte register_probe_start[];
extern const std::byte register_probe_syscall_end[];
extern const std::byte register_probe_end[];
extern const std::byte thread_probe_start[];
extern const std::byte thread_probe_child[];
extern const std::byte thread_probe_end[];
extern const std::byte main_exit_probe_start[];
extern const std::byte main_exit_probe_child[];
extern const std::byte main_exit_probe_end[];
extern const std::byte spin_probe_start[];
extern const std::byte spin_probe_end[];
extern const std::byte null_loop_start[];
extern const std::byte null_loop_end[];
[[noreturn]] void native_enter(const litebox::platform::GuestRegisters* registers);
}
