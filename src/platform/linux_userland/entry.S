/* The guest entry and exit path, the host-context switch used by enter_guest
 * and exit_thread, the signal return trampoline, and the fault-safe guest
 * copy routines.
 *
 * Register conventions: on the libOS side %rbx holds the thread block. %gs
 * base is the thread block while a thread runs guest code, which lets the
 * last instructions of the exit path reach the block without a register. */
#include "thread_block_layout.h"

	.section .rodata
	.balign 4
litebox_default_mxcsr:
	.long 0x1f80	/* all exceptions masked, round to nearest */

	.text

/* litebox_syscall_entry: where the SIGSYS handler sends a trapped thread.
 *
 * On entry %rsp is the top of the libOS stack (16-byte aligned), the guest's
 * general registers, %rip and %rsp are already stored in the thread block,
 * and the guest's extended state and fs base are still live. */
	.globl litebox_syscall_entry
	.hidden litebox_syscall_entry
	.type litebox_syscall_entry, @function
litebox_syscall_entry:
	.cfi_startproc
	/* The outermost libOS frame: unwinders stop here. */
	.cfi_undefined rip
	mov %rsp, %rbx
	and $-LB_BLOCK_SIZE, %rbx

	/* The SIGSYS handler may have copied the extended state already. */
	cmpb $0, LB_EXTENDED_STATE_COPIED(%rbx)
	je 5f
	movb $0, LB_EXTENDED_STATE_COPIED(%rbx)
	jmp 4f
5:
	/* XSAVEOPT skips the components in their initial state (most of the
	 * AVX-512 state of most programs), which makes it several times
	 * faster than XSAVE. It may also skip a component that is unchanged
	 * since the XRSTOR from this same area, so nothing may write the area
	 * between litebox_return_to_guest and this point. */
	mov $-1, %eax
	mov $-1, %edx
	cmpb $0, litebox_have_xsaveopt(%rip)
	je 3f
	xsaveopt64 LB_XSAVE_AREA(%rbx)
	jmp 4f
3:
	xsave64 LB_XSAVE_AREA(%rbx)
4:
	cmpb $0, litebox_have_fsgsbase(%rip)
	je 1f
	rdfsbase %rax
	mov %rax, LB_FS_BASE(%rbx)
	rdgsbase %rax
	mov %rax, LB_GS_BASE(%rbx)
	mov LB_LIBOS_FS_BASE(%rbx), %rax
	wrfsbase %rax
	/* A guest that wrote its own gs base loses it here: %gs belongs to
	 * the platform. */
	wrgsbase %rbx
	jmp 2f
1:
	/* Without FSGSBASE the guest cannot change gs base except through a
	 * system call that the libOS serves, so only fs needs saving. */
	mov $LB_NR_ARCH_PRCTL, %eax
	mov $LB_ARCH_GET_FS, %edi
	lea LB_FS_BASE(%rbx), %rsi
	syscall
	mov %rbx, LB_GS_BASE(%rbx)
	mov $LB_NR_ARCH_PRCTL, %eax
	mov $LB_ARCH_SET_FS, %edi
	mov LB_LIBOS_FS_BASE(%rbx), %rsi
	syscall
2:
	/* The C++ ABI expects DF clear and the default floating-point
	 * control state, whatever the guest left there. */
	cld
	ldmxcsr litebox_default_mxcsr(%rip)
	fninit

	mov %rbx, %rdi
	call litebox_dispatch_syscall
	mov %rbx, %rdi
	jmp litebox_return_to_guest
	.cfi_endproc
	.size litebox_syscall_entry, . - litebox_syscall_entry

/* litebox_rewritten_call_entry: where a rewritten system call site jumps,
 * through its trampoline (the shim's syscall_sites.cpp).
 *
 * On entry %eax holds the system call number and %rcx the address after the
 * site's syscall instruction, as the syscall instruction would leave it.
 * Every other register is the guest's, and %gs base is the thread block.
 * The guest's stack is never written, so its red zone survives. */
	.globl litebox_rewritten_call_entry
	.hidden litebox_rewritten_call_entry
	.type litebox_rewritten_call_entry, @function
litebox_rewritten_call_entry:
	.cfi_startproc
	.cfi_undefined rip
	mov %rsp, %gs:LB_RSP
	mov %gs:LB_LIBOS_STACK_TOP, %rsp
	pushfq
	popq %gs:LB_RFLAGS

	mov %r15, %gs:LB_R15
	mov %r14, %gs:LB_R14
	mov %r13, %gs:LB_R13
	mov %r12, %gs:LB_R12
	mov %r10, %gs:LB_R10
	mov %r9, %gs:LB_R9
	mov %r8, %gs:LB_R8
	mov %rdi, %gs:LB_RDI
	mov %rsi, %gs:LB_RSI
	mov %rbp, %gs:LB_RBP
	mov %rbx, %gs:LB_RBX
	mov %rdx, %gs:LB_RDX
	mov %rax, %gs:LB_RAX
	/* What the syscall instruction leaves behind: %rcx is the return
	 * address and %r11 the rflags. */
	mov %rcx, %gs:LB_RCX
	mov %rcx, %gs:LB_RIP
	mov %gs:LB_RFLAGS, %r11
	mov %r11, %gs:LB_R11

	/* The entry path and the libOS make host system calls of their own. */
	movb $LB_SELECTOR_ALLOW, %gs:LB_SELECTOR
	jmp litebox_syscall_entry
	.cfi_endproc
	.size litebox_rewritten_call_entry, . - litebox_rewritten_call_entry

/* litebox_return_to_guest(ThreadBlock* block): loads the guest state stored in
 * the block and jumps to the guest's %rip. Runs on the libOS stack (or the
 * host stack for the first entry) and never writes to the guest's stack, so
 * the guest's red zone survives. */
	.globl litebox_return_to_guest
	.hidden litebox_return_to_guest
	.type litebox_return_to_guest, @function
litebox_return_to_guest:
	.cfi_startproc
	.cfi_undefined rip
	mov %rdi, %rbx

	cmpb $0, litebox_have_fsgsbase(%rip)
	je 1f
	mov LB_FS_BASE(%rbx), %rax
	wrfsbase %rax
	jmp 2f
1:
	mov $LB_NR_ARCH_PRCTL, %eax
	mov $LB_ARCH_SET_FS, %edi
	mov LB_FS_BASE(%rbx), %rsi
	syscall
2:
	/* No system call may follow this point: under Syscall User Dispatch it
	 * would trap. */
	movb $LB_SELECTOR_BLOCK, LB_SELECTOR(%rbx)

	mov $-1, %eax
	mov $-1, %edx
	xrstor64 LB_XSAVE_AREA(%rbx)

	/* popfq while still on the libOS stack; mov changes no flag after. */
	pushq LB_RFLAGS(%rbx)
	popfq

	mov %gs:LB_R15, %r15
	mov %gs:LB_R14, %r14
	mov %gs:LB_R13, %r13
	mov %gs:LB_R12, %r12
	mov %gs:LB_R11, %r11
	mov %gs:LB_R10, %r10
	mov %gs:LB_R9, %r9
	mov %gs:LB_R8, %r8
	mov %gs:LB_RDI, %rdi
	mov %gs:LB_RSI, %rsi
	mov %gs:LB_RBP, %rbp
	mov %gs:LB_RBX, %rbx
	mov %gs:LB_RDX, %rdx
	mov %gs:LB_RAX, %rax
	mov %gs:LB_RCX, %rcx
	mov %gs:LB_RSP, %rsp
	jmp *%gs:LB_RIP
	.cfi_endproc
	.size litebox_return_to_guest, . - litebox_return_to_guest

/* litebox_enter_guest_from_host(ThreadBlock* block): saves the host's
 * callee-saved registers and stack pointer in the block, then enters the
 * guest. Returns only when litebox_return_to_host runs on this thread. */
	.globl litebox_enter_guest_from_host
	.hidden litebox_enter_guest_from_host
	.type litebox_enter_guest_from_host, @function
litebox_enter_guest_from_host:
	.cfi_startproc
	push %rbp
	.cfi_adjust_cfa_offset 8
	push %rbx
	.cfi_adjust_cfa_offset 8
	push %r12
	.cfi_adjust_cfa_offset 8
	push %r13
	.cfi_adjust_cfa_offset 8
	push %r14
	.cfi_adjust_cfa_offset 8
	push %r15
	.cfi_adjust_cfa_offset 8
	mov %rsp, LB_HOST_RSP(%rdi)
	jmp litebox_return_to_guest
	.cfi_endproc
	.size litebox_enter_guest_from_host, . - litebox_enter_guest_from_host

/* litebox_return_to_host(ThreadBlock* block): abandons the libOS stack and
 * returns from the litebox_enter_guest_from_host call on this thread. */
	.globl litebox_return_to_host
	.hidden litebox_return_to_host
	.type litebox_return_to_host, @function
litebox_return_to_host:
	.cfi_startproc
	mov LB_HOST_RSP(%rdi), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.cfi_endproc
	.size litebox_return_to_host, . - litebox_return_to_host

/* litebox_signal_restorer: the sa_restorer of every handler the platform
 * installs. Syscall User Dispatch exempts exactly this range, so a handler
 * that interrupted guest code returns even while the selector blocks. */
	.globl litebox_signal_restorer
	.hidden litebox_signal_restorer
	.globl litebox_signal_restorer_end
	.hidden litebox_signal_restorer_end
	.type litebox_signal_restorer, @function
litebox_signal_restorer:
	mov $LB_NR_RT_SIGRETURN, %eax
	syscall
litebox_signal_restorer_end:
	ud2
	.size litebox_signal_restorer, . - litebox_signal_restorer

/* litebox_complete_xsave_image(std::byte* image): rewrites an XSAVE image
 * that XSAVEOPT made so that unused components hold their initial values,
 * by loading it and storing it with XSAVE. Vector registers are
 * caller-saved, and the control words that are not get their defaults
 * back, as litebox_syscall_entry sets them. */
	.globl litebox_complete_xsave_image
	.hidden litebox_complete_xsave_image
	.type litebox_complete_xsave_image, @function
litebox_complete_xsave_image:
	.cfi_startproc
	mov $-1, %eax
	mov $-1, %edx
	xrstor64 (%rdi)
	xsave64 (%rdi)
	ldmxcsr litebox_default_mxcsr(%rip)
	fninit
	ret
	.cfi_endproc
	.size litebox_complete_xsave_image, . - litebox_complete_xsave_image

/* int litebox_guest_copy(void* destination, const void* source, size_t length):
 * returns 0, or -1 if a fault hit the copy. The fault handler sends a
 * faulting instruction in [litebox_guest_copy, litebox_guest_copy_end) to
 * litebox_guest_copy_fault. */
	.globl litebox_guest_copy
	.hidden litebox_guest_copy
	.globl litebox_guest_copy_end
	.hidden litebox_guest_copy_end
	.globl litebox_guest_copy_fault
	.hidden litebox_guest_copy_fault
	.type litebox_guest_copy, @function
litebox_guest_copy:
	.cfi_startproc
	mov %rdx, %rcx
	rep movsb
litebox_guest_copy_end:
	xor %eax, %eax
	ret
litebox_guest_copy_fault:
	mov $-1, %eax
	ret
	.cfi_endproc
	.size litebox_guest_copy, . - litebox_guest_copy

/* int64_t litebox_guest_strnlen(const char* string, size_t limit): returns the
 * number of bytes before the first NUL, at most `limit`, or -1 if a fault hit
 * the scan. */
	.globl litebox_guest_strnlen
	.hidden litebox_guest_strnlen
	.globl litebox_guest_strnlen_end
	.hidden litebox_guest_strnlen_end
	.globl litebox_guest_strnlen_fault
	.hidden litebox_guest_strnlen_fault
	.type litebox_guest_strnlen, @function
litebox_guest_strnlen:
	.cfi_startproc
	xor %eax, %eax
1:
	cmp %rsi, %rax
	je 2f
	cmpb $0, (%rdi, %rax)
	je 2f
	inc %rax
	jmp 1b
litebox_guest_strnlen_end:
2:
	ret
litebox_guest_strnlen_fault:
	mov $-1, %rax
	ret
	.cfi_endproc
	.size litebox_guest_strnlen, . - litebox_guest_strnlen

/* int64_t litebox_interruptible_futex_wait(uint32_t* word, int operation,
 *     uint32_t expected, const struct timespec* timeout,
 *     const uint32_t* interrupt_pending):
 * returns the raw futex result (0 or -errno). If the interrupt signal lands
 * between the check of *interrupt_pending and the syscall instruction, its
 * handler moves %rip to litebox_futex_wait_interrupted, so an interrupt is
 * never lost in that window. */
	.globl litebox_interruptible_futex_wait
	.hidden litebox_interruptible_futex_wait
	.globl litebox_futex_wait_window_start
	.hidden litebox_futex_wait_window_start
	.globl litebox_futex_wait_syscall
	.hidden litebox_futex_wait_syscall
	.globl litebox_futex_wait_interrupted
	.hidden litebox_futex_wait_interrupted
	.type litebox_interruptible_futex_wait, @function
litebox_interruptible_futex_wait:
	.cfi_startproc
	mov %rcx, %r10
	mov $LB_NR_FUTEX, %eax
litebox_futex_wait_window_start:
	cmpl $0, (%r8)
	jne litebox_futex_wait_interrupted
litebox_futex_wait_syscall:
	syscall
	ret
litebox_futex_wait_interrupted:
	mov $-4, %rax	/* -EINTR */
	ret
	.cfi_endproc
	.size litebox_interruptible_futex_wait, . - litebox_interruptible_futex_wait

	.section .note.GNU-stack, "", @progbits
