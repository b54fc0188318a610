/* Shared mappings of large sparse files: a 64 GiB memfd, a 64 GiB file
 * under /dev/shm and a 64 GiB file in the scratch directory, each made by
 * ftruncate and mapped whole. Only the pages the program touches may take
 * host memory, so the mappings work on hosts with less memory than that.
 * Stores through the mapping show in pread, pwrite shows in the mapping,
 * and a forked child's stores show in the parent. */
#include "abi.h"

#include <stdint.h>
#include <sys/mman.h>

#define GIB (UINT64_C(1) << 30)
#define FILE_SIZE (64 * GIB)

/* The offsets the program touches: the first and last byte, page and
 * 1 GiB boundaries, and bytes in the middle of the file. */
static const uint64_t touched[] = {0,       4095,           4096,     GIB - 1,
                                   GIB + 5, 17 * GIB + 123, 32 * GIB, FILE_SIZE - 1};
#define TOUCHED_COUNT (sizeof touched / sizeof touched[0])

static void check_file(const char* label, int fd) {
  printf("%s:\n", label);
  CALL(ftruncate(fd, (off_t)FILE_SIZE));
  char* base = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    printf("mmap of 64 GiB failed: %s\n", strerrorname_np(errno));
    return;
  }

  for (size_t i = 0; i < TOUCHED_COUNT; ++i) {
    base[touched[i]] = (char)('a' + i);
  }
  for (size_t i = 0; i < TOUCHED_COUNT; ++i) {
    char byte = 0;
    ssize_t count = pread(fd, &byte, 1, (off_t)touched[i]);
    printf("pread at %llu -> %zd '%c'\n", (unsigned long long)touched[i], count, byte);
  }

  const uint64_t written = 40 * GIB + 7;
  CALL(pwrite(fd, "xyz", 3, (off_t)written));
  printf("mapping at %llu: %.3s\n", (unsigned long long)written, base + written);
  FACT("untouched byte in the middle reads zero", base[48 * GIB] == 0);

  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    base[48 * GIB] = 'c';
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child exited %d, parent sees '%c'\n", WEXITSTATUS(status), base[48 * GIB]);

  CALL(munmap(base, FILE_SIZE));
  struct stat file_status;
  CALL(fstat(fd, &file_status));
  printf("size %lld\n", (long long)file_status.st_size);
  char byte = 0;
  CALL(pread(fd, &byte, 1, (off_t)(48 * GIB)));
  printf("byte the child stored: '%c'\n", byte);
  close(fd);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);

  check_file("memfd", memfd_create("sparse", 0));

  char path[256];
  int shm = abi_create_shm_file(path, sizeof path, "litebox-sparse", argv[1]);
  unlink(path);
  check_file("/dev/shm file", shm);

  unlink("sparse-file");
  int fd = open("sparse-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    printf("open failed: %s\n", strerrorname_np(errno));
    return 1;
  }
  unlink("sparse-file");
  check_file("scratch file", fd);
  return 0;
}
