/* MAP_SHARED mappings: anonymous memory and /dev/zero shared with a forked
 * child, file mappings whose stores reach the file and whose pages show
 * write(2), several mappings of one file, msync, mremap of shared ranges,
 * and a file extended under its mapping. No access faults: every byte
 * touched lies inside the file and is mapped with the needed protection. */
#include "abi.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define MAP_CALL(expression) (errno = 0, map_report(#expression, (expression)))

static long page;

static void* map_report(const char* label, void* result) {
  if (result == MAP_FAILED) {
    printf("%s -> MAP_FAILED %s\n", label, strerrorname_np(errno));
  } else {
    printf("%s -> %s\n", label,
           ((uintptr_t)result & 4095) == 0 ? "page-aligned address" : "unaligned address");
  }
  return result;
}

/* Runs `body` in a forked child and prints how the child ended. */
static void run_child(const char* label, int (*body)(char* memory), char* memory) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    _exit(body(memory));
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    printf("%s: waitpid failed: %s\n", label, strerrorname_np(errno));
    return;
  }
  printf("%s: child exited with %d\n", label, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* The child checks the parent's store, then stores its own. */
static int store_in_child(char* memory) {
  int saw_parent = memory[0] == 'p';
  memory[1] = 'c';
  memory[page] = 'C';
  return saw_parent ? 0 : 1;
}

/* As store_in_child, within the first page only. */
static int store_in_first_page(char* memory) {
  int saw_parent = memory[0] == 'p';
  memory[1] = 'c';
  return saw_parent ? 0 : 1;
}

/* Prints the file's first `count` bytes as read(2) returns them. */
static void print_file(const char* label, int descriptor, size_t count) {
  char buffer[64] = {0};
  long got = pread(descriptor, buffer, count < sizeof buffer ? count : sizeof buffer - 1, 0);
  printf("%s: %ld bytes \"%.*s\"\n", label, got, got > 0 ? (int)got : 0, buffer);
}

static void anonymous_memory(void) {
  printf("-- anonymous\n");
  char* shared =
      MAP_CALL(mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  char* private_copy =
      MAP_CALL(mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  FACT("shared anonymous memory starts zeroed", shared[0] == 0 && shared[2 * page - 1] == 0);
  shared[0] = 'p';
  private_copy[0] = 'p';
  run_child("shared", store_in_child, shared);
  printf("parent sees the child's stores: %c %c\n", shared[1], shared[page]);
  run_child("private", store_in_child, private_copy);
  printf("private memory keeps the parent's bytes: %d %d\n", private_copy[1], private_copy[page]);

  CALL(mprotect(shared, page, PROT_READ));
  printf("readable after PROT_READ: %c\n", shared[1]);
  CALL(mprotect(shared, page, PROT_READ | PROT_WRITE));
  shared[2] = 'w';
  CALL(madvise(shared, 2 * page, MADV_DONTNEED));
  printf("shared pages keep their data after MADV_DONTNEED: %c %c %c\n", shared[0], shared[2],
         shared[page]);

  char* alias = MAP_CALL(mremap(shared, 0, 2 * page, MREMAP_MAYMOVE));
  alias[3] = 'a';
  printf("mremap with old size 0 maps the same pages: %c %c\n", alias[0], shared[3]);
  MAP_CALL(mremap(private_copy, 0, page, MREMAP_MAYMOVE));
  MAP_CALL(mremap(shared, 0, page, 0));
  char* moved =
      MAP_CALL(mremap(shared, 2 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED, private_copy));
  moved[4] = 'm';
  printf("a moved shared range keeps its pages: %c %c\n", moved[0], alias[4]);
  run_child("moved", store_in_child, moved);
  printf("the other mapping sees the child's stores: %c %c\n", alias[1], alias[page]);
  CALL(munmap(alias, 2 * page));
  CALL(munmap(moved, 2 * page));

  int zero = CALL(open("/dev/zero", O_RDWR));
  char* device = MAP_CALL(mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, zero, 0));
  device[0] = 'p';
  run_child("/dev/zero", store_in_child, device);
  printf("/dev/zero mapping is shared: %c %c\n", device[1], device[page]);
  CALL(munmap(device, 2 * page));
  CALL(close(zero));
}

static void file_mappings(void) {
  printf("-- file\n");
  int descriptor = CALL(open("file", O_CREAT | O_RDWR | O_TRUNC, 0644));
  CALL(write(descriptor, "0123456789", 10));
  char* first =
      MAP_CALL(mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0));
  printf("mapping shows the file: %.10s\n", first);

  memcpy(first, "AB", 2);
  print_file("read(2) after a store through the mapping", descriptor, 10);
  CALL(pwrite(descriptor, "xy", 2, 4));
  printf("mapping after pwrite(2): %.10s\n", first);

  char* second =
      MAP_CALL(mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0));
  second[6] = 'S';
  printf("two mappings of one file: %c %c\n", first[6], second[0]);
  char* copy =
      MAP_CALL(mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0));
  copy[7] = 'P';
  printf("a private mapping keeps its stores: %c %c\n", first[7], copy[7]);
  CALL(munmap(copy, (size_t)page));

  first[0] = 'p';
  run_child("file", store_in_first_page, first);
  printf("parent mapping after the child's store: %c\n", second[1]);
  print_file("read(2) after the child's store", descriptor, 10);

  CALL(msync(first, (size_t)page, MS_SYNC));
  CALL(msync(first, (size_t)page, MS_ASYNC));
  CALL(msync(first, (size_t)page, MS_INVALIDATE));
  CALL(msync(first, (size_t)page, MS_SYNC | MS_ASYNC));
  CALL(msync(first + 1, (size_t)page, MS_SYNC));
  printf("mapping after MS_INVALIDATE: %.10s\n", first);

  CALL(munmap(first, (size_t)page));
  CALL(munmap(second, (size_t)page));
  CALL(msync(first, (size_t)page, MS_SYNC));
  CALL(close(descriptor));
  descriptor = CALL(open("file", O_RDONLY));
  print_file("reopened after munmap", descriptor, 10);

  char* read_only = MAP_CALL(mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, descriptor, 0));
  MAP_CALL(mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0));
  CALL(mprotect(read_only, (size_t)page, PROT_READ | PROT_WRITE));
  CALL(mprotect(read_only, (size_t)page, PROT_NONE));
  CALL(mprotect(read_only, (size_t)page, PROT_READ));
  printf("read-only shared mapping: %.10s\n", read_only);
  CALL(munmap(read_only, (size_t)page));
  CALL(close(descriptor));
  CALL(unlink("file"));
}

static void extended_file(void) {
  printf("-- extension\n");
  struct stat status;
  int descriptor = CALL(open("grown", O_CREAT | O_RDWR | O_TRUNC, 0644));
  CALL(ftruncate(descriptor, 2 * page));
  char* mapping = MAP_CALL(mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0));
  memcpy(mapping + page, "second", 6);
  char buffer[8] = {0};
  CALL(pread(descriptor, buffer, 6, page));
  printf("read(2) of the second page: %.6s\n", buffer);
  CALL(fstat(descriptor, &status));
  printf("size after stores: %lld\n", (long long)status.st_size);

  CALL(ftruncate(descriptor, 3 * page));
  memcpy(mapping + 2 * page, "third", 5);
  CALL(pread(descriptor, buffer, 5, 2 * page));
  printf("read(2) of the page the file grew into: %.5s\n", buffer);
  CALL(pwrite(descriptor, "tail", 4, 3 * page - 4));
  printf("mapping shows the end of the file: %.4s\n", mapping + 3 * page - 4);

  CALL(ftruncate(descriptor, page + 3));
  printf("bytes past the new end read as zero: %d %d\n", mapping[page + 3], mapping[page + 5]);
  printf("bytes before it stay: %.3s\n", mapping + page);
  CALL(fstat(descriptor, &status));
  printf("size after truncation: %lld\n", (long long)status.st_size);
  CALL(munmap(mapping, 3 * page));
  CALL(close(descriptor));
  CALL(unlink("grown"));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  page = sysconf(_SC_PAGESIZE);
  anonymous_memory();
  file_mappings();
  extended_file();
  CALL(chdir("/"));
  CALL(rmdir(argv[1]));
  return 0;
}
