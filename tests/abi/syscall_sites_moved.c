/* System calls from code that mremap(2) moves after it ran many times.
 * LiteBox rewrites a site that keeps trapping into a jump to a slot that
 * returns to the site, so moving the code must not leave that jump behind. */
#include "abi.h"

#include <stdint.h>
#include <sys/mman.h>

enum { calls = 50, code_size = 2 * 4096 };

/* mov $39, %eax; syscall; ret */
static const unsigned char getpid_code[] = {0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3};

/* glibc's read(2) wrapper, shortened: xor %eax, %eax; syscall;
 * cmp $-4096, %rax; ja 1f; ret; 1: ret; then padding, two 5-byte NOPs.
 * LiteBox rewrites the xor into a jump into the padding. */
static const unsigned char read_code[] = {0x31, 0xc0, 0x0f, 0x05, 0x48, 0x3d, 0x00, 0xf0,
                                          0xff, 0xff, 0x77, 0x01, 0xc3, 0xc3, 0x0f, 0x1f,
                                          0x44, 0x00, 0x00, 0x0f, 0x1f, 0x44, 0x00, 0x00};
enum { read_offset = 256 };

/* Returns how many of `calls` calls of the getpid code at `code` returned
 * something other than `process_id`. */
static long count_wrong_results(const unsigned char* code, pid_t process_id) {
  long (*call)(void) = (long (*)(void))(uintptr_t)code;
  long wrong = 0;
  for (int i = 0; i < calls; i++) {
    wrong += call() != process_id;
  }
  return wrong;
}

/* Returns how many of `calls` calls of the read code at `code`, reading 8
 * bytes from `zero` (/dev/zero), returned something other than 8. */
static long count_wrong_reads(const unsigned char* code, int zero) {
  long (*call)(int, void*, size_t) = (long (*)(int, void*, size_t))(uintptr_t)code;
  char bytes[8];
  long wrong = 0;
  for (int i = 0; i < calls; i++) {
    wrong += call(zero, bytes, sizeof(bytes)) != (long)sizeof(bytes);
  }
  return wrong;
}

int main(void) {
  const pid_t process_id = getpid();
  unsigned char* code =
      mmap(NULL, code_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) {
    printf("mmap failed: %s\n", strerrorname_np(errno));
    return 1;
  }
  memcpy(code + 16, getpid_code, sizeof(getpid_code));
  memcpy(code + read_offset, read_code, sizeof(read_code));
  CALL(mprotect(code, code_size, PROT_READ | PROT_EXEC));
  const int zero = open("/dev/zero", O_RDONLY);
  CALL(zero);
  FACT("calls before the move returned the process id",
       count_wrong_results(code + 16, process_id) == 0);
  FACT("reads before the move returned 8 bytes", count_wrong_reads(code + read_offset, zero) == 0);

  /* The destination lies inside a reservation, away from the old range. */
  unsigned char* reservation = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (reservation == MAP_FAILED) {
    printf("mmap of the reservation failed: %s\n", strerrorname_np(errno));
    return 1;
  }
  unsigned char* moved =
      mremap(code, code_size, code_size, MREMAP_MAYMOVE | MREMAP_FIXED, reservation + 65536);
  FACT("mremap moved the code", moved == reservation + 65536);
  FACT("the moved code holds the original bytes",
       memcmp(moved + 16, getpid_code, sizeof(getpid_code)) == 0);
  FACT("the moved read code holds the original bytes",
       memcmp(moved + read_offset, read_code, sizeof(read_code)) == 0);
  FACT("calls after the move returned the process id",
       count_wrong_results(moved + 16, process_id) == 0);
  FACT("reads after the move returned 8 bytes", count_wrong_reads(moved + read_offset, zero) == 0);
  return 0;
}
