/* TCP over loopback: a server and a client in two processes over
 * 127.0.0.1, an IPv6 round trip over ::1, an IPv4 client of a listener on
 * ::, the errors of bind and connect, the socket options programs set, and
 * how much a sender queues before the reader reads.
 * Ports come from port 0, so the program prints facts about them, never
 * their numbers.
 *
 * The parent's stdout is fully buffered and flushed only after it has
 * waited for its child, so the child's lines come first in both runs. */
#include "abi_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

static char output_buffer[1 << 16];

/* A socket of `family` listening on `text` with a port from port 0. */
static int listen_on(int family, const char* text) {
  int server = (int)CALL(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (family == AF_INET) {
    struct sockaddr_in address = abi_ipv4_address(text, 0);
    CALL(bind(server, (struct sockaddr*)&address, sizeof address));
  } else {
    struct sockaddr_in6 address = abi_ipv6_address(text, 0);
    CALL(bind(server, (struct sockaddr*)&address, sizeof address));
  }
  CALL(listen(server, 8));
  return server;
}

static void wait_for_child(pid_t child) {
  int status = 0;
  CALL(waitpid(child, &status, 0) == child);
  printf("  child exit status: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void print_option(const char* label, int fd, int level, int option) {
  int value = -1;
  socklen_t length = sizeof value;
  CALL(getsockopt(fd, level, option, &value, &length));
  printf("  %s = %d (length %u)\n", label, value, length);
}

/* A forked client sends a request over 127.0.0.1 and reads the reply. */
static void serve_ipv4(void) {
  printf("-- server and client over 127.0.0.1\n");
  int server = listen_on(AF_INET, "127.0.0.1");
  uint16_t port = abi_local_port(server);
  FACT("listening port is nonzero", port != 0);
  FACT("listening port is ephemeral", port >= 32768 && port <= 60999);
  print_option("SO_ACCEPTCONN", server, SOL_SOCKET, SO_ACCEPTCONN);
  fflush(stdout);

  pid_t child = fork();
  if (child == 0) {
    int client = (int)CALL(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
    struct sockaddr_in address = abi_ipv4_address("127.0.0.1", port);
    CALL(connect(client, (struct sockaddr*)&address, sizeof address));
    struct sockaddr_in peer;
    socklen_t length = sizeof peer;
    CALL(getpeername(client, (struct sockaddr*)&peer, &length));
    printf("client: peer length %u, family %d\n", length, peer.sin_family);
    FACT("client: peer port is the server's", ntohs(peer.sin_port) == port);
    FACT("client: own port is nonzero", abi_local_port(client) != 0);
    abi_request_reply(client, "GET /fruit");
    CALL(close(client));
    fflush(stdout);
    _exit(0);
  }

  struct pollfd request = {.fd = server, .events = POLLIN};
  CALL(poll(&request, 1, 10000));
  printf("  revents %#x\n", request.revents);
  struct sockaddr_in peer;
  socklen_t peer_length = sizeof peer;
  int connection = (int)CALL(accept4(server, (struct sockaddr*)&peer, &peer_length, SOCK_CLOEXEC));
  char text[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
  printf("  peer length %u, family %d, address %s\n", peer_length, peer.sin_family, text);
  FACT("peer port is nonzero", peer.sin_port != 0);
  FACT("accepted getsockname port equals the port the client connected to",
       abi_local_port(connection) == port);
  char message[128];
  if (CALL(abi_read_all(connection, message, sizeof message)) >= 0) {
    printf("server: received \"%s\"\n", message);
  }
  const char reply[] = "200 apple";
  CALL(write(connection, reply, sizeof reply - 1));
  CALL(close(connection));
  wait_for_child(child);
  CALL(close(server));
}

/* A round trip over ::1 in one process, with a non-blocking connect. */
static void round_trip_ipv6(void) {
  printf("-- round trip over ::1\n");
  int server = listen_on(AF_INET6, "::1");
  uint16_t port = abi_local_port(server);
  int client = (int)CALL(socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0));
  struct sockaddr_in6 address = abi_ipv6_address("::1", port);
  long connected = connect(client, (struct sockaddr*)&address, sizeof address);
  FACT("non-blocking connect succeeds or is in progress",
       connected == 0 || (connected < 0 && errno == EINPROGRESS));
  struct pollfd writable = {.fd = client, .events = POLLOUT};
  CALL(poll(&writable, 1, 10000));
  printf("  revents %#x\n", writable.revents);
  print_option("SO_ERROR", client, SOL_SOCKET, SO_ERROR);

  struct sockaddr_in6 peer;
  socklen_t peer_length = sizeof peer;
  int connection = (int)CALL(accept(server, (struct sockaddr*)&peer, &peer_length));
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(AF_INET6, &peer.sin6_addr, text, sizeof text);
  printf("  peer length %u, family %d, address %s\n", peer_length, peer.sin6_family, text);
  FACT("peer port is the client's port", ntohs(peer.sin6_port) == abi_local_port(client));
  CALL(send(client, "kiwi", 4, 0));
  char buffer[16] = "";
  CALL(recv(connection, buffer, sizeof buffer - 1, 0));
  printf("  received \"%s\"\n", buffer);
  CALL(close(client));
  CALL(recv(connection, buffer, sizeof buffer - 1, 0));
  CALL(close(connection));
  CALL(close(server));
}

/* An IPv4 client reaches a listener on :: as ::ffff:127.0.0.1, unless the
 * listener sets IPV6_V6ONLY. */
static void ipv4_client_of_ipv6_listener(void) {
  printf("-- IPv4 client of a listener on ::\n");
  int server = (int)CALL(socket(AF_INET6, SOCK_STREAM, 0));
  print_option("IPV6_V6ONLY", server, IPPROTO_IPV6, IPV6_V6ONLY);
  struct sockaddr_in6 any = abi_ipv6_address("::", 0);
  CALL(bind(server, (struct sockaddr*)&any, sizeof any));
  CALL(listen(server, 8));
  uint16_t port = abi_local_port(server);

  int client = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  struct sockaddr_in address = abi_ipv4_address("127.0.0.1", port);
  CALL(connect(client, (struct sockaddr*)&address, sizeof address));
  struct sockaddr_in6 peer;
  socklen_t peer_length = sizeof peer;
  int connection = (int)CALL(accept(server, (struct sockaddr*)&peer, &peer_length));
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(AF_INET6, &peer.sin6_addr, text, sizeof text);
  printf("  peer length %u, family %d, address %s\n", peer_length, peer.sin6_family, text);
  struct sockaddr_in6 local;
  socklen_t local_length = sizeof local;
  CALL(getsockname(connection, (struct sockaddr*)&local, &local_length));
  inet_ntop(AF_INET6, &local.sin6_addr, text, sizeof text);
  printf("  accepted local length %u, address %s\n", local_length, text);
  CALL(close(connection));
  CALL(close(client));
  CALL(close(server));

  int only = (int)CALL(socket(AF_INET6, SOCK_STREAM, 0));
  int one = 1;
  CALL(setsockopt(only, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
  print_option("IPV6_V6ONLY", only, IPPROTO_IPV6, IPV6_V6ONLY);
  CALL(bind(only, (struct sockaddr*)&any, sizeof any));
  CALL(setsockopt(only, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
  CALL(listen(only, 8));
  client = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  address = abi_ipv4_address("127.0.0.1", abi_local_port(only));
  CALL(connect(client, (struct sockaddr*)&address, sizeof address));
  CALL(close(client));
  CALL(close(only));
}

static void bind_errors(void) {
  printf("-- bind and connect errors\n");
  int server = listen_on(AF_INET, "127.0.0.1");
  uint16_t port = abi_local_port(server);
  struct sockaddr_in taken = abi_ipv4_address("127.0.0.1", port);
  struct sockaddr_in taken_any = abi_ipv4_address("0.0.0.0", port);
  int other = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  CALL(bind(other, (struct sockaddr*)&taken, sizeof taken));
  CALL(bind(other, (struct sockaddr*)&taken_any, sizeof taken_any));
  int one = 1;
  CALL(setsockopt(other, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  CALL(bind(other, (struct sockaddr*)&taken, sizeof taken));

  /* TEST-NET-1 (RFC 5737) is never an address of this host. */
  struct sockaddr_in foreign = abi_ipv4_address("192.0.2.1", 0);
  CALL(bind(other, (struct sockaddr*)&foreign, sizeof foreign));
  CALL(bind(other, (struct sockaddr*)&foreign, sizeof foreign - 1));
  struct sockaddr_in6 wrong_family = abi_ipv6_address("::1", 0);
  CALL(bind(other, (struct sockaddr*)&wrong_family, sizeof wrong_family));
  struct sockaddr_in loopback = abi_ipv4_address("127.0.0.2", 0);
  CALL(bind(other, (struct sockaddr*)&loopback, sizeof loopback));
  CALL(bind(other, (struct sockaddr*)&loopback, sizeof loopback));
  FACT("bound to an ephemeral port", abi_local_port(other) != 0);
  CALL(close(other));

  int v6 = (int)CALL(socket(AF_INET6, SOCK_STREAM, 0));
  struct sockaddr_in6 foreign6 = abi_ipv6_address("2001:db8::1", 0);
  CALL(bind(v6, (struct sockaddr*)&foreign6, sizeof foreign6));
  CALL(bind(v6, (struct sockaddr*)&taken, sizeof taken));
  CALL(bind(v6, (struct sockaddr*)&foreign6, 23));
  CALL(close(v6));

  /* No socket listens on a port that was just bound and closed. */
  int closed = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  struct sockaddr_in ephemeral = abi_ipv4_address("127.0.0.1", 0);
  CALL(bind(closed, (struct sockaddr*)&ephemeral, sizeof ephemeral));
  struct sockaddr_in refused = abi_ipv4_address("127.0.0.1", abi_local_port(closed));
  CALL(close(closed));
  int client = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  CALL(connect(client, (struct sockaddr*)&refused, sizeof refused));
  CALL(connect(client, (struct sockaddr*)&refused, sizeof refused - 1));
  CALL(connect(client, (struct sockaddr*)&wrong_family, sizeof wrong_family));
  CALL(getpeername(client, (struct sockaddr*)&refused, &(socklen_t){sizeof refused}));
  CALL(connect(client, (struct sockaddr*)&taken, sizeof taken));
  CALL(connect(client, (struct sockaddr*)&taken, sizeof taken));
  CALL(close(client));
  CALL(connect(server, (struct sockaddr*)&taken, sizeof taken));
  CALL(close(server));
}

/* SO_REUSEADDR lets a new listener bind while a connection on its port
 * lingers, but two listeners on one port still conflict. */
static void reuse_address(void) {
  printf("-- SO_REUSEADDR\n");
  int one = 1;
  int server = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  CALL(setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  struct sockaddr_in address = abi_ipv4_address("127.0.0.1", 0);
  CALL(bind(server, (struct sockaddr*)&address, sizeof address));
  CALL(listen(server, 8));
  address.sin_port = htons(abi_local_port(server));

  int client = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  CALL(connect(client, (struct sockaddr*)&address, sizeof address));
  int connection = (int)CALL(accept(server, NULL, NULL));

  int second = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  CALL(setsockopt(second, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  CALL(bind(second, (struct sockaddr*)&address, sizeof address));
  CALL(close(second));
  CALL(close(server));

  int plain = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  CALL(bind(plain, (struct sockaddr*)&address, sizeof address));
  CALL(close(plain));
  int reusing = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  CALL(setsockopt(reusing, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  CALL(bind(reusing, (struct sockaddr*)&address, sizeof address));
  CALL(listen(reusing, 8));
  CALL(close(reusing));
  CALL(close(connection));
  CALL(close(client));
}

static void socket_options(void) {
  printf("-- socket options\n");
  int fd = (int)CALL(socket(AF_INET6, SOCK_STREAM, 0));
  print_option("SO_TYPE", fd, SOL_SOCKET, SO_TYPE);
  print_option("SO_DOMAIN", fd, SOL_SOCKET, SO_DOMAIN);
  print_option("SO_PROTOCOL", fd, SOL_SOCKET, SO_PROTOCOL);
  print_option("SO_ACCEPTCONN", fd, SOL_SOCKET, SO_ACCEPTCONN);
  print_option("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
  int one = 1;
  int options[][2] = {{SOL_SOCKET, SO_REUSEADDR},
                      {SOL_SOCKET, SO_REUSEPORT},
                      {SOL_SOCKET, SO_KEEPALIVE},
                      {IPPROTO_TCP, TCP_NODELAY}};
  const char* names[] = {"SO_REUSEADDR", "SO_REUSEPORT", "SO_KEEPALIVE", "TCP_NODELAY"};
  for (int index = 0; index < 4; ++index) {
    print_option(names[index], fd, options[index][0], options[index][1]);
    int five = 5;
    CALL(setsockopt(fd, options[index][0], options[index][1], &five, sizeof five));
    print_option(names[index], fd, options[index][0], options[index][1]);
  }
  int idle = 30;
  CALL(setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle));
  print_option("TCP_KEEPIDLE", fd, IPPROTO_TCP, TCP_KEEPIDLE);
  int zero = 0;
  CALL(setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &zero, sizeof zero));
  CALL(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, 2));
  CALL(socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){0, 0}));
  CALL(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
  CALL(socket(AF_INET, SOCK_SEQPACKET, 0));
  CALL(close(fd));

  int v4 = (int)CALL(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
  print_option("SO_DOMAIN", v4, SOL_SOCKET, SO_DOMAIN);
  struct sockaddr_in unbound;
  socklen_t length = sizeof unbound;
  CALL(getsockname(v4, (struct sockaddr*)&unbound, &length));
  printf("  unbound: length %u, family %d, port %d, address %#x\n", length, unbound.sin_family,
         ntohs(unbound.sin_port), ntohl(unbound.sin_addr.s_addr));
  CALL(listen(v4, 4));
  FACT("listen picks a port", abi_local_port(v4) != 0);
  CALL(accept(v4, NULL, NULL));
  char buffer[4];
  CALL(recv(v4, buffer, sizeof buffer, 0));
  CALL(send(v4, "a", 1, MSG_NOSIGNAL));
  CALL(shutdown(v4, SHUT_RDWR));
  CALL(close(v4));

  /* A socket that is neither connected nor listening. */
  int unconnected = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  CALL(send(unconnected, "a", 1, MSG_NOSIGNAL));
  CALL(recv(unconnected, buffer, sizeof buffer, MSG_DONTWAIT));
  CALL(read(unconnected, buffer, sizeof buffer));
  CALL(shutdown(unconnected, SHUT_RD));
  CALL(close(unconnected));
}

/* Bytes that nonblocking sends of 64 KiB queue on `fd` before EAGAIN. */
static long queue_until_full(int fd) {
  static char chunk[1 << 16];
  long total = 0;
  ssize_t sent;
  while ((sent = send(fd, chunk, sizeof chunk, MSG_DONTWAIT | MSG_NOSIGNAL)) > 0) {
    total += sent;
  }
  printf("  queue_until_full stopped with %s\n", strerrorname_np(errno));
  return total;
}

/* Linux grows the send buffer of a loopback connection to a few MiB, so a
 * single-threaded program can write a large request before it reads the
 * reply. A SO_SNDBUF that the program set stays as it is. */
static void send_buffer_growth(void) {
  printf("-- send buffer of a loopback connection\n");
  const long one_mebibyte = 1 << 20;
  int server = listen_on(AF_INET, "127.0.0.1");
  struct sockaddr_in address = abi_ipv4_address("127.0.0.1", abi_local_port(server));

  int client = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  print_option("SO_SNDBUF before connect", client, SOL_SOCKET, SO_SNDBUF);
  CALL(connect(client, (struct sockaddr*)&address, sizeof address));
  int accepted = (int)CALL(accept(server, NULL, NULL));
  int size = 0;
  socklen_t length = sizeof size;
  getsockopt(client, SOL_SOCKET, SO_SNDBUF, &size, &length);
  FACT("client SO_SNDBUF over 1 MiB after connect", size > one_mebibyte);
  getsockopt(accepted, SOL_SOCKET, SO_SNDBUF, &size, &length);
  FACT("accepted SO_SNDBUF over 1 MiB", size > one_mebibyte);
  FACT("a sender without a reader queues over 1 MiB", queue_until_full(client) > one_mebibyte);
  FACT("the accepted end queues over 1 MiB too", queue_until_full(accepted) > one_mebibyte);
  CALL(close(client));
  CALL(close(accepted));

  int fixed = (int)CALL(socket(AF_INET, SOCK_STREAM, 0));
  int requested = 65536;
  CALL(setsockopt(fixed, SOL_SOCKET, SO_SNDBUF, &requested, sizeof requested));
  CALL(connect(fixed, (struct sockaddr*)&address, sizeof address));
  accepted = (int)CALL(accept(server, NULL, NULL));
  print_option("SO_SNDBUF set before connect", fixed, SOL_SOCKET, SO_SNDBUF);
  FACT("a set SO_SNDBUF queues under 1 MiB", queue_until_full(fixed) < one_mebibyte);
  CALL(close(fixed));
  CALL(close(accepted));
  CALL(close(server));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  setvbuf(stdout, output_buffer, _IOFBF, sizeof output_buffer);
  serve_ipv4();
  round_trip_ipv6();
  ipv4_client_of_ipv6_listener();
  bind_errors();
  reuse_address();
  socket_options();
  send_buffer_growth();
  return 0;
}
