/* Named Unix-domain stream sockets in one process. It covers socket(2),
 * bind to a path, to an abstract name and by autobind, listen, connect,
 * accept and accept4. It prints the names that getsockname and getpeername
 * report, the readiness of a listener, stat of the bound path, and the
 * errors of each call. Abstract names contain the scratch path, so runs of several build
 * trees on one host do not collide. */
#include "abi_socket.h"

#include <ctype.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static const char* scratch_path;

static int make_socket(void) { return socket(AF_UNIX, SOCK_STREAM, 0); }

static void report_poll(const char* label, int fd) {
  struct pollfd request = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
  poll(&request, 1, 0);
  printf("%s: %#x\n", label, request.revents);
}

static void report_flags(int fd) {
  printf("  FD_CLOEXEC %d, O_NONBLOCK %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
         (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
}

/* Prints a socket address whose printable bytes are shown as they are and
 * the others as \xNN; the scratch path in abstract names shows as <scratch>. */
static void print_address(const char* label, const struct sockaddr_un* address, socklen_t length) {
  printf("  %s: length %u", label, length);
  if (length >= sizeof(sa_family_t)) {
    printf(", family %d", address->sun_family);
  }
  printf(", name \"");
  size_t name_length = length > offsetof(struct sockaddr_un, sun_path)
                           ? length - offsetof(struct sockaddr_un, sun_path)
                           : 0;
  if (name_length > sizeof address->sun_path) {
    name_length = sizeof address->sun_path;
  }
  size_t scratch_length = strlen(scratch_path);
  for (size_t i = 0; i < name_length; ++i) {
    const char* rest = address->sun_path + i;
    if (name_length - i >= scratch_length && memcmp(rest, scratch_path, scratch_length) == 0) {
      printf("<scratch>");
      i += scratch_length - 1;
    } else if (isprint((unsigned char)*rest)) {
      putchar(*rest);
    } else {
      printf("\\x%02x", (unsigned char)*rest);
    }
  }
  printf("\"\n");
}

static void report_name(const char* label, int fd) {
  struct sockaddr_un address;
  memset(&address, 0x55, sizeof address);
  socklen_t length = sizeof address;
  if (CALL(getsockname(fd, (struct sockaddr*)&address, &length)) == 0) {
    print_address(label, &address, length);
  }
}

static void report_peer(const char* label, int fd) {
  struct sockaddr_un address;
  memset(&address, 0x55, sizeof address);
  socklen_t length = sizeof address;
  if (CALL(getpeername(fd, (struct sockaddr*)&address, &length)) == 0) {
    print_address(label, &address, length);
  }
}

/* accept4 that prints the peer address it fills. */
static int accept_and_report(int listener, int flags) {
  struct sockaddr_un address;
  memset(&address, 0x55, sizeof address);
  socklen_t length = sizeof address;
  int fd = (int)CALL(accept4(listener, (struct sockaddr*)&address, &length, flags));
  if (fd >= 0) {
    print_address("accepted peer", &address, length);
  }
  return fd;
}

static void report_receive(int fd) {
  char buffer[64] = {0};
  long count = CALL(recv(fd, buffer, sizeof buffer - 1, MSG_DONTWAIT));
  if (count > 0) {
    printf("  received: %s\n", buffer);
  }
}

static void report_credentials(const char* label, int fd) {
  struct ucred peer;
  memset(&peer, 0x55, sizeof peer);
  socklen_t length = sizeof peer;
  CALL(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length));
  printf("  %s: pid is ours %d, pid %d when not ours, uid %d, gid %d\n", label,
         peer.pid == getpid(), peer.pid == getpid() ? 0 : peer.pid, (int)peer.uid, (int)peer.gid);
}

static void report_accepting(int fd) {
  int value = -1;
  socklen_t length = sizeof value;
  CALL(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &length));
  printf("  SO_ACCEPTCONN %d\n", value);
}

static void check_creation(void) {
  CALL(socket(AF_UNIX, SOCK_STREAM, 7));
  CALL(socket(AF_UNIX, 12, 0));
  CALL(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0));
  CALL(socket(AF_UNIX, SOCK_RDM, 0));
  CALL(socket(-1, SOCK_STREAM, 0));
  CALL(socket(4242, SOCK_STREAM, 0));

  int fd = (int)CALL(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, AF_UNIX));
  report_flags(fd);
  struct stat status;
  CALL(fstat(fd, &status));
  FACT("fstat S_ISSOCK", S_ISSOCK(status.st_mode));
  printf("  permissions: %o\n", (unsigned)(status.st_mode & 07777));

  report_name("unbound name", fd);
  report_peer("unconnected peer", fd);
  report_poll("poll of an unconnected socket", fd);
  report_accepting(fd);
  report_credentials("SO_PEERCRED unconnected", fd);
  char byte = 0;
  CALL(read(fd, &byte, 1));
  CALL(recv(fd, &byte, 1, 0));
  CALL(write(fd, "x", 1));
  CALL(send(fd, "x", 1, MSG_NOSIGNAL));
  struct sockaddr_un destination;
  socklen_t destination_length = abi_path_address(&destination, "nowhere.sock");
  CALL(sendto(fd, "x", 1, MSG_NOSIGNAL, (struct sockaddr*)&destination, destination_length));
  int size = 0;
  socklen_t size_length = sizeof size;
  CALL(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &size_length));
  printf("  SO_SNDBUF %d\n", size);
  int queued = -1;
  CALL(ioctl(fd, FIONREAD, &queued));
  printf("  FIONREAD %d\n", queued);

  /* SO_REUSEADDR is kept, although it changes nothing for Unix sockets. */
  int reuse = 7;
  CALL(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse));
  reuse = -1;
  size_length = sizeof reuse;
  CALL(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, &size_length));
  printf("  SO_REUSEADDR %d, length %u\n", reuse, size_length);
  CALL(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, 2));
  CALL(listen(fd, 1));
  CALL(accept(fd, NULL, NULL));
  CALL(shutdown(fd, SHUT_RDWR));
  report_poll("poll after shutdown", fd);
  CALL(close(fd));

  int pipe_fds[2];
  CALL(pipe(pipe_fds));
  struct sockaddr_un address;
  socklen_t length = abi_path_address(&address, "pipe.sock");
  CALL(bind(pipe_fds[0], (struct sockaddr*)&address, length));
  CALL(listen(pipe_fds[0], 1));
  CALL(accept(pipe_fds[0], NULL, NULL));
  CALL(connect(pipe_fds[0], (struct sockaddr*)&address, length));
  CALL(bind(0x7fff, (struct sockaddr*)&address, length));
  CALL(close(pipe_fds[0]));
  CALL(close(pipe_fds[1]));
}

static void check_bind_path(void) {
  umask(027);
  struct sockaddr_un address;
  socklen_t length = abi_path_address(&address, "server.sock");
  int server = make_socket();
  CALL(bind(server, (struct sockaddr*)&address, length));
  report_name("bound name", server);
  struct stat status;
  CALL(stat("server.sock", &status));
  FACT("stat S_ISSOCK", S_ISSOCK(status.st_mode));
  printf("  permissions: %o, size %ld\n", (unsigned)(status.st_mode & 07777), (long)status.st_size);
  CALL(fstat(server, &status));
  FACT("fstat S_ISSOCK", S_ISSOCK(status.st_mode));
  CALL(open("server.sock", O_RDONLY));
  CALL(open("server.sock", O_WRONLY | O_NONBLOCK));
  umask(022);

  int other = make_socket();
  CALL(bind(other, (struct sockaddr*)&address, length));
  CALL(bind(server, (struct sockaddr*)&address, length));
  struct sockaddr_un second;
  socklen_t second_length = abi_path_address(&second, "second.sock");
  CALL(bind(server, (struct sockaddr*)&second, second_length));
  CALL(access("second.sock", F_OK));

  struct sockaddr_un bad;
  socklen_t bad_length = abi_path_address(&bad, "missing/x.sock");
  CALL(bind(other, (struct sockaddr*)&bad, bad_length));
  CALL(close(open("file", O_CREAT | O_WRONLY, 0644)));
  bad_length = abi_path_address(&bad, "file/x.sock");
  CALL(bind(other, (struct sockaddr*)&bad, bad_length));
  CALL(bind(other, (struct sockaddr*)&second, 1));
  CALL(bind(other, (struct sockaddr*)&second, sizeof second + 1));
  CALL(bind(other, NULL, second_length));
  second.sun_family = AF_INET;
  CALL(bind(other, (struct sockaddr*)&second, second_length));
  second.sun_family = AF_UNIX;

  /* A path without a NUL inside sun_path. */
  struct sockaddr_un full;
  memset(&full, 'f', sizeof full);
  full.sun_family = AF_UNIX;
  CALL(bind(other, (struct sockaddr*)&full, sizeof full));
  report_name("name of a full sun_path", other);
  char full_path[sizeof full.sun_path + 1] = {0};
  memcpy(full_path, full.sun_path, sizeof full.sun_path);
  CALL(unlink(full_path));
  CALL(close(other));

  /* Not listening yet, then listening; errors of the path walk. */
  int client = make_socket();
  CALL(connect(client, (struct sockaddr*)&address, length));
  CALL(connect(client, (struct sockaddr*)&bad, bad_length));
  bad_length = abi_path_address(&bad, "missing.sock");
  CALL(connect(client, (struct sockaddr*)&bad, bad_length));
  bad_length = abi_path_address(&bad, "file");
  CALL(connect(client, (struct sockaddr*)&bad, bad_length));
  bad_length = abi_path_address(&bad, ".");
  CALL(connect(client, (struct sockaddr*)&bad, bad_length));
  CALL(connect(client, (struct sockaddr*)&address, 2));
  CALL(connect(client, (struct sockaddr*)&address, sizeof address + 1));
  CALL(connect(client, NULL, length));

  CALL(listen(server, 5));
  report_accepting(server);
  CALL(connect(client, (struct sockaddr*)&address, length));
  report_peer("client's peer", client);
  CALL(close(client));

  /* A renamed socket inode and a symlink to it reach the same listener;
   * bind does not follow a symlink. */
  CALL(rename("server.sock", "renamed.sock"));
  struct sockaddr_un renamed;
  socklen_t renamed_length = abi_path_address(&renamed, "renamed.sock");
  client = make_socket();
  CALL(connect(client, (struct sockaddr*)&renamed, renamed_length));
  CALL(close(client));
  CALL(symlink("renamed.sock", "link.sock"));
  struct sockaddr_un link;
  socklen_t link_length = abi_path_address(&link, "link.sock");
  client = make_socket();
  CALL(connect(client, (struct sockaddr*)&link, link_length));
  report_name("name after the rename", server);
  CALL(close(client));
  CALL(unlink("link.sock"));
  CALL(symlink("dangling.sock", "link.sock"));
  client = make_socket();
  CALL(bind(client, (struct sockaddr*)&link, link_length));
  CALL(access("dangling.sock", F_OK));
  CALL(close(client));
  CALL(unlink("link.sock"));
  CALL(rename("renamed.sock", "server.sock"));

  /* The name stays bound after close, but nothing listens there any more. */
  CALL(close(server));
  CALL(stat("server.sock", &status));
  FACT("stat S_ISSOCK after close", S_ISSOCK(status.st_mode));
  client = make_socket();
  CALL(connect(client, (struct sockaddr*)&address, length));
  server = make_socket();
  CALL(bind(server, (struct sockaddr*)&address, length));
  CALL(unlink("server.sock"));
  CALL(bind(server, (struct sockaddr*)&address, length));
  CALL(listen(server, 1));
  CALL(connect(client, (struct sockaddr*)&address, length));
  /* The bound inode was unlinked, so the name no longer reaches it. */
  CALL(unlink("server.sock"));
  CALL(close(client));
  client = make_socket();
  CALL(connect(client, (struct sockaddr*)&address, length));
  CALL(close(client));
  CALL(close(server));
  CALL(unlink("file"));
}

/* A process without root rights cannot bind in a directory it may not
 * write, nor connect to a socket it may not write. */
static void check_permissions(void) {
  CALL(mkdir("locked", 0755));
  struct sockaddr_un address;
  socklen_t length = abi_path_address(&address, "locked/server.sock");
  int server = make_socket();
  CALL(bind(server, (struct sockaddr*)&address, length));
  CALL(listen(server, 1));
  CALL(chmod("locked/server.sock", 0755));
  fflush(stdout);

  pid_t child = fork();
  if (child == 0) {
    if (getuid() == 0 && setresgid(65534, 65534, 65534) != 0) {
      _exit(3);
    }
    if (getuid() == 0 && setresuid(65534, 65534, 65534) != 0) {
      _exit(3);
    }
    int client = make_socket();
    CALL(connect(client, (struct sockaddr*)&address, length));
    struct sockaddr_un other;
    socklen_t other_length = abi_path_address(&other, "locked/other.sock");
    CALL(bind(client, (struct sockaddr*)&other, other_length));
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  CALL(waitpid(child, &status, 0) == child);
  printf("  child exit status: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  CALL(close(server));
  CALL(unlink("locked/server.sock"));
  CALL(rmdir("locked"));
}

static void check_abstract(void) {
  struct sockaddr_un address;
  socklen_t length = abi_abstract_address(&address, "names", scratch_path);
  int server = make_socket();
  CALL(bind(server, (struct sockaddr*)&address, length));
  report_name("abstract name", server);
  CALL(access(address.sun_path + 1, F_OK));

  int other = make_socket();
  CALL(bind(other, (struct sockaddr*)&address, length));
  int client = make_socket();
  CALL(connect(client, (struct sockaddr*)&address, length));
  CALL(listen(server, 1));
  CALL(connect(client, (struct sockaddr*)&address, length));
  report_peer("client's peer", client);
  /* A name is all of its bytes: one byte shorter is another name. */
  int stranger = make_socket();
  CALL(connect(stranger, (struct sockaddr*)&address, length - 1));
  CALL(close(stranger));

  /* The abstract name is released on close. */
  CALL(close(server));
  CALL(connect(other, (struct sockaddr*)&address, length));
  CALL(bind(other, (struct sockaddr*)&address, length));
  CALL(close(other));
  CALL(close(client));

  /* Autobind: a 5-digit hexadecimal abstract name. */
  int automatic = make_socket();
  struct sockaddr_un family_only = {.sun_family = AF_UNIX};
  CALL(bind(automatic, (struct sockaddr*)&family_only, sizeof(sa_family_t)));
  struct sockaddr_un name;
  socklen_t name_length = sizeof name;
  CALL(getsockname(automatic, (struct sockaddr*)&name, &name_length));
  printf("  autobind length %u, first byte %d\n", name_length, name.sun_path[0]);
  int hexadecimal = 1;
  for (int i = 1; i < 6; ++i) {
    hexadecimal = hexadecimal && isxdigit((unsigned char)name.sun_path[i]) &&
                  !isupper((unsigned char)name.sun_path[i]);
  }
  FACT("autobind name is 5 lowercase hexadecimal digits", hexadecimal);
  CALL(bind(automatic, (struct sockaddr*)&family_only, sizeof(sa_family_t)));
  CALL(bind(automatic, (struct sockaddr*)&address, length));
  socklen_t again_length = sizeof address;
  struct sockaddr_un again;
  CALL(getsockname(automatic, (struct sockaddr*)&again, &again_length));
  FACT("autobind name unchanged",
       again_length == name_length && memcmp(&again, &name, name_length) == 0);

  /* A client connects to the autobound name; the accepted end reports it. */
  CALL(listen(automatic, 1));
  client = make_socket();
  CALL(connect(client, (struct sockaddr*)&name, name_length));
  int accepted = (int)CALL(accept(automatic, NULL, NULL));
  struct sockaddr_un local;
  socklen_t local_length = sizeof local;
  CALL(getsockname(accepted, (struct sockaddr*)&local, &local_length));
  FACT("accepted end is named like its listener",
       local_length == name_length && memcmp(&local, &name, name_length) == 0);
  CALL(close(accepted));
  CALL(close(client));
  CALL(close(automatic));

  /* Too short for a name after the NUL byte. */
  int lone = make_socket();
  struct sockaddr_un empty = {.sun_family = AF_UNIX};
  CALL(bind(lone, (struct sockaddr*)&empty, sizeof(sa_family_t) + 1));
  report_name("name of a lone NUL", lone);
  CALL(close(lone));
}

static void check_listen_and_accept(void) {
  struct sockaddr_un address;
  socklen_t length = abi_path_address(&address, "listener.sock");
  int server = make_socket();
  CALL(bind(server, (struct sockaddr*)&address, length));
  CALL(listen(server, 1));
  CALL(listen(server, 2));
  CALL(listen(server, 1));
  CALL(fcntl(server, F_SETFL, O_NONBLOCK));
  report_poll("poll of an idle listener", server);
  CALL(accept(server, NULL, NULL));
  char byte = 0;
  CALL(read(server, &byte, 1));
  CALL(send(server, "x", 1, MSG_NOSIGNAL));
  report_peer("listener's peer", server);
  report_credentials("SO_PEERCRED of the listener", server);

  int epoll_fd = (int)CALL(epoll_create1(0));
  struct epoll_event interest = {.events = EPOLLIN, .data.u32 = 7};
  CALL(epoll_ctl(epoll_fd, EPOLL_CTL_ADD, server, &interest));
  struct epoll_event ready;
  CALL(epoll_wait(epoll_fd, &ready, 1, 0));

  /* The client can send before the server accepts. */
  int client = make_socket();
  CALL(connect(client, (struct sockaddr*)&address, length));
  CALL(write(client, "hello", 5));
  report_poll("poll of a listener with a connection pending", server);
  CALL(epoll_wait(epoll_fd, &ready, 1, 0));
  printf("  events %#x, data %u\n", ready.events, ready.data.u32);
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(server, &readable);
  struct timeval no_wait = {0, 0};
  CALL(select(server + 1, &readable, NULL, NULL, &no_wait));
  report_poll("poll of the connected client", client);
  report_peer("client's peer", client);
  report_name("client's name", client);

  CALL(accept4(server, NULL, NULL, 0x1234));
  int accepted = accept_and_report(server, SOCK_NONBLOCK | SOCK_CLOEXEC);
  report_flags(accepted);
  report_receive(accepted);
  report_name("accepted name", accepted);
  report_peer("accepted peer", accepted);
  report_credentials("SO_PEERCRED of the accepted end", accepted);
  report_credentials("SO_PEERCRED of the client", client);
  report_accepting(accepted);
  CALL(write(accepted, "world", 5));
  struct sockaddr_un source;
  memset(&source, 0x55, sizeof source);
  socklen_t source_length = sizeof source;
  char word[8] = {0};
  CALL(recvfrom(client, word, sizeof word - 1, 0, (struct sockaddr*)&source, &source_length));
  print_address("recvfrom source", &source, source_length);
  CALL(write(client, "again", 5));
  memset(&source, 0x55, sizeof source);
  struct iovec part = {.iov_base = word, .iov_len = sizeof word - 1};
  struct msghdr message = {
      .msg_name = &source, .msg_namelen = sizeof source, .msg_iov = &part, .msg_iovlen = 1};
  CALL(recvmsg(accepted, &message, 0));
  printf("  recvmsg source length %u\n", message.msg_namelen);
  int queued = -1;
  CALL(ioctl(server, FIONREAD, &queued));
  CALL(epoll_wait(epoll_fd, &ready, 1, 0));
  /* The epoll instance would keep the listener open past its close. */
  CALL(close(epoll_fd));

  CALL(connect(client, (struct sockaddr*)&address, length));
  CALL(connect(server, (struct sockaddr*)&address, length));
  CALL(listen(client, 1));
  CALL(listen(accepted, 1));
  CALL(accept(client, NULL, NULL));
  CALL(accept(accepted, NULL, NULL));
  struct sockaddr_un other;
  socklen_t other_length = abi_path_address(&other, "unrelated.sock");
  CALL(connect(client, (struct sockaddr*)&other, other_length));
  CALL(sendto(client, "x", 1, 0, (struct sockaddr*)&address, length));
  CALL(close(accepted));
  CALL(close(client));

  /* A bound client: the accepted end reports its name. Without room in the
   * backlog a non-blocking connect fails with EAGAIN. */
  int bound = make_socket();
  struct sockaddr_un bound_address;
  socklen_t bound_length = abi_path_address(&bound_address, "client.sock");
  CALL(bind(bound, (struct sockaddr*)&bound_address, bound_length));
  CALL(connect(bound, (struct sockaddr*)&address, length));
  int second = make_socket();
  CALL(connect(second, (struct sockaddr*)&address, length));
  int third = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  CALL(connect(third, (struct sockaddr*)&address, length));
  accepted = accept_and_report(server, 0);
  report_flags(accepted);
  CALL(connect(third, (struct sockaddr*)&address, length));
  CALL(close(accepted));

  /* Short address buffers get the full length back. */
  struct sockaddr_un small;
  memset(&small, 0x55, sizeof small);
  socklen_t small_length = 4;
  accepted = (int)CALL(accept(server, (struct sockaddr*)&small, &small_length));
  printf("  length %u, family %d, byte after %#x\n", small_length, small.sun_family,
         (unsigned char)small.sun_path[2]);
  CALL(close(accepted));
  /* A bad length fails accept after it took the connection, which is
   * then closed. */
  small_length = (socklen_t)-1;
  CALL(accept(server, (struct sockaddr*)&small, &small_length));
  CALL(send(third, "x", 1, MSG_NOSIGNAL));
  CALL(close(third));

  /* Closing the listener resets the connections it did not accept. */
  third = make_socket();
  CALL(connect(third, (struct sockaddr*)&address, length));
  CALL(write(third, "unread", 6));
  CALL(close(server));
  report_poll("poll of a client whose listener closed", third);
  report_receive(third);
  report_receive(third);
  CALL(send(third, "x", 1, MSG_NOSIGNAL));
  CALL(connect(bound, (struct sockaddr*)&address, length));
  CALL(close(bound));
  CALL(close(second));
  CALL(close(third));
  CALL(unlink("listener.sock"));
  CALL(unlink("client.sock"));
}

/* listen(2) clamps the backlog; the backlog admits one connection more
 * than its value. */
static void check_backlog(void) {
  struct sockaddr_un address;
  socklen_t length = abi_abstract_address(&address, "backlog", scratch_path);
  int server = make_socket();
  CALL(bind(server, (struct sockaddr*)&address, length));
  CALL(listen(server, -1));
  CALL(listen(server, 0));
  int clients[3];
  for (int i = 0; i < 3; ++i) {
    clients[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CALL(connect(clients[i], (struct sockaddr*)&address, length));
  }
  CALL(listen(server, 1));
  CALL(connect(clients[2], (struct sockaddr*)&address, length));
  for (int i = 0; i < 3; ++i) {
    CALL(close(clients[i]));
  }
  /* Connections whose client closed are still accepted, and read EOF. */
  int accepted = (int)CALL(accept(server, NULL, NULL));
  report_poll("poll of an accepted end whose client closed", accepted);
  report_receive(accepted);
  CALL(close(accepted));
  CALL(close(server));
}

/* shutdown(2) of a listener: pending connections are still accepted, then
 * accept fails and new clients are refused. */
static void check_listener_shutdown(void) {
  struct sockaddr_un address;
  socklen_t length = abi_abstract_address(&address, "shutdown", scratch_path);
  int server = make_socket();
  CALL(bind(server, (struct sockaddr*)&address, length));
  CALL(listen(server, 4));
  int client = make_socket();
  CALL(connect(client, (struct sockaddr*)&address, length));
  CALL(shutdown(server, SHUT_WR));
  report_poll("poll of a listener shut down for writing", server);
  CALL(shutdown(server, SHUT_RD));
  report_poll("poll of a listener shut down", server);
  int late = make_socket();
  CALL(connect(late, (struct sockaddr*)&address, length));
  int accepted = (int)CALL(accept(server, NULL, NULL));
  CALL(accept(server, NULL, NULL));
  CALL(listen(server, 4));
  CALL(close(accepted));
  CALL(close(late));
  CALL(close(client));
  CALL(close(server));
}

/* A name bound after the connection shows at the peer, for a pair and
 * for a client that binds once connected. */
static void check_late_names(void) {
  int pair[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
  struct sockaddr_un address;
  socklen_t length = abi_abstract_address(&address, "late-pair", scratch_path);
  CALL(bind(pair[0], (struct sockaddr*)&address, length));
  report_name("bound end of a pair", pair[0]);
  report_peer("peer of the bound end", pair[1]);
  CALL(close(pair[0]));
  CALL(close(pair[1]));

  length = abi_abstract_address(&address, "late-server", scratch_path);
  int server = make_socket();
  CALL(bind(server, (struct sockaddr*)&address, length));
  CALL(listen(server, 1));
  int client = make_socket();
  CALL(connect(client, (struct sockaddr*)&address, length));
  struct sockaddr_un client_address;
  socklen_t client_length = abi_path_address(&client_address, "late-client.sock");
  CALL(bind(client, (struct sockaddr*)&client_address, client_length));
  int accepted = accept_and_report(server, 0);
  report_peer("accepted peer after the client bound", accepted);
  CALL(write(client, "x", 1));
  struct sockaddr_un source;
  memset(&source, 0x55, sizeof source);
  socklen_t source_length = sizeof source;
  char byte = 0;
  CALL(recvfrom(accepted, &byte, 1, 0, (struct sockaddr*)&source, &source_length));
  print_address("recvfrom source", &source, source_length);
  CALL(close(accepted));
  CALL(close(client));
  CALL(close(server));
  CALL(unlink("late-client.sock"));
}

/* With every descriptor taken, accept fails with EMFILE at once and the
 * connection stays pending. Argument errors come in Linux's order. */
static void check_accept_errors(void) {
  struct sockaddr_un address;
  socklen_t length = abi_abstract_address(&address, "descriptors", scratch_path);
  int server = make_socket();
  CALL(bind(server, (struct sockaddr*)&address, length));
  CALL(listen(server, 1));
  int client = make_socket();
  CALL(connect(client, (struct sockaddr*)&address, length));
  CALL(accept4(0x7fff, NULL, NULL, 0x1234));
  CALL(accept4(STDIN_FILENO, NULL, NULL, 0x1234));

  struct rlimit limit;
  CALL(getrlimit(RLIMIT_NOFILE, &limit));
  struct rlimit lowered = {.rlim_cur = (rlim_t)client + 4, .rlim_max = limit.rlim_max};
  CALL(setrlimit(RLIMIT_NOFILE, &lowered));
  int fillers[8];
  int filler_count = 0;
  while (filler_count < 8 && (fillers[filler_count] = dup(server)) >= 0) {
    filler_count++;
  }
  CALL(accept(server, NULL, NULL));
  CALL(accept(STDIN_FILENO, NULL, NULL));
  for (int i = 0; i < filler_count; ++i) {
    close(fillers[i]);
  }
  CALL(setrlimit(RLIMIT_NOFILE, &limit));

  int accepted = accept(server, NULL, NULL);
  FACT("the connection waited through EMFILE", accepted >= 0);
  CALL(write(client, "x", 1));
  report_receive(accepted);
  CALL(close(accepted));
  CALL(close(client));
  CALL(close(server));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  scratch_path = argv[1];
  signal(SIGPIPE, SIG_IGN);
  check_creation();
  check_bind_path();
  check_permissions();
  check_abstract();
  check_listen_and_accept();
  check_backlog();
  check_listener_shutdown();
  check_late_names();
  check_accept_errors();
  return 0;
}
