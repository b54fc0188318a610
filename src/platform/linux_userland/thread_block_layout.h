/* Byte offsets inside a thread block, shared by the assembly entry path and
 * the C++ ThreadBlock definition (thread_block.hpp checks every value with a
 * static_assert). Plain C preprocessor syntax so that .S files can include
 * it. */
#ifndef LITEBOX_THREAD_BLOCK_LAYOUT_H
#define LITEBOX_THREAD_BLOCK_LAYOUT_H

/* Every thread block is this large and aligned to its size, so code running
 * on any stack inside a block finds the block by clearing the low bits of
 * its stack pointer. */
#define LB_BLOCK_SIZE 0x100000

/* GuestRegisters at offset 0, in its declaration order. */
#define LB_R15 0
#define LB_R14 8
#define LB_R13 16
#define LB_R12 24
#define LB_R11 32
#define LB_R10 40
#define LB_R9 48
#define LB_R8 56
#define LB_RDI 64
#define LB_RSI 72
#define LB_RBP 80
#define LB_RBX 88
#define LB_RDX 96
#define LB_RAX 104
#define LB_RCX 112
#define LB_RSP 120
#define LB_RIP 128
#define LB_RFLAGS 136
#define LB_FS_BASE 144
#define LB_GS_BASE 152

/* Fields after the registers. */
#define LB_LIBOS_FS_BASE 160
#define LB_LIBOS_STACK_TOP 168
#define LB_HOST_RSP 176
#define LB_SELECTOR 184
#define LB_EXTENDED_STATE_COPIED 185

/* Regions of the block: the XSAVE area, the alternate signal stack and the
 * libOS stack, each below a guard page. The XSAVE area shares the header's
 * page, where an image of up to 3 KiB (AVX-512 and PKRU) fits, so a new
 * thread touches one fresh page less. XSAVE needs 64-byte alignment. */
#define LB_XSAVE_AREA 0x400
#define LB_XSAVE_AREA_MAX 0xFC00
#define LB_ALTSTACK_GUARD 0x10000
#define LB_ALTSTACK 0x11000
#define LB_ALTSTACK_SIZE 0x10000
#define LB_STACK_GUARD 0x21000
#define LB_STACK 0x22000

/* Values of the Syscall User Dispatch selector byte (the kernel's
 * SYSCALL_DISPATCH_FILTER_ALLOW and _BLOCK). */
#define LB_SELECTOR_ALLOW 0
#define LB_SELECTOR_BLOCK 1

/* arch_prctl codes and system call numbers the entry path uses. */
#define LB_ARCH_SET_GS 0x1001
#define LB_ARCH_SET_FS 0x1002
#define LB_ARCH_GET_FS 0x1003
#define LB_ARCH_GET_GS 0x1004
#define LB_NR_ARCH_PRCTL 158
#define LB_NR_RT_SIGRETURN 15
#define LB_NR_FUTEX 202

#endif
