/* Guest programs for the platform tests. Each is position-independent: a test
 * copies the bytes between its start and end labels into a mapping created
 * after the process is sealed, so the code is untrusted guest code. */
#include "guest_programs.h"

	.text

/* register_probe: loads vector, mask and flag registers from the probe page
 * at %rbp, makes system call %rax (set by the test), stores every register
 * in the probe page, then calls exit_group(0). The other general registers
 * carry the test's values through the call untouched. */
	.globl register_probe_start
	.globl register_probe_end
	.globl register_probe_syscall_end
register_probe_start:
	vmovdqu64 PROBE_ZMM_IN(%rbp), %zmm0
	vmovdqu64 PROBE_ZMM_IN+64(%rbp), %zmm7
	vmovdqu64 PROBE_ZMM_IN+128(%rbp), %zmm16
	vmovdqu64 PROBE_ZMM_IN+192(%rbp), %zmm31
	kmovq PROBE_K1_IN(%rbp), %k1
	pushq PROBE_RFLAGS_IN(%rbp)
	popfq
	syscall
register_probe_syscall_end:
	mov %rax, PROBE_GPR_OUT+0(%rbp)
	mov %rbx, PROBE_GPR_OUT+8(%rbp)
	mov %rcx, PROBE_GPR_OUT+16(%rbp)
	mov %rdx, PROBE_GPR_OUT+24(%rbp)
	mov %rsi, PROBE_GPR_OUT+32(%rbp)
	mov %rdi, PROBE_GPR_OUT+40(%rbp)
	mov %rbp, PROBE_GPR_OUT+48(%rbp)
	mov %rsp, PROBE_GPR_OUT+56(%rbp)
	mov %r8, PROBE_GPR_OUT+64(%rbp)
	mov %r9, PROBE_GPR_OUT+72(%rbp)
	mov %r10, PROBE_GPR_OUT+80(%rbp)
	mov %r11, PROBE_GPR_OUT+88(%rbp)
	mov %r12, PROBE_GPR_OUT+96(%rbp)
	mov %r13, PROBE_GPR_OUT+104(%rbp)
	mov %r14, PROBE_GPR_OUT+112(%rbp)
	mov %r15, PROBE_GPR_OUT+120(%rbp)
	pushfq
	popq PROBE_RFLAGS_OUT(%rbp)
	mov %fs:0, %rax
	mov %rax, PROBE_FS_WORD_OUT(%rbp)
	kmovq %k1, PROBE_K1_OUT(%rbp)
	vmovdqu64 %zmm0, PROBE_ZMM_OUT(%rbp)
	vmovdqu64 %zmm7, PROBE_ZMM_OUT+64(%rbp)
	vmovdqu64 %zmm16, PROBE_ZMM_OUT+128(%rbp)
	vmovdqu64 %zmm31, PROBE_ZMM_OUT+192(%rbp)
	cld
	mov $EXIT_GROUP_NR, %eax
	xor %edi, %edi
	syscall
	ud2
register_probe_end:

/* thread_probe: the main guest thread asks for a new thread (SPAWN_NR, which
 * starts it at thread_probe_child), waits for its report (WAIT_NR), and calls
 * exit_group with the wait's result. The child reports 0x7777 (REPORT_NR)
 * and ends itself (EXIT_THREAD_NR). */
	.globl thread_probe_start
	.globl thread_probe_child
	.globl thread_probe_end
thread_probe_start:
	mov $SPAWN_NR, %eax
	syscall
	mov $WAIT_NR, %eax
	syscall
	mov %rax, %rdi
	mov $EXIT_GROUP_NR, %eax
	syscall
	ud2
thread_probe_child:
	mov $REPORT_NR, %eax
	mov $0x7777, %edi
	syscall
	mov $EXIT_THREAD_NR, %eax
	syscall
	ud2
thread_probe_end:

/* null_loop: makes NULL_NR system calls %rbx times, then exit_group(0). Used
 * only to measure the cost of a trapped call by hand. */
	.globl null_loop_start
	.globl null_loop_end
null_loop_start:
1:
	mov $NULL_NR, %eax
	syscall
	dec %rbx
	jnz 1b
	mov $EXIT_GROUP_NR, %eax
	xor %edi, %edi
	syscall
	ud2
null_loop_end:

/* main_exit_probe: the main guest thread starts a thread at
 * main_exit_probe_child (SPAWN_NR) and ends itself (EXIT_THREAD_NR). The
 * child waits until the main thread is ending (WAIT_NR) and calls
 * exit_group(42). */
	.globl main_exit_probe_start
	.globl main_exit_probe_child
	.globl main_exit_probe_end
main_exit_probe_start:
	mov $SPAWN_NR, %eax
	syscall
	mov $EXIT_THREAD_NR, %eax
	syscall
	ud2
main_exit_probe_child:
	mov $WAIT_NR, %eax
	syscall
	mov $EXIT_GROUP_NR, %eax
	mov $42, %edi
	syscall
	ud2
main_exit_probe_end:

/* spin_probe: sets the quadword at 8(%rbp) to 1, spins until the quadword at
 * (%rbp) is nonzero, then calls exit_group(0). A host signal that lands
 * during the spin must return to it without disturbing the guest. */
	.globl spin_probe_start
	.globl spin_probe_end
spin_probe_start:
	movq $1, 8(%rbp)
1:
	cmpq $0, (%rbp)
	je 1b
	mov $EXIT_GROUP_NR, %eax
	xor %edi, %edi
	syscall
	ud2
spin_probe_end:

/* native_enter(const GuestRegisters* registers): runs a guest program on the
 * host directly, with no interception, to produce the expected register
 * values. Loads fs base, rflags and every general register, then jumps to
 * registers->rip. Needs FSGSBASE. */
	.globl native_enter
native_enter:
	mov 128(%rdi), %rax
	mov %rax, native_target(%rip)
	mov 144(%rdi), %rax
	wrfsbase %rax
	pushq 136(%rdi)
	popfq
	mov 0(%rdi), %r15
	mov 8(%rdi), %r14
	mov 16(%rdi), %r13
	mov 24(%rdi), %r12
	mov 32(%rdi), %r11
	mov 40(%rdi), %r10
	mov 48(%rdi), %r9
	mov 56(%rdi), %r8
	mov 72(%rdi), %rsi
	mov 80(%rdi), %rbp
	mov 88(%rdi), %rbx
	mov 96(%rdi), %rdx
	mov 104(%rdi), %rax
	mov 112(%rdi), %rcx
	mov 120(%rdi), %rsp
	mov 64(%rdi), %rdi
	jmp *native_target(%rip)

	.data
	.balign 8
native_target:
	.quad 0

	.section .note.GNU-stack, "", @progbits
