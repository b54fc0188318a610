/* System calls from code that LiteBox must not rewrite: a private mapping
 * that stays writable and a shared mapping of a memfd. Each site has the
 * rewritable form, mov $39, %eax; syscall (getpid), and traps many times.
 * The calls must keep returning the process id, and the process must not
 * gain executable memory while they do. */
#include "abi.h"

#include <stdint.h>
#include <sys/mman.h>

enum { calls = 100000 };

/* mov $39, %eax; syscall; ret */
static const unsigned char getpid_code[] = {0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3};

/* Counts the bytes of anonymous executable mappings, the ones that an
 * executable file, the stack or the vDSO do not back. */
static long anonymous_code_bytes(void) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) {
    return -1;
  }
  long total = 0;
  char line[512];
  while (fgets(line, sizeof(line), maps) != NULL) {
    unsigned long start = 0;
    unsigned long end = 0;
    char permissions[8] = "";
    unsigned long offset = 0;
    char device[16] = "";
    unsigned long inode = 0;
    int fields = sscanf(line, "%lx-%lx %7s %lx %15s %lu", &start, &end, permissions, &offset,
                        device, &inode);
    if (fields == 6 && inode == 0 && permissions[2] == 'x' && strchr(line, '[') == NULL) {
      total += (long)(end - start);
    }
  }
  fclose(maps);
  return total;
}

/* Calls the getpid code at `code` many times and reports the results and
 * how much anonymous executable memory appeared meanwhile. */
static void call_repeatedly(const char* label, const unsigned char* code, pid_t process_id) {
  long (*call)(void) = (long (*)(void))(uintptr_t)code;
  const long before = anonymous_code_bytes();
  long wrong = 0;
  for (int i = 0; i < calls; i++) {
    wrong += call() != process_id;
  }
  const long growth = anonymous_code_bytes() - before;
  printf("%s: every call returned the process id: %s\n", label, wrong == 0 ? "yes" : "no");
  /* LiteBox may map one trampoline page for other code, but 100000 calls from
   * one site must not map more. */
  printf("%s: executable memory grew by less than 64 KiB: %s\n", label,
         growth < 64 * 1024 ? "yes" : "no");
}

int main(void) {
  const pid_t process_id = getpid();

  unsigned char* writable =
      mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (writable == MAP_FAILED) {
    printf("mmap of writable code failed: %s\n", strerrorname_np(errno));
    return 1;
  }
  memcpy(writable + 16, getpid_code, sizeof(getpid_code));
  call_repeatedly("writable private code", writable + 16, process_id);

  int file = memfd_create("code", 0);
  if (file < 0 || ftruncate(file, 4096) != 0) {
    printf("memfd setup failed: %s\n", strerrorname_np(errno));
    return 1;
  }
  if (pwrite(file, getpid_code, sizeof(getpid_code), 16) != (ssize_t)sizeof(getpid_code)) {
    printf("pwrite failed: %s\n", strerrorname_np(errno));
    return 1;
  }
  unsigned char* shared = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, file, 0);
  if (shared == MAP_FAILED) {
    printf("mmap of shared code failed: %s\n", strerrorname_np(errno));
    return 1;
  }
  call_repeatedly("shared code", shared + 16, process_id);

  unsigned char bytes[sizeof(getpid_code)];
  CALL(pread(file, bytes, sizeof(bytes), 16));
  FACT("the memfd still holds the original code", memcmp(bytes, getpid_code, sizeof(bytes)) == 0);
  return 0;
}
