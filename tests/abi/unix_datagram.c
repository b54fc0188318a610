/* Unix datagram sockets: names of senders by path, abstract name and none,
 * message boundaries, truncation, MSG_PEEK, MSG_TRUNC and MSG_DONTWAIT,
 * connect and its errors, a full receive queue, poll and epoll readiness,
 * a receive interrupted by a signal, socketpair(AF_UNIX, SOCK_DGRAM), and
 * a sender in another process. */
#include "abi_socket.h"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

static const char* scratch;

/* Prints the sender's address that recvfrom reports: its length and, for
 * a path or abstract name, the name. */
static void print_source(const struct sockaddr_un* address, socklen_t length) {
  size_t header = offsetof(struct sockaddr_un, sun_path);
  if (length <= header) {
    printf("  source: length %u (unnamed)\n", length);
  } else if (address->sun_path[0] == '\0') {
    printf("  source: length %u, abstract \"%.*s\"\n", length, (int)(length - header - 1),
           address->sun_path + 1);
  } else {
    printf("  source: length %u, path \"%s\"\n", length, address->sun_path);
  }
}

/* Receives one datagram with `flags` into `size` bytes and prints it with
 * its sender. */
static void receive_from(int fd, size_t size, int flags) {
  char buffer[256] = {0};
  struct sockaddr_un source;
  memset(&source, 0x55, sizeof source);
  socklen_t length = sizeof source;
  long count = CALL(recvfrom(fd, buffer, size, flags, (struct sockaddr*)&source, &length));
  if (count >= 0) {
    size_t shown = (size_t)count < size ? (size_t)count : size;
    printf("  data \"%.*s\"\n", (int)shown, buffer);
    print_source(&source, length);
  }
}

static int datagram_socket(void) {
  return (int)CALL(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
}

static int bound_to_path(const char* path) {
  int fd = datagram_socket();
  struct sockaddr_un address;
  socklen_t length = abi_path_address(&address, path);
  CALL(bind(fd, (struct sockaddr*)&address, length));
  return fd;
}

static long send_to_path(int fd, const char* text, const char* path) {
  struct sockaddr_un address;
  socklen_t length = abi_path_address(&address, path);
  return sendto(fd, text, strlen(text), 0, (struct sockaddr*)&address, length);
}

static void report_poll(const char* label, int fd) {
  struct pollfd request = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
  poll(&request, 1, 0);
  printf("  %s: revents %#x\n", label, request.revents);
}

static void check_names(void) {
  printf("-- senders by path, abstract name and none\n");
  int server = bound_to_path("server.sock");
  int named = bound_to_path("client.sock");
  CALL(send_to_path(named, "from a path", "server.sock"));
  receive_from(server, 64, 0);

  int abstract = datagram_socket();
  struct sockaddr_un address;
  socklen_t length = abi_abstract_address(&address, "datagram", scratch);
  CALL(bind(abstract, (struct sockaddr*)&address, length));
  CALL(send_to_path(abstract, "from an abstract name", "server.sock"));
  receive_from(server, 64, 0);

  int unnamed = datagram_socket();
  CALL(send_to_path(unnamed, "from nowhere", "server.sock"));
  receive_from(server, 64, 0);

  printf("-- sendto an abstract name\n");
  CALL(sendto(unnamed, "to abstract", 11, 0, (struct sockaddr*)&address, length));
  receive_from(abstract, 64, 0);

  printf("-- autobind\n");
  int automatic = datagram_socket();
  struct sockaddr_un family = {.sun_family = AF_UNIX};
  CALL(bind(automatic, (struct sockaddr*)&family, sizeof(sa_family_t)));
  struct sockaddr_un name;
  socklen_t name_length = sizeof name;
  CALL(getsockname(automatic, (struct sockaddr*)&name, &name_length));
  printf("  getsockname length %u, abstract %s\n", name_length,
         name.sun_path[0] == '\0' ? "yes" : "no");
  CALL(send_to_path(automatic, "autobound", "server.sock"));
  char buffer[64];
  struct sockaddr_un source;
  socklen_t source_length = sizeof source;
  CALL(recvfrom(server, buffer, sizeof buffer, 0, (struct sockaddr*)&source, &source_length));
  FACT("  source is the autobound name",
       source_length == name_length && memcmp(&source, &name, name_length) == 0);

  CALL(close(automatic));
  CALL(close(unnamed));
  CALL(close(abstract));
  CALL(close(named));
  CALL(close(server));
  CALL(unlink("server.sock"));
  CALL(unlink("client.sock"));
}

static void check_boundaries(void) {
  printf("-- message boundaries, truncation and flags\n");
  int server = bound_to_path("boundaries.sock");
  int client = datagram_socket();
  CALL(send_to_path(client, "one", "boundaries.sock"));
  CALL(send_to_path(client, "two", "boundaries.sock"));
  CALL(send_to_path(client, "three", "boundaries.sock"));
  CALL(sendto(client, "", 0, 0, NULL, 0));
  struct sockaddr_un address;
  socklen_t length = abi_path_address(&address, "boundaries.sock");
  CALL(sendto(client, "", 0, 0, (struct sockaddr*)&address, length));
  CALL(send_to_path(client, "a long datagram", "boundaries.sock"));
  CALL(send_to_path(client, "another long one", "boundaries.sock"));

  int pending = -1;
  CALL(ioctl(server, FIONREAD, &pending));
  printf("  FIONREAD %d\n", pending);
  receive_from(server, 64, MSG_PEEK);
  receive_from(server, 64, 0);
  receive_from(server, 64, 0);
  receive_from(server, 64, 0);
  printf("  empty datagram:\n");
  receive_from(server, 64, 0);
  printf("  truncated to 6 bytes:\n");
  receive_from(server, 6, 0);
  printf("  truncated with MSG_TRUNC:\n");
  receive_from(server, 6, MSG_TRUNC);
  CALL(recv(server, NULL, 0, MSG_DONTWAIT));

  printf("-- recvmsg of a truncated datagram\n");
  CALL(send_to_path(client, "scattered over two buffers", "boundaries.sock"));
  char first[5] = {0};
  char second[7] = {0};
  struct iovec vectors[2] = {{first, 4}, {second, 6}};
  struct sockaddr_un source;
  struct msghdr message = {
      .msg_name = &source, .msg_namelen = sizeof source, .msg_iov = vectors, .msg_iovlen = 2};
  CALL(recvmsg(server, &message, 0));
  printf("  \"%s\" \"%s\", msg_flags %#x, msg_namelen %u\n", first, second, message.msg_flags,
         message.msg_namelen);

  CALL(close(client));
  CALL(close(server));
  CALL(unlink("boundaries.sock"));
}

static void check_connect(void) {
  printf("-- connect and its errors\n");
  int server = bound_to_path("connect.sock");
  int client = datagram_socket();
  CALL(send(client, "unconnected", 11, 0));
  struct sockaddr_un address;
  socklen_t length = abi_path_address(&address, "connect.sock");
  CALL(connect(client, (struct sockaddr*)&address, length));
  CALL(send(client, "connected", 9, 0));
  CALL(write(client, "written", 7));
  receive_from(server, 64, 0);
  receive_from(server, 64, 0);
  struct sockaddr_un peer;
  socklen_t peer_length = sizeof peer;
  CALL(getpeername(client, (struct sockaddr*)&peer, &peer_length));
  print_source(&peer, peer_length);
  CALL(getpeername(server, (struct sockaddr*)&peer, &peer_length));

  printf("  a socket connected elsewhere rejects others:\n");
  int other = bound_to_path("other.sock");
  int third = datagram_socket();
  CALL(connect(other, (struct sockaddr*)&address, length));
  struct sockaddr_un client_name;
  socklen_t client_name_length = abi_path_address(&client_name, "other.sock");
  CALL(connect(third, (struct sockaddr*)&client_name, client_name_length));
  CALL(connect(client, (struct sockaddr*)&client_name, client_name_length));
  CALL(send_to_path(third, "rejected", "other.sock"));

  printf("  AF_UNSPEC disconnects:\n");
  struct sockaddr unspecified = {.sa_family = AF_UNSPEC};
  CALL(connect(client, &unspecified, sizeof unspecified));
  CALL(getpeername(client, (struct sockaddr*)&peer, &peer_length));
  CALL(send(client, "disconnected", 12, 0));

  printf("  errors of sendto and connect:\n");
  CALL(send_to_path(client, "missing", "missing.sock"));
  CALL(close(open("plain-file", O_CREAT | O_WRONLY | O_CLOEXEC, 0600)));
  CALL(send_to_path(client, "not a socket", "plain-file"));
  int stream = (int)CALL(socket(AF_UNIX, SOCK_STREAM, 0));
  struct sockaddr_un stream_address;
  socklen_t stream_length = abi_path_address(&stream_address, "stream.sock");
  CALL(bind(stream, (struct sockaddr*)&stream_address, stream_length));
  CALL(send_to_path(client, "to a stream socket", "stream.sock"));
  CALL(connect(client, (struct sockaddr*)&stream_address, stream_length));
  CALL(listen(server, 4));
  CALL(accept(server, NULL, NULL));
  struct sockaddr_un short_address = {.sun_family = AF_UNIX};
  CALL(sendto(client, "x", 1, 0, (struct sockaddr*)&short_address, sizeof(sa_family_t)));
  CALL(bind(server, (struct sockaddr*)&address, length));

  printf("  a closed peer:\n");
  CALL(connect(client, (struct sockaddr*)&address, length));
  CALL(close(server));
  CALL(send(client, "to a closed peer", 16, 0));
  CALL(send(client, "after the refusal", 17, 0));

  CALL(close(stream));
  CALL(close(third));
  CALL(close(other));
  CALL(close(client));
  CALL(unlink("connect.sock"));
  CALL(unlink("other.sock"));
  CALL(unlink("stream.sock"));
  CALL(unlink("plain-file"));
}

static void check_full_queue(void) {
  printf("-- a full receive queue\n");
  int server = bound_to_path("full.sock");
  int client = datagram_socket();
  struct sockaddr_un address;
  socklen_t length = abi_path_address(&address, "full.sock");
  CALL(connect(client, (struct sockaddr*)&address, length));
  report_poll("client before", client);
  int sent = 0;
  while (sent < 100 && send(client, "x", 1, MSG_DONTWAIT) == 1) {
    ++sent;
  }
  printf("  sent %d datagrams, then %s\n", sent, strerrorname_np(errno));
  report_poll("client when full", client);
  report_poll("server when full", server);
  char byte;
  CALL(recv(server, &byte, 1, 0));
  report_poll("client after one receive", client);
  CALL(close(client));
  CALL(close(server));
  CALL(unlink("full.sock"));
}

static void handle_alarm(int signal) { (void)signal; }

static void check_blocking(void) {
  printf("-- readiness and an interrupted receive\n");
  int server = bound_to_path("blocking.sock");
  report_poll("empty", server);
  struct sigaction action = {.sa_handler = handle_alarm};
  CALL(sigaction(SIGALRM, &action, NULL));
  struct itimerval timer = {.it_value = {.tv_sec = 0, .tv_usec = 100000}};
  CALL(setitimer(ITIMER_REAL, &timer, NULL));
  char buffer[16];
  CALL(recv(server, buffer, sizeof buffer, 0));

  int epoll = (int)CALL(epoll_create1(EPOLL_CLOEXEC));
  struct epoll_event event = {.events = EPOLLIN, .data.fd = server};
  CALL(epoll_ctl(epoll, EPOLL_CTL_ADD, server, &event));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    usleep(50000);
    int client = datagram_socket();
    CALL(send_to_path(client, "from the child", "blocking.sock"));
    fflush(stdout);
    _exit(0);
  }
  /* The parent prints nothing until its child has exited, so the lines of
   * the two processes keep their order. */
  struct epoll_event ready = {0};
  int waited = epoll_wait(epoll, &ready, 1, 10000);
  struct pollfd request = {.fd = server, .events = POLLIN | POLLOUT | POLLRDHUP};
  poll(&request, 1, 0);
  int status = 0;
  CALL(waitpid(child, &status, 0) == child);
  printf("  child exit status %d\n", WEXITSTATUS(status));
  printf("  epoll_wait -> %d, events %#x\n", waited, ready.events);
  printf("  with a datagram: revents %#x\n", request.revents);
  receive_from(server, 64, 0);
  CALL(recv(server, buffer, sizeof buffer, MSG_DONTWAIT));
  CALL(shutdown(server, SHUT_RD));
  report_poll("after SHUT_RD", server);
  CALL(recv(server, buffer, sizeof buffer, 0));
  CALL(close(epoll));
  CALL(close(server));
  CALL(unlink("blocking.sock"));
}

static void print_option(const char* label, int fd, int option) {
  int value = -1;
  socklen_t length = sizeof value;
  CALL(getsockopt(fd, SOL_SOCKET, option, &value, &length));
  printf("  %s = %d\n", label, value);
}

static void check_pair(void) {
  printf("-- socketpair(AF_UNIX, SOCK_DGRAM)\n");
  int pair[2];
  CALL(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair));
  print_option("SO_TYPE", pair[0], SO_TYPE);
  print_option("SO_PROTOCOL", pair[0], SO_PROTOCOL);
  print_option("SO_DOMAIN", pair[0], SO_DOMAIN);
  print_option("SO_ACCEPTCONN", pair[0], SO_ACCEPTCONN);
  CALL(send(pair[0], "first", 5, 0));
  CALL(send(pair[0], "second", 6, 0));
  CALL(write(pair[1], "back", 4));
  receive_from(pair[1], 64, 0);
  char buffer[64] = {0};
  CALL(read(pair[1], buffer, 3));
  printf("  read \"%s\"\n", buffer);
  receive_from(pair[0], 64, 0);
  struct sockaddr_un peer;
  socklen_t peer_length = sizeof peer;
  CALL(getpeername(pair[0], (struct sockaddr*)&peer, &peer_length));
  printf("  getpeername length %u\n", peer_length);
  struct ucred credentials;
  socklen_t credentials_length = sizeof credentials;
  CALL(getsockopt(pair[0], SOL_SOCKET, SO_PEERCRED, &credentials, &credentials_length));
  FACT("  SO_PEERCRED is this process", credentials.pid == getpid());
  int raw[2];
  CALL(socketpair(AF_UNIX, SOCK_RAW, 0, raw));
  print_option("SO_TYPE of a SOCK_RAW pair", raw[0], SO_TYPE);
  CALL(close(raw[0]));
  CALL(close(raw[1]));
  CALL(close(pair[0]));
  CALL(close(pair[1]));

  CALL(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, pair));
  CALL(recv(pair[0], buffer, sizeof buffer, 0));
  CALL(close(pair[1]));
  report_poll("after the peer closed", pair[0]);
  CALL(send(pair[0], "to a closed peer", 16, 0));
  CALL(send(pair[0], "again", 5, 0));
  CALL(close(pair[0]));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  scratch = argv[1];
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  check_names();
  check_boundaries();
  check_connect();
  check_full_queue();
  check_blocking();
  check_pair();
  return 0;
}
