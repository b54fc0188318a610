// Raw host system calls for code that must not touch thread-local storage:
// signal handlers that may run while the guest's fs base is live, and the
// thread setup that runs before errno is meaningful. They return the
// kernel's result (a negative errno on failure) and never set errno.
#pragma once

#include <cstdint>

namespace litebox::platform::linux_userland {

// Safety: the syscall instruction clobbers only rax, rcx, r11 and memory that
// the arguments point to, which is what each clobber list states.
inline int64_t raw_syscall(int64_t number, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                           uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0) {
  int64_t result;
  register uint64_t r10 asm("r10") = a3;
  register uint64_t r8 asm("r8") = a4;
  register uint64_t r9 asm("r9") = a5;
  asm volatile("syscall"
               : "=a"(result)
               : "a"(number), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return result;
}

}  // namespace litebox::platform::linux_userland
