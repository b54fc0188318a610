/* File I/O: open, read, write, lseek, pread, pwrite, readv, writev and the
 * O_APPEND, O_TRUNC and O_EXCL open flags. */
#include "abi.h"

#include <fcntl.h>
#include <sys/uio.h>

static void print_contents(const char* path) {
  char buffer[128] = {0};
  int descriptor = open(path, O_RDONLY);
  ssize_t count = read(descriptor, buffer, sizeof buffer - 1);
  close(descriptor);
  printf("contents of %s (%zd bytes): \"%s\"\n", path, count, buffer);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  char buffer[64];

  int descriptor = CALL(open("data", O_CREAT | O_RDWR, 0644));
  CALL(write(descriptor, "hello world", 11));
  CALL(lseek(descriptor, 0, SEEK_CUR));
  CALL(lseek(descriptor, 6, SEEK_SET));
  memset(buffer, 0, sizeof buffer);
  CALL(read(descriptor, buffer, sizeof buffer));
  printf("read: \"%s\"\n", buffer);
  CALL(read(descriptor, buffer, sizeof buffer));
  CALL(lseek(descriptor, -5, SEEK_END));
  CALL(lseek(descriptor, 100, SEEK_END));
  CALL(lseek(descriptor, -1, SEEK_SET));
  CALL(lseek(descriptor, 0, 42));

  memset(buffer, 0, sizeof buffer);
  CALL(pread(descriptor, buffer, 5, 0));
  printf("pread: \"%s\"\n", buffer);
  CALL(pwrite(descriptor, "HELLO", 5, 0));
  CALL(lseek(descriptor, 0, SEEK_CUR));
  CALL(pread(descriptor, buffer, 5, -1));
  CALL(close(descriptor));
  print_contents("data");

  /* Writing past the end leaves a hole that reads as zeros. */
  descriptor = CALL(open("data", O_RDWR));
  CALL(pwrite(descriptor, "!", 1, 20));
  memset(buffer, 'x', sizeof buffer);
  CALL(pread(descriptor, buffer, sizeof buffer, 0));
  int zeros = 0;
  for (int index = 11; index < 20; ++index) {
    zeros += buffer[index] == 0;
  }
  printf("zero bytes in the hole: %d\n", zeros);
  CALL(ftruncate(descriptor, 11));
  CALL(close(descriptor));

  /* O_APPEND writes at the end whatever the offset. */
  descriptor = CALL(open("data", O_WRONLY | O_APPEND));
  CALL(lseek(descriptor, 0, SEEK_SET));
  CALL(write(descriptor, "!!", 2));
  CALL(lseek(descriptor, 0, SEEK_CUR));
  CALL(close(descriptor));
  print_contents("data");

  /* O_TRUNC empties the file. */
  descriptor = CALL(open("data", O_WRONLY | O_TRUNC));
  CALL(write(descriptor, "short", 5));
  CALL(close(descriptor));
  print_contents("data");

  /* O_EXCL fails on an existing file. */
  CALL(open("data", O_CREAT | O_EXCL | O_WRONLY, 0644));
  descriptor = CALL(open("fresh", O_CREAT | O_EXCL | O_WRONLY, 0600));
  CALL(close(descriptor));

  /* writev and readv gather and scatter in order. */
  descriptor = CALL(open("vectors", O_CREAT | O_RDWR | O_TRUNC, 0644));
  struct iovec out[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
  CALL(writev(descriptor, out, 3));
  CALL(lseek(descriptor, 0, SEEK_SET));
  char first[4] = {0};
  char second[8] = {0};
  struct iovec in[2] = {{first, 3}, {second, 7}};
  CALL(readv(descriptor, in, 2));
  printf("readv: \"%s\" \"%s\"\n", first, second);
  CALL(close(descriptor));

  /* Reading and writing with the wrong access mode. */
  descriptor = CALL(open("vectors", O_RDONLY));
  CALL(write(descriptor, "x", 1));
  CALL(close(descriptor));
  descriptor = CALL(open("vectors", O_WRONLY));
  CALL(read(descriptor, buffer, 1));
  CALL(close(descriptor));

  CALL(unlink("data"));
  CALL(unlink("fresh"));
  CALL(unlink("vectors"));
  CALL(chdir("/"));
  CALL(rmdir(argv[1]));
  return 0;
}
