/* RLIMIT_NOFILE against every call that makes descriptors. Once the
 * lowest free number reaches the limit, open, pipe, dup, socket, eventfd
 * and memfd_create fail with EMFILE. dup2 and F_DUPFD to a number at or
 * past the limit fail with EBADF and EINVAL. A pipe or socketpair with one
 * free number still fails. Lowering the limit below open descriptors keeps
 * them but caps new ones. */
#include "abi.h"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);

  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = 10;
  CALL(setrlimit(RLIMIT_NOFILE, &limit));

  int last = -1;
  int fd;
  while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
    last = fd;
  }
  printf("open stops after descriptor %d: %s\n", last, strerrorname_np(errno));

  int ends[2];
  CALL(pipe(ends));
  CALL(dup(0));
  CALL(dup2(0, 20));
  CALL(fcntl(0, F_DUPFD, 20));
  CALL(socket(AF_UNIX, SOCK_STREAM, 0));
  CALL(eventfd(0, 0));
  CALL(memfd_create("descriptor-limit", 0));

  close(last);
  CALL(pipe(ends));
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, ends));
  CALL(dup(0));
  CALL(dup(0));

  limit.rlim_cur = 5;
  CALL(setrlimit(RLIMIT_NOFILE, &limit));
  CALL(fcntl(8, F_GETFD));
  CALL(dup(0));
  close(3);
  CALL(open("/dev/null", O_RDONLY));
  CALL(open("/dev/null", O_RDONLY));
  return 0;
}
