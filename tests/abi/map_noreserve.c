/* MAP_NORESERVE: private writable mappings far larger than the machine's
 * memory succeed when they do not count against the commit limit, and only
 * the touched pages take memory. Without the flag the host's overcommit
 * policy decides, natively and in the sandbox alike. The range that
 * AddressSanitizer reserves for its shadow memory is free. */
#include "abi.h"

#include <stdint.h>
#include <sys/mman.h>

#define TIB (UINT64_C(1) << 40)
#define HUGE_LENGTH (16 * TIB)

/* AddressSanitizer's shadow memory on x86-64, from the start of its low
 * shadow to the end of its high shadow. */
#define SHADOW_START UINT64_C(0x7fff8000)
#define SHADOW_END UINT64_C(0x10007fff8000)

/* Prints "label -> ok" or the errno name, and returns the mapping or NULL. */
static char* report_map(const char* label, void* address, uint64_t length, int protection,
                        int flags) {
  char* mapped = mmap(address, length, protection, flags, -1, 0);
  if (mapped == MAP_FAILED) {
    printf("%s -> %s\n", label, strerrorname_np(errno));
    return NULL;
  }
  printf("%s -> ok\n", label);
  return mapped;
}

int main(void) {
  const int private_anonymous = MAP_PRIVATE | MAP_ANONYMOUS;

  char* huge = report_map("16 TiB, MAP_NORESERVE", NULL, HUGE_LENGTH, PROT_READ | PROT_WRITE,
                          private_anonymous | MAP_NORESERVE);
  if (huge != NULL) {
    huge[0] = 'a';
    huge[HUGE_LENGTH - 1] = 'z';
    FACT("first and last byte hold their stores", huge[0] == 'a' && huge[HUGE_LENGTH - 1] == 'z');
    FACT("an untouched byte in the middle reads zero", huge[HUGE_LENGTH / 2] == 0);
    CALL(munmap(huge, HUGE_LENGTH));
  }

  char* charged =
      report_map("16 TiB, charged", NULL, HUGE_LENGTH, PROT_READ | PROT_WRITE, private_anonymous);
  if (charged != NULL) {
    CALL(munmap(charged, HUGE_LENGTH));
  }

  /* PROT_NONE is not charged; making it writable is, unless MAP_NORESERVE. */
  char* reserved = report_map("16 TiB, PROT_NONE", NULL, HUGE_LENGTH, PROT_NONE, private_anonymous);
  if (reserved != NULL) {
    CALL(mprotect(reserved, HUGE_LENGTH, PROT_READ | PROT_WRITE));
    CALL(munmap(reserved, HUGE_LENGTH));
  }
  reserved = report_map("16 TiB, PROT_NONE, MAP_NORESERVE", NULL, HUGE_LENGTH, PROT_NONE,
                        private_anonymous | MAP_NORESERVE);
  if (reserved != NULL) {
    CALL(mprotect(reserved, HUGE_LENGTH, PROT_READ | PROT_WRITE));
    reserved[HUGE_LENGTH - 1] = 'z';
    CALL(munmap(reserved, HUGE_LENGTH));
  }

  /* mremap keeps MAP_NORESERVE for the pages it adds. */
  char* small = report_map("1 MiB, MAP_NORESERVE", NULL, 1 << 20, PROT_READ | PROT_WRITE,
                           private_anonymous | MAP_NORESERVE);
  if (small != NULL) {
    small[0] = 'a';
    char* grown = mremap(small, 1 << 20, HUGE_LENGTH, MREMAP_MAYMOVE);
    FACT("mremap to 16 TiB succeeds", grown != MAP_FAILED);
    if (grown != MAP_FAILED) {
      grown[HUGE_LENGTH - 1] = 'z';
      FACT("the grown mapping keeps its first byte", grown[0] == 'a');
      CALL(munmap(grown, HUGE_LENGTH));
    }
  }

  char* shadow = report_map("AddressSanitizer's shadow range, MAP_FIXED_NOREPLACE",
                            (void*)SHADOW_START, SHADOW_END - SHADOW_START, PROT_NONE,
                            private_anonymous | MAP_NORESERVE | MAP_FIXED_NOREPLACE);
  if (shadow != NULL) {
    CALL(munmap(shadow, SHADOW_END - SHADOW_START));
  }
  return 0;
}
