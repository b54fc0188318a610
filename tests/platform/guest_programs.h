/* Layout of the probe page that the guest programs in guest_programs.S read
 * and write through %rbp, and the system call numbers they use. Shared by the
 * assembly and the tests (guest_programs.hpp checks the offsets). */
#ifndef LITEBOX_TESTS_GUEST_PROGRAMS_H
#define LITEBOX_TESTS_GUEST_PROGRAMS_H

/* Inputs: patterns for zmm0, zmm7, zmm16, zmm31, then k1 and rflags. */
#define PROBE_ZMM_IN 0
#define PROBE_K1_IN 256
#define PROBE_RFLAGS_IN 264
/* Outputs after the probe system call: the 16 general registers in the
 * order rax rbx rcx rdx rsi rdi rbp rsp r8 .. r15, rflags, the quadword at
 * %fs:0, k1, and the four vector registers. */
#define PROBE_GPR_OUT 320
#define PROBE_RFLAGS_OUT 448
#define PROBE_FS_WORD_OUT 456
#define PROBE_K1_OUT 464
#define PROBE_ZMM_OUT 512

/* System call numbers no Linux kernel assigns, served by the test handlers. */
#define PROBE_NR 1000
#define SPAWN_NR 1001
#define WAIT_NR 1002
#define REPORT_NR 1003
#define EXIT_THREAD_NR 1004
#define NULL_NR 1005

#define EXIT_GROUP_NR 231

#endif
