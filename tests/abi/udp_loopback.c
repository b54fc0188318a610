/* UDP over loopback: ephemeral ports from bind with port 0, the sender's
 * address that recvfrom reports, message boundaries, truncation,
 * MSG_PEEK, MSG_TRUNC and MSG_DONTWAIT, connect and the datagrams a
 * connected socket takes, ECONNREFUSED from a closed port, IPv6 over ::1,
 * the errors of bind and sendto, readiness with select and poll, a
 * receive interrupted by a signal, and a round trip between two
 * processes. Ports come from port 0, so the program prints facts about
 * them, never their numbers. */
#include "abi_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

/* Prints the address getsockname reports for `fd`, without its port. */
static void print_local_address(const char* label, int fd) {
  struct sockaddr_storage address;
  socklen_t length = sizeof address;
  CALL(getsockname(fd, (struct sockaddr*)&address, &length));
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &((struct sockaddr_in6*)&address)->sin6_addr, text, sizeof text);
  } else {
    inet_ntop(AF_INET, &((struct sockaddr_in*)&address)->sin_addr, text, sizeof text);
  }
  printf("  %s: length %u, family %d, address %s\n", label, length, address.ss_family, text);
}

/* A UDP socket of `family` bound to `text` with a port from port 0. */
static int bound_socket(int family, const char* text) {
  int fd = (int)CALL(socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (family == AF_INET) {
    struct sockaddr_in address = abi_ipv4_address(text, 0);
    CALL(bind(fd, (struct sockaddr*)&address, sizeof address));
  } else {
    struct sockaddr_in6 address = abi_ipv6_address(text, 0);
    CALL(bind(fd, (struct sockaddr*)&address, sizeof address));
  }
  return fd;
}

static long send_to_port(int fd, const char* text, uint16_t port) {
  struct sockaddr_in address = abi_ipv4_address("127.0.0.1", port);
  return sendto(fd, text, strlen(text), 0, (struct sockaddr*)&address, sizeof address);
}

/* Receives one datagram with `flags` into `size` bytes and prints it, its
 * sender's address, and whether the sender's port is `sender_port`. */
static void receive_from(int fd, size_t size, int flags, uint16_t sender_port) {
  char buffer[256] = {0};
  struct sockaddr_storage source;
  memset(&source, 0, sizeof source);
  socklen_t length = sizeof source;
  long count = CALL(recvfrom(fd, buffer, size, flags, (struct sockaddr*)&source, &length));
  if (count < 0) {
    return;
  }
  size_t shown = (size_t)count < size ? (size_t)count : size;
  char text[INET6_ADDRSTRLEN] = "";
  uint16_t port = 0;
  if (source.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &((struct sockaddr_in6*)&source)->sin6_addr, text, sizeof text);
    port = ntohs(((struct sockaddr_in6*)&source)->sin6_port);
  } else {
    inet_ntop(AF_INET, &((struct sockaddr_in*)&source)->sin_addr, text, sizeof text);
    port = ntohs(((struct sockaddr_in*)&source)->sin_port);
  }
  printf("  data \"%.*s\" from length %u, family %d, address %s, expected port %s\n", (int)shown,
         buffer, length, source.ss_family, text, port == sender_port ? "yes" : "no");
}

static void report_poll(const char* label, int fd) {
  struct pollfd request = {.fd = fd, .events = POLLIN | POLLOUT};
  poll(&request, 1, 0);
  printf("  %s: revents %#x\n", label, request.revents);
}

static void print_option(const char* label, int fd, int level, int option) {
  int value = -1;
  socklen_t length = sizeof value;
  CALL(getsockopt(fd, level, option, &value, &length));
  printf("  %s = %d\n", label, value);
}

static void check_ports(void) {
  printf("-- ephemeral ports and names\n");
  int server = bound_socket(AF_INET, "127.0.0.1");
  uint16_t port = abi_local_port(server);
  FACT("  port is ephemeral", port >= 32768 && port <= 60999);
  print_local_address("server", server);
  print_option("SO_TYPE", server, SOL_SOCKET, SO_TYPE);
  print_option("SO_PROTOCOL", server, SOL_SOCKET, SO_PROTOCOL);
  print_option("SO_DOMAIN", server, SOL_SOCKET, SO_DOMAIN);

  int client = (int)CALL(socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP));
  print_local_address("unbound client", client);
  FACT("  unbound client has port 0", abi_local_port(client) == 0);
  CALL(send_to_port(client, "hello", port));
  FACT("  client got a port by sending", abi_local_port(client) != 0);
  print_local_address("client after sendto", client);
  receive_from(server, 64, 0, abi_local_port(client));

  printf("-- errors of bind, sendto, listen and accept\n");
  struct sockaddr_in again = abi_ipv4_address("127.0.0.1", 0);
  CALL(bind(server, (struct sockaddr*)&again, sizeof again));
  int other = (int)CALL(socket(AF_INET, SOCK_DGRAM, 0));
  struct sockaddr_in taken = abi_ipv4_address("127.0.0.1", port);
  CALL(bind(other, (struct sockaddr*)&taken, sizeof taken));
  struct sockaddr_in wildcard_taken = abi_ipv4_address("0.0.0.0", port);
  CALL(bind(other, (struct sockaddr*)&wildcard_taken, sizeof wildcard_taken));
  struct sockaddr_in foreign = abi_ipv4_address("192.0.2.1", 0);
  CALL(bind(other, (struct sockaddr*)&foreign, sizeof foreign));
  int tcp = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  CALL(bind(tcp, (struct sockaddr*)&taken, sizeof taken));
  CALL(close(tcp));
  CALL(send_to_port(other, "to port 0", 0));
  CALL(send(other, "no destination", 14, 0));
  struct sockaddr_in short_address = abi_ipv4_address("127.0.0.1", port);
  CALL(sendto(other, "x", 1, 0, (struct sockaddr*)&short_address, 8));
  static char huge[65508];
  struct sockaddr_in destination = abi_ipv4_address("127.0.0.1", port);
  CALL(sendto(other, huge, sizeof huge, 0, (struct sockaddr*)&destination, sizeof destination));
  CALL(sendto(other, huge, sizeof huge - 1, 0, (struct sockaddr*)&destination, sizeof destination));
  int largest = -1;
  CALL(ioctl(server, FIONREAD, &largest));
  printf("  FIONREAD %d\n", largest);
  char byte;
  CALL(recv(server, &byte, 1, 0));
  CALL(listen(server, 4));
  CALL(accept(server, NULL, NULL));
  CALL(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
  CALL(close(other));
  CALL(close(client));
  CALL(close(server));
}

static void check_boundaries(void) {
  printf("-- message boundaries, truncation and flags\n");
  int server = bound_socket(AF_INET, "127.0.0.1");
  int client = bound_socket(AF_INET, "0.0.0.0");
  uint16_t port = abi_local_port(server);
  uint16_t client_port = abi_local_port(client);
  CALL(recv(server, NULL, 0, MSG_DONTWAIT));
  CALL(send_to_port(client, "one", port));
  CALL(send_to_port(client, "two", port));
  CALL(send_to_port(client, "", port));
  CALL(send_to_port(client, "a long datagram", port));
  CALL(send_to_port(client, "another long one", port));
  receive_from(server, 64, MSG_PEEK, client_port);
  receive_from(server, 64, 0, client_port);
  receive_from(server, 64, 0, client_port);
  printf("  empty datagram:\n");
  receive_from(server, 64, 0, client_port);
  printf("  truncated to 6 bytes:\n");
  receive_from(server, 6, 0, client_port);
  printf("  truncated with MSG_TRUNC:\n");
  receive_from(server, 6, MSG_TRUNC, client_port);

  CALL(send_to_port(client, "scattered over two buffers", port));
  char first[5] = {0};
  char second[7] = {0};
  struct iovec vectors[2] = {{first, 4}, {second, 6}};
  struct sockaddr_in source;
  struct msghdr message = {
      .msg_name = &source, .msg_namelen = sizeof source, .msg_iov = vectors, .msg_iovlen = 2};
  CALL(recvmsg(server, &message, 0));
  printf("  \"%s\" \"%s\", msg_flags %#x, msg_namelen %u\n", first, second, message.msg_flags,
         message.msg_namelen);

  struct iovec gather[2] = {{"gath", 4}, {"ered", 4}};
  struct sockaddr_in destination = abi_ipv4_address("127.0.0.1", port);
  struct msghdr outgoing = {.msg_name = &destination,
                            .msg_namelen = sizeof destination,
                            .msg_iov = gather,
                            .msg_iovlen = 2};
  CALL(sendmsg(client, &outgoing, 0));
  receive_from(server, 64, 0, client_port);
  CALL(close(client));
  CALL(close(server));
}

static void check_connect(void) {
  printf("-- connect\n");
  int server = bound_socket(AF_INET, "127.0.0.1");
  int client = bound_socket(AF_INET, "0.0.0.0");
  int stranger = bound_socket(AF_INET, "127.0.0.1");
  uint16_t port = abi_local_port(server);
  struct sockaddr_in address = abi_ipv4_address("127.0.0.1", port);
  CALL(connect(client, (struct sockaddr*)&address, sizeof address));
  print_local_address("client after connect", client);
  struct sockaddr_in peer;
  socklen_t peer_length = sizeof peer;
  CALL(getpeername(client, (struct sockaddr*)&peer, &peer_length));
  FACT("  peer is the server", peer_length == sizeof peer && ntohs(peer.sin_port) == port);
  CALL(send(client, "connected", 9, 0));
  CALL(write(client, "written", 7));
  receive_from(server, 64, 0, abi_local_port(client));
  receive_from(server, 64, 0, abi_local_port(client));

  printf("  a connected socket takes datagrams from its peer only:\n");
  CALL(send_to_port(stranger, "from a stranger", abi_local_port(client)));
  CALL(send_to_port(server, "from the peer", abi_local_port(client)));
  receive_from(client, 64, 0, port);
  CALL(recv(client, NULL, 0, MSG_DONTWAIT));

  printf("  ECONNREFUSED from a closed port:\n");
  int closed = bound_socket(AF_INET, "127.0.0.1");
  uint16_t closed_port = abi_local_port(closed);
  CALL(close(closed));
  struct sockaddr_in nowhere = abi_ipv4_address("127.0.0.1", closed_port);
  CALL(connect(client, (struct sockaddr*)&nowhere, sizeof nowhere));
  CALL(send(client, "nobody", 6, 0));
  struct pollfd request = {.fd = client, .events = POLLIN};
  CALL(poll(&request, 1, 10000));
  printf("  revents %#x\n", request.revents);
  char buffer[16];
  CALL(recv(client, buffer, sizeof buffer, 0));
  CALL(recv(client, buffer, sizeof buffer, MSG_DONTWAIT));
  CALL(send(client, "nobody", 6, 0));
  CALL(poll(&request, 1, 10000));
  print_option("SO_ERROR", client, SOL_SOCKET, SO_ERROR);
  print_option("SO_ERROR again", client, SOL_SOCKET, SO_ERROR);

  printf("  AF_UNSPEC disconnects:\n");
  struct sockaddr unspecified = {.sa_family = AF_UNSPEC};
  CALL(connect(client, &unspecified, sizeof unspecified));
  CALL(getpeername(client, (struct sockaddr*)&peer, &peer_length));
  print_local_address("client after disconnect", client);
  CALL(send(client, "nowhere", 7, 0));
  CALL(shutdown(client, SHUT_RDWR));
  CALL(close(stranger));
  CALL(close(client));
  CALL(close(server));
}

static void check_ipv6(void) {
  printf("-- IPv6 over ::1\n");
  int server = bound_socket(AF_INET6, "::1");
  int client = (int)CALL(socket(AF_INET6, SOCK_DGRAM, 0));
  struct sockaddr_in6 address = abi_ipv6_address("::1", abi_local_port(server));
  CALL(sendto(client, "over ::1", 8, 0, (struct sockaddr*)&address, sizeof address));
  receive_from(server, 64, 0, abi_local_port(client));
  print_local_address("server", server);

  int dual = bound_socket(AF_INET6, "::");
  int ipv4 = (int)CALL(socket(AF_INET, SOCK_DGRAM, 0));
  CALL(send_to_port(ipv4, "IPv4 to a dual-stack socket", abi_local_port(dual)));
  receive_from(dual, 64, 0, abi_local_port(ipv4));
  CALL(close(ipv4));
  CALL(close(dual));
  CALL(close(client));
  CALL(close(server));
}

static void handle_alarm(int signal) { (void)signal; }

static void check_blocking(void) {
  printf("-- readiness, an interrupted receive, and two processes\n");
  int server = bound_socket(AF_INET, "127.0.0.1");
  uint16_t port = abi_local_port(server);
  report_poll("empty", server);
  struct sigaction action = {.sa_handler = handle_alarm};
  CALL(sigaction(SIGALRM, &action, NULL));
  struct itimerval timer = {.it_value = {.tv_sec = 0, .tv_usec = 100000}};
  CALL(setitimer(ITIMER_REAL, &timer, NULL));
  char buffer[64];
  CALL(recv(server, buffer, sizeof buffer, 0));

  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    int client = bound_socket(AF_INET, "127.0.0.1");
    struct sockaddr_in address = abi_ipv4_address("127.0.0.1", port);
    CALL(connect(client, (struct sockaddr*)&address, sizeof address));
    usleep(50000);
    CALL(send(client, "ping", 4, 0));
    char reply[16] = {0};
    CALL(recv(client, reply, sizeof reply - 1, 0));
    printf("child: received \"%s\"\n", reply);
    fflush(stdout);
    _exit(0);
  }

  /* The parent prints nothing until its child has exited, so the lines of
   * the two processes keep their order. */
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(server, &readable);
  struct timeval timeout = {.tv_sec = 10};
  int selected = select(server + 1, &readable, NULL, NULL, &timeout);
  bool server_readable = FD_ISSET(server, &readable);
  struct pollfd request = {.fd = server, .events = POLLIN | POLLOUT};
  poll(&request, 1, 0);
  struct sockaddr_in source;
  socklen_t length = sizeof source;
  long count = recvfrom(server, buffer, sizeof buffer, 0, (struct sockaddr*)&source, &length);
  long sent = sendto(server, "pong", 4, 0, (struct sockaddr*)&source, length);
  int status = 0;
  CALL(waitpid(child, &status, 0) == child);
  printf("  child exit status %d\n", WEXITSTATUS(status));
  printf("  select -> %d, server readable: %s\n", selected, server_readable ? "yes" : "no");
  printf("  poll with a datagram: revents %#x\n", request.revents);
  printf("  server received \"%.*s\"\n", (int)(count > 0 ? count : 0), buffer);
  printf("  sendto of the reply -> %ld\n", sent);
  CALL(close(server));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  check_ports();
  check_boundaries();
  check_connect();
  check_ipv6();
  check_blocking();
  return 0;
}
