/* mmap, munmap and mprotect: anonymous and file-backed private mappings,
 * their contents, and the errno of invalid requests. No access faults:
 * every byte touched is mapped with the needed protection. */
#include "abi.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>

#define MAP_CALL(expression) (errno = 0, map_report(#expression, (expression)))

static void* map_report(const char* label, void* result) {
  if (result == MAP_FAILED) {
    printf("%s -> MAP_FAILED %s\n", label, strerrorname_np(errno));
  } else {
    printf("%s -> %s\n", label,
           ((uintptr_t)result & 4095) == 0 ? "page-aligned address" : "unaligned address");
  }
  return result;
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  long page = sysconf(_SC_PAGESIZE);
  printf("page size: %ld\n", page);

  char* anonymous =
      MAP_CALL(mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  int zero = 1;
  for (long index = 0; index < 3 * page; ++index) {
    zero &= anonymous[index] == 0;
  }
  FACT("anonymous memory starts zeroed", zero);
  memset(anonymous, 'a', 3 * page);
  CALL(mprotect(anonymous, page, PROT_READ));
  printf("still readable after PROT_READ: %c\n", anonymous[10]);
  CALL(mprotect(anonymous, page, PROT_READ | PROT_WRITE));
  anonymous[10] = 'b';
  printf("writable again: %c\n", anonymous[10]);
  CALL(mprotect(anonymous + 1, page, PROT_READ));
  CALL(munmap(anonymous + page, page));
  printf("first page after unmapping the middle: %c\n", anonymous[0]);
  printf("last page after unmapping the middle: %c\n", anonymous[2 * page]);
  CALL(munmap(anonymous, 3 * page));
  CALL(munmap(anonymous + 1, page));

  int descriptor = CALL(open("file", O_CREAT | O_RDWR | O_TRUNC, 0644));
  for (int index = 0; index < 3; ++index) {
    char line[32];
    int length = snprintf(line, sizeof line, "line %d of the file\n", index);
    CALL(write(descriptor, line, (size_t)length));
  }
  char* file = MAP_CALL(mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, descriptor, 0));
  printf("mapped file starts with: %.19s", file);
  CALL(munmap(file, (size_t)page));

  char* copy =
      MAP_CALL(mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0));
  copy[0] = 'L';
  char first = 0;
  CALL(pread(descriptor, &first, 1, 0));
  printf("private write stays private: %c %c\n", copy[0], first);
  CALL(munmap(copy, (size_t)page));

  MAP_CALL(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  MAP_CALL(mmap(NULL, (size_t)page, PROT_READ, MAP_ANONYMOUS, -1, 0));
  MAP_CALL(mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, 99, 0));
  MAP_CALL(mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, descriptor, 1));
  MAP_CALL(mmap((void*)1, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  int write_only = CALL(open("file", O_WRONLY));
  MAP_CALL(mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, write_only, 0));
  CALL(close(write_only));
  CALL(munmap(NULL, 0));

  CALL(close(descriptor));
  CALL(unlink("file"));
  CALL(chdir("/"));
  CALL(rmdir(argv[1]));
  return 0;
}
