/* fallocate(2) on tmpfs. A plain allocation grows the file, and one with
 * FALLOC_FL_KEEP_SIZE only adds storage. A punched hole reads as zeros and
 * gives its whole pages back (st_blocks). Then the errors of bad ranges,
 * unsupported modes, read-only descriptors and fifos. The file is under
 * /dev/shm, which is tmpfs natively and in the sandbox. */
#include "abi.h"

#include <linux/falloc.h>

static void report_size(const char* label, int fd) {
  struct stat status;
  fstat(fd, &status);
  printf("%s: size %lld, blocks %lld\n", label, (long long)status.st_size,
         (long long)status.st_blocks);
}

/* Prints whether the bytes [offset, offset + length) are all `value`. */
static void check_bytes(int fd, off_t offset, size_t length, char value) {
  char buffer[16384];
  ssize_t count = pread(fd, buffer, length, offset);
  int same = count == (ssize_t)length;
  for (ssize_t i = 0; same && i < count; ++i) {
    same = buffer[i] == value;
  }
  printf("bytes %lld to %lld are %s: %s\n", (long long)offset, (long long)(offset + length),
         value == 0 ? "zero" : "written", same ? "yes" : "no");
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  char path[256];
  int fd = abi_create_shm_file(path, sizeof path, "litebox-fallocate", argv[1]);

  CALL(write(fd, "0123456789", 10));
  CALL(fallocate(fd, 0, 0, 8192));
  report_size("allocated to 8192", fd);
  CALL(fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192));
  report_size("kept size", fd);
  char tail[4];
  CALL(pread(fd, tail, sizeof tail, 9000));

  char filled[16384];
  memset(filled, 'x', sizeof filled);
  CALL(pwrite(fd, filled, sizeof filled, 0));
  report_size("written", fd);
  CALL(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1000, 10000));
  report_size("punched 1000 to 11000", fd);
  check_bytes(fd, 0, 1000, 'x');
  check_bytes(fd, 1000, 10000, 0);
  check_bytes(fd, 11000, 5384, 'x');
  CALL(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 12000, 100000));
  report_size("punched past the end", fd);

  CALL(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
  CALL(fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 4096));
  CALL(fallocate(fd, 0x80, 0, 4096));
  CALL(fallocate(fd, 0, 0, 0));
  CALL(fallocate(fd, 0, -1, 4096));
  CALL(fallocate(fd, 0, 0x7fffffffffff0000LL, 0x20000));
  close(fd);

  int read_only = open(path, O_RDONLY);
  CALL(fallocate(read_only, 0, 0, 4096));
  close(read_only);
  CALL(unlink(path));

  unlink("fifo");
  mkfifo("fifo", 0600);
  int fifo = open("fifo", O_RDWR);
  CALL(fallocate(fifo, 0, 0, 4096));
  close(fifo);
  unlink("fifo");
  return 0;
}
