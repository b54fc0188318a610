/* The floating-point and vector state in a signal frame: the handler finds
 * the interrupted x87 control word, MXCSR and XMM registers in
 * uc_mcontext.fpregs, the XSAVE header marks x87 and SSE as present, and
 * sigreturn puts the interrupted state back. Each signal is raised by a
 * `syscall` instruction right after the registers are set, so no library
 * code changes them in between. Components the thread does not use read as
 * zeros, as the kernel's XSAVE leaves them. */
#include "abi.h"

#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <ucontext.h>

/* struct _fpx_sw_bytes sits at byte 464 of the FXSAVE region and starts
 * with FP_XSTATE_MAGIC1 when an XSAVE header follows at byte 512. */
#define XSAVE_SOFTWARE_BYTES 464
#define XSAVE_HEADER 512
#define DEFAULT_MXCSR 0x1f80u

/* The upper halves of YMM0-YMM15 (the AVX component) in the standard
 * XSAVE layout, and their bit in XSTATE_BV. */
#define AVX_UPPER_HALVES 576
#define AVX_UPPER_HALVES_SIZE 256
#define AVX_FEATURE 4

struct frame_view {
  unsigned control_word;
  unsigned mxcsr;
  uint64_t xmm8_low;
  unsigned legacy_present; /* XSTATE_BV & 3, or 4 without an XSAVE header */
  unsigned avx_present;
  unsigned avx_nonzero_bytes;
};

static volatile struct frame_view seen;

static void inspect_frame(int signal, siginfo_t* info, void* context) {
  (void)signal;
  (void)info;
  const ucontext_t* ucontext = context;
  const struct _libc_fpstate* fpstate = ucontext->uc_mcontext.fpregs;
  const unsigned char* bytes = (const unsigned char*)fpstate;

  seen.control_word = fpstate->cwd;
  seen.mxcsr = fpstate->mxcsr;
  memcpy((void*)&seen.xmm8_low, &fpstate->_xmm[8], sizeof(seen.xmm8_low));

  uint32_t magic;
  memcpy(&magic, bytes + XSAVE_SOFTWARE_BYTES, sizeof(magic));
  if (magic == FP_XSTATE_MAGIC1) {
    uint64_t present;
    memcpy(&present, bytes + XSAVE_HEADER, sizeof(present));
    seen.legacy_present = (unsigned)(present & 3);
    seen.avx_present = (present & AVX_FEATURE) != 0;
    seen.avx_nonzero_bytes = 0;
    if (ucontext->uc_mcontext.fpregs != NULL && __builtin_cpu_supports("avx")) {
      for (int i = 0; i < AVX_UPPER_HALVES_SIZE; i++) {
        seen.avx_nonzero_bytes += bytes[AVX_UPPER_HALVES + i] != 0;
      }
    }
  } else {
    seen.legacy_present = 4;
  }
}

static void report(const char* label) {
  printf("%s: fcw %#x mxcsr %#x xmm8 %#llx x87+sse present %u\n", label, seen.control_word,
         seen.mxcsr, (unsigned long long)seen.xmm8_low, seen.legacy_present);
}

/* Raises SIGUSR1 with xmm8 = pattern and every other XMM register zero. */
static void raise_with_xmm8(uint64_t pattern) {
  long pid = getpid();
  long tid = syscall(SYS_gettid);
  long result;
  __asm__ volatile(
      "pxor %%xmm0, %%xmm0\n\t"
      "pxor %%xmm1, %%xmm1\n\t"
      "pxor %%xmm2, %%xmm2\n\t"
      "pxor %%xmm3, %%xmm3\n\t"
      "pxor %%xmm4, %%xmm4\n\t"
      "pxor %%xmm5, %%xmm5\n\t"
      "pxor %%xmm6, %%xmm6\n\t"
      "pxor %%xmm7, %%xmm7\n\t"
      "movq %[pattern], %%xmm8\n\t"
      "pxor %%xmm9, %%xmm9\n\t"
      "pxor %%xmm10, %%xmm10\n\t"
      "pxor %%xmm11, %%xmm11\n\t"
      "pxor %%xmm12, %%xmm12\n\t"
      "pxor %%xmm13, %%xmm13\n\t"
      "pxor %%xmm14, %%xmm14\n\t"
      "pxor %%xmm15, %%xmm15\n\t"
      "syscall"
      : "=a"(result)
      : "0"((long)SYS_tgkill), "D"(pid), "S"(tid), "d"((long)SIGUSR1), [pattern] "r"(pattern)
      : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
        "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
  if (result != 0) {
    printf("tgkill -> %ld\n", result);
  }
}

/* Raises SIGUSR1 with all ones in YMM3, and with its upper half cleared
 * by VZEROUPPER first when `clear_upper` is set. */
static void raise_with_ymm3(int clear_upper) {
  long pid = getpid();
  long tid = syscall(SYS_gettid);
  long result;
  if (clear_upper) {
    __asm__ volatile("vpcmpeqd %%ymm3, %%ymm3, %%ymm3\n\tvzeroupper" : : : "xmm3");
  } else {
    __asm__ volatile("vpcmpeqd %%ymm3, %%ymm3, %%ymm3" : : : "xmm3");
  }
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "0"((long)SYS_tgkill), "D"(pid), "S"(tid), "d"((long)SIGUSR1)
                   : "rcx", "r11", "memory");
  if (result != 0) {
    printf("tgkill -> %ld\n", result);
  }
}

static unsigned read_control_word(void) {
  unsigned short word;
  __asm__ volatile("fnstcw %0" : "=m"(word));
  return word;
}

static unsigned read_mxcsr(void) {
  unsigned value;
  __asm__ volatile("stmxcsr %0" : "=m"(value));
  return value;
}

static void write_mxcsr(unsigned value) { __asm__ volatile("ldmxcsr %0" : : "m"(value)); }

static void write_control_word(unsigned short word) { __asm__ volatile("fldcw %0" : : "m"(word)); }

/* x87 arithmetic whose last digits depend on the precision control, and
 * which traps if the precision exception is unmasked. */
static void print_third(const char* label) {
  volatile long double numerator = 1.0L;
  volatile long double denominator = 3.0L;
  long double third = numerator / denominator;
  printf("%s: 1/3 = %.20Lf\n", label, third);
}

int main(void) {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_sigaction = inspect_frame;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  abi_report("sigaction", sigaction(SIGUSR1, &action, NULL));

  /* Before any x87 instruction, with every XMM register zero except xmm8. */
  raise_with_xmm8(0x1122334455667788ull);
  report("first signal");
  print_third("after the first handler");

  /* SSE back in its initial state: all XMM registers zero. */
  raise_with_xmm8(0);
  report("all XMM zero");

  /* Non-default control state survives the handler and comes back. */
  write_control_word(0x027f);
  write_mxcsr(DEFAULT_MXCSR | 0x6000); /* round toward zero */
  raise_with_xmm8(0x0102030405060708ull);
  report("changed controls");
  printf("after return: fcw %#x mxcsr %#x\n", read_control_word(), read_mxcsr());
  print_third("with 53-bit precision");

  write_control_word(0x037f);
  write_mxcsr(DEFAULT_MXCSR);
  raise_with_xmm8(0);
  report("defaults again");
  print_third("with 64-bit precision");

  /* An unused component reads as zeros, as XSAVE leaves it. */
  if (__builtin_cpu_supports("avx")) {
    for (int round = 0; round < 2; round++) {
      raise_with_ymm3(0);
      printf("ymm3 all ones: AVX present %u, %u nonzero bytes\n", seen.avx_present,
             seen.avx_nonzero_bytes);
      raise_with_ymm3(1);
      printf("after vzeroupper: AVX present %u, %u nonzero bytes\n", seen.avx_present,
             seen.avx_nonzero_bytes);
    }
  }
  return 0;
}
