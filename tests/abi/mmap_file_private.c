/* Private mappings of a file in the read-only layer of the sandbox root: the
 * program's own executable. They show the file's bytes, keep stores to
 * themselves (also across fork), read the file again after MADV_DONTNEED,
 * and read zeros past the end of the file in its last page. */
#include "abi.h"

#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

/* Returns whether the `length` mapped bytes at `memory` equal the file's
 * bytes at `offset`. */
static int same_as_file(int descriptor, const char* memory, size_t length, off_t offset) {
  char* buffer = malloc(length);
  int same = pread(descriptor, buffer, length, offset) == (ssize_t)length &&
             memcmp(buffer, memory, length) == 0;
  free(buffer);
  return same;
}

int main(int argc, char** argv) {
  const char* program = argv[0];
  abi_enter_scratch_directory(argc, argv);
  long page = sysconf(_SC_PAGESIZE);

  int descriptor = open(program, O_RDONLY);
  FACT("the program opens read-only", descriptor >= 0);
  struct stat status;
  CALL(fstat(descriptor, &status));
  FACT("the program is longer than three pages", status.st_size > 3 * page);

  char* text = mmap(NULL, 3 * page, PROT_READ | PROT_EXEC, MAP_PRIVATE, descriptor, 0);
  FACT("an executable mapping succeeds", text != MAP_FAILED);
  FACT("it shows the file", same_as_file(descriptor, text, 3 * page, 0));
  FACT("it starts with the ELF magic", memcmp(text, "\177ELF", 4) == 0);

  char* data = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, page);
  FACT("a writable mapping at an offset succeeds", data != MAP_FAILED);
  FACT("it shows the file from the offset", same_as_file(descriptor, data, 2 * page, page));
  char original = data[0];
  data[0] = (char)(original + 1);
  data[page] = 'x';
  FACT("a store shows in the mapping", data[0] == (char)(original + 1));
  FACT("the store stays out of the file", same_as_file(descriptor, text + page, 1, page));
  FACT("the store stays out of the other mapping", text[page] == original);

  pid_t child = fork();
  if (child == 0) {
    data[0] = 'c';
    _exit(data[page] == 'x' ? 0 : 1);
  }
  int wait_status = 0;
  FACT("waitpid returns the child", waitpid(child, &wait_status, 0) == child);
  FACT("the child saw the parent's store", WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0);
  FACT("the child's store stays in the child", data[0] == (char)(original + 1));

  CALL(madvise(data, page, MADV_DONTNEED));
  FACT("MADV_DONTNEED brings back the file's byte", data[0] == original);
  FACT("the next page keeps its store", data[page] == 'x');

  CALL(mprotect(data, 2 * page, PROT_READ));
  FACT("still readable after PROT_READ", data[0] == original);

  off_t last_page = (status.st_size - 1) / page * page;
  size_t tail = (size_t)(status.st_size - last_page);
  char* end = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, descriptor, last_page);
  FACT("a mapping of the last page succeeds", end != MAP_FAILED);
  FACT("it shows the file's last bytes", same_as_file(descriptor, end, tail, last_page));
  int zeros = 1;
  for (size_t index = tail; index < (size_t)page; ++index) {
    zeros &= end[index] == 0;
  }
  FACT("bytes past the end of the file read as zeros", zeros);

  CALL(munmap(text, 3 * page));
  CALL(munmap(data, 2 * page));
  CALL(munmap(end, (size_t)page));
  CALL(close(descriptor));
  return 0;
}
