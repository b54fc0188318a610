/* dup, dup2, dup3 and fcntl: descriptor numbering, the shared file offset
 * and status flags of duplicates, and the close-on-exec flag. */
#include "abi.h"

#include <fcntl.h>

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  char buffer[8] = {0};

  int descriptor = CALL(open("file", O_CREAT | O_RDWR | O_TRUNC, 0644));
  CALL(write(descriptor, "abcdef", 6));
  CALL(lseek(descriptor, 0, SEEK_SET));

  int copy = CALL(dup(descriptor));
  CALL(read(copy, buffer, 2));
  CALL(lseek(descriptor, 0, SEEK_CUR));
  printf("read through the duplicate: \"%s\"\n", buffer);

  CALL(dup2(descriptor, 10));
  CALL(dup2(descriptor, descriptor));
  CALL(dup2(descriptor, -1));
  CALL(dup3(descriptor, 11, O_CLOEXEC));
  CALL(fcntl(11, F_GETFD));
  CALL(fcntl(10, F_GETFD));
  CALL(dup3(descriptor, 12, O_APPEND));

  CALL(fcntl(descriptor, F_DUPFD, 20));
  CALL(fcntl(descriptor, F_DUPFD, 20));
  CALL(fcntl(descriptor, F_DUPFD_CLOEXEC, 0));
  CALL(fcntl(descriptor, F_DUPFD, -1));

  CALL(fcntl(descriptor, F_SETFD, FD_CLOEXEC));
  CALL(fcntl(descriptor, F_GETFD));
  CALL(fcntl(copy, F_GETFD));
  CALL(fcntl(descriptor, F_SETFD, 0));

  CALL(fcntl(descriptor, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  CALL(fcntl(copy, F_SETFL, O_APPEND | O_NONBLOCK));
  CALL(fcntl(descriptor, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  CALL(fcntl(copy, F_SETFL, O_RDONLY));
  CALL(fcntl(descriptor, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));

  struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  CALL(fcntl(descriptor, F_SETLK, &lock));
  CALL(fcntl(descriptor, F_GETLK, &lock));
  printf("F_GETLK by the owner reports: %s\n", lock.l_type == F_UNLCK ? "unlocked" : "locked");

  CALL(close(copy));
  CALL(read(copy, buffer, 1));
  CALL(lseek(descriptor, 0, SEEK_CUR));
  CALL(close(10));
  CALL(close(11));
  CALL(close(12));
  CALL(close(20));
  CALL(close(21));
  CALL(close(3));
  CALL(close(4));
  CALL(close(5));
  CALL(close(3));
  CALL(unlink("file"));
  CALL(chdir("/"));
  CALL(rmdir(argv[1]));
  return 0;
}
