/* socketpair(AF_UNIX, SOCK_STREAM): data both ways, poll readiness,
 * shutdown of each direction, close of the peer, the socket options and
 * names a Unix stream socket reports, send and receive flags, and the
 * errors of bad arguments. */
#include "abi.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

static void report_poll(const char* label, int fd) {
  struct pollfd request = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
  poll(&request, 1, 0);
  printf("%s: %#x\n", label, request.revents);
}

static void report_receive(int fd, int flags) {
  char buffer[64] = {0};
  long count = CALL(recv(fd, buffer, sizeof buffer - 1, flags));
  if (count > 0) {
    printf("  received: %s\n", buffer);
  }
}

static void report_int_option(int fd, int option, const char* label) {
  int value = -1;
  socklen_t length = sizeof value;
  errno = 0;
  long result = getsockopt(fd, SOL_SOCKET, option, &value, &length);
  abi_report(label, result);
  if (result == 0) {
    printf("  value %d, length %u\n", value, length);
  }
}

static void check_pair_creation(void) {
  int fds[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 7, fds));
  CALL(socketpair(AF_UNIX, 7, 0, fds));
  CALL(socketpair(AF_UNIX, 12, 0, fds));
  CALL(socketpair(AF_UNIX, SOCK_STREAM | 0x100000, 0, fds));
  CALL(socketpair(AF_INET, SOCK_STREAM, 0, fds));
  CALL(socketpair(-1, SOCK_STREAM, 0, fds));
  CALL(socketpair(4242, SOCK_STREAM, 0, fds));
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, NULL));
  CALL(shutdown(0x7fff, SHUT_RD));
}

static void check_data_and_shutdown(void) {
  int fds[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, AF_UNIX, fds));
  CALL(fcntl(fds[0], F_GETFD));
  CALL(fcntl(fds[1], F_GETFL) & (O_ACCMODE | O_NONBLOCK));

  struct stat status;
  CALL(fstat(fds[0], &status));
  FACT("S_ISSOCK", S_ISSOCK(status.st_mode));
  printf("permissions: %o\n", (unsigned)(status.st_mode & 07777));

  report_poll("poll empty", fds[0]);
  report_receive(fds[0], 0);
  CALL(write(fds[0], "ping", 4));
  CALL(write(fds[1], "pong!", 5));
  report_poll("poll with data", fds[1]);
  report_receive(fds[1], MSG_PEEK);
  report_receive(fds[1], 0);
  report_receive(fds[0], MSG_DONTWAIT);
  CALL(send(fds[0], "", 0, 0));

  struct iovec parts[2] = {{.iov_base = "gather", .iov_len = 6}, {.iov_base = "ed", .iov_len = 2}};
  struct msghdr message = {.msg_iov = parts, .msg_iovlen = 2};
  CALL(sendmsg(fds[0], &message, 0));
  char first[3] = {0};
  char second[16] = {0};
  struct iovec scatter[2] = {{.iov_base = first, .iov_len = 2},
                             {.iov_base = second, .iov_len = 15}};
  struct sockaddr_un name;
  struct msghdr incoming = {
      .msg_name = &name, .msg_namelen = sizeof name, .msg_iov = scatter, .msg_iovlen = 2};
  CALL(recvmsg(fds[1], &incoming, 0));
  printf("  scattered: %s|%s, name length %u, flags %#x\n", first, second, incoming.msg_namelen,
         (unsigned)incoming.msg_flags);

  CALL(sendto(fds[1], "to", 2, MSG_NOSIGNAL, NULL, 0));
  socklen_t name_length = sizeof name;
  char buffer[8] = {0};
  CALL(recvfrom(fds[0], buffer, sizeof buffer, 0, (struct sockaddr*)&name, &name_length));
  printf("  from: %s, name length %u\n", buffer, name_length);
  CALL(sendto(fds[1], "to", 2, 0, (struct sockaddr*)&name, sizeof name));

  CALL(shutdown(fds[0], 3));
  CALL(shutdown(fds[0], SHUT_WR));
  report_poll("poll of the shut-down writer", fds[0]);
  report_poll("poll of its peer", fds[1]);
  report_receive(fds[1], 0);
  CALL(send(fds[0], "late", 4, MSG_NOSIGNAL));
  CALL(send(fds[0], "", 0, MSG_NOSIGNAL));
  CALL(write(fds[1], "reply", 5));
  report_receive(fds[0], 0);
  CALL(shutdown(fds[1], SHUT_RD));
  report_poll("poll after both directions", fds[1]);

  CALL(close(fds[0]));
  CALL(close(fds[1]));
}

static void check_close(void) {
  int fds[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
  CALL(write(fds[0], "unread", 6));
  CALL(write(fds[1], "left", 4));
  CALL(close(fds[1]));
  report_poll("poll after the peer closed with unread data", fds[0]);
  report_receive(fds[0], 0);
  report_receive(fds[0], 0);
  report_receive(fds[0], 0);
  CALL(write(fds[0], "x", 1));
  CALL(close(fds[0]));

  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
  CALL(close(fds[1]));
  report_poll("poll after the peer closed", fds[0]);
  report_int_option(fds[0], SO_ERROR, "SO_ERROR");
  report_receive(fds[0], 0);
  CALL(close(fds[0]));
}

static void check_options(void) {
  int fds[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
  report_int_option(fds[0], SO_TYPE, "SO_TYPE");
  report_int_option(fds[0], SO_DOMAIN, "SO_DOMAIN");
  report_int_option(fds[0], SO_PROTOCOL, "SO_PROTOCOL");
  report_int_option(fds[0], SO_ACCEPTCONN, "SO_ACCEPTCONN");
  report_int_option(fds[0], SO_ERROR, "SO_ERROR");
  report_int_option(fds[0], SO_SNDBUF, "SO_SNDBUF");
  report_int_option(fds[0], SO_RCVBUF, "SO_RCVBUF");

  int size = 10000;
  CALL(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size));
  report_int_option(fds[0], SO_SNDBUF, "SO_SNDBUF after setting 10000");
  size = 1;
  CALL(setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &size, sizeof size));
  report_int_option(fds[0], SO_RCVBUF, "SO_RCVBUF after setting 1");
  CALL(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, 2));

  struct ucred peer;
  socklen_t length = sizeof peer;
  CALL(getsockopt(fds[0], SOL_SOCKET, SO_PEERCRED, &peer, &length));
  FACT("peer pid is ours", peer.pid == getpid());
  FACT("peer uid is ours", peer.uid == geteuid());
  printf("  length %u\n", length);

  short small = 0;
  length = sizeof small;
  CALL(getsockopt(fds[0], SOL_SOCKET, SO_TYPE, &small, &length));
  printf("  value %d, length %u\n", small, length);
  length = (socklen_t)-1;
  CALL(getsockopt(fds[0], SOL_SOCKET, SO_TYPE, &size, &length));

  struct sockaddr_un name;
  memset(&name, 0x55, sizeof name);
  length = sizeof name;
  CALL(getsockname(fds[0], (struct sockaddr*)&name, &length));
  printf("  family %d, length %u\n", name.sun_family, length);
  length = sizeof name;
  CALL(getpeername(fds[1], (struct sockaddr*)&name, &length));
  printf("  family %d, length %u\n", name.sun_family, length);
  length = 1;
  CALL(getsockname(fds[0], (struct sockaddr*)&name, &length));
  printf("  length %u\n", length);

  CALL(getsockname(0x7fff, (struct sockaddr*)&name, &length));
  int pipe_fds[2];
  CALL(pipe(pipe_fds));
  CALL(getsockname(pipe_fds[0], (struct sockaddr*)&name, &length));
  CALL(shutdown(pipe_fds[0], SHUT_RD));
  CALL(send(pipe_fds[1], "x", 1, 0));
  CALL(close(pipe_fds[0]));
  CALL(close(pipe_fds[1]));
  CALL(close(fds[0]));
  CALL(close(fds[1]));
}

static void check_full_buffer(void) {
  int fds[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
  CALL(fcntl(fds[0], F_SETFL, O_NONBLOCK));
  static char block[4096];
  long total = 0;
  for (int i = 0; i < 1000; ++i) {
    long count = send(fds[0], block, sizeof block, 0);
    if (count < 0) {
      printf("send when full -> %s\n", strerrorname_np(errno));
      break;
    }
    total += count;
  }
  FACT("some data queued", total > 0);
  struct pollfd request = {.fd = fds[0], .events = POLLOUT};
  CALL(poll(&request, 1, 0));

  long drained = 0;
  while (drained < total) {
    long count = recv(fds[1], block, sizeof block, MSG_DONTWAIT);
    if (count <= 0) {
      break;
    }
    drained += count;
  }
  FACT("everything queued was received", drained == total);
  CALL(poll(&request, 1, 0));
  CALL(close(fds[0]));
  CALL(close(fds[1]));
}

/* A child process sends more than the send buffer holds in one blocking
 * send; the parent receives it all with one MSG_WAITALL recv. */
static void check_blocking_across_fork(void) {
  enum { total = 600000 };
  int fds[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    static unsigned char data[total];
    for (int i = 0; i < total; ++i) {
      data[i] = (unsigned char)(i * 7);
    }
    long sent = send(fds[1], data, sizeof data, 0);
    _exit(sent == total ? 0 : 1);
  }
  CALL(close(fds[1]));

  static unsigned char received[total];
  long count = CALL(recv(fds[0], received, sizeof received, MSG_WAITALL));
  int intact = count == total;
  for (int i = 0; intact && i < total; ++i) {
    intact = received[i] == (unsigned char)(i * 7);
  }
  FACT("all bytes in order", intact);
  int status = 0;
  CALL(waitpid(child, &status, 0) == child);
  printf("child exit status: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  report_receive(fds[0], 0);
  CALL(close(fds[0]));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  check_pair_creation();
  check_data_and_shutdown();
  check_close();
  check_options();
  check_full_buffer();
  check_blocking_across_fork();
  return 0;
}
