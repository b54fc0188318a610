/* The image start-up benchmark's program: its first instruction begins
 * exit_group(0), so timing a run from spawn to exit bounds from above the
 * time until the guest's first instruction. No libc, no stack use. */
  .text
  .globl _start
_start:
  mov $231, %eax /* exit_group on x86-64 */
  xor %edi, %edi
  syscall
  ud2

  .section .note.GNU-stack, "", @progbits
