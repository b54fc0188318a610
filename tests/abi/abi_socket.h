/* Helpers shared by the socket programs of the ABI tests. */
#ifndef LITEBOX_TESTS_ABI_SOCKET_H
#define LITEBOX_TESTS_ABI_SOCKET_H

#include "abi.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Fills `address` with the path `path` and returns the length bind and
 * connect get: the family, the path and its NUL. */
static inline socklen_t abi_path_address(struct sockaddr_un* address, const char* path) {
  memset(address, 0, sizeof *address);
  address->sun_family = AF_UNIX;
  snprintf(address->sun_path, sizeof address->sun_path, "%s", path);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

/* Fills `address` with the abstract name NUL, `label`, ":", `scratch` and
 * returns its length, which has no terminating NUL. The scratch path keeps
 * the names of test runs from several build trees apart. */
static inline socklen_t abi_abstract_address(struct sockaddr_un* address, const char* label,
                                             const char* scratch) {
  memset(address, 0, sizeof *address);
  address->sun_family = AF_UNIX;
  int length =
      snprintf(address->sun_path + 1, sizeof address->sun_path - 1, "%s:%s", label, scratch);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)length);
}

/* The sockaddr_in of the IPv4 address `text` and `port`. */
static inline struct sockaddr_in abi_ipv4_address(const char* text, uint16_t port) {
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, text, &address.sin_addr);
  return address;
}

/* The sockaddr_in6 of the IPv6 address `text` and `port`. */
static inline struct sockaddr_in6 abi_ipv6_address(const char* text, uint16_t port) {
  struct sockaddr_in6 address;
  memset(&address, 0, sizeof address);
  address.sin6_family = AF_INET6;
  address.sin6_port = htons(port);
  inet_pton(AF_INET6, text, &address.sin6_addr);
  return address;
}

/* The port that getsockname reports for `fd`, in host byte order, or 0
 * when getsockname fails. */
static inline uint16_t abi_local_port(int fd) {
  struct sockaddr_storage address;
  socklen_t length = sizeof address;
  if (getsockname(fd, (struct sockaddr*)&address, &length) != 0) {
    return 0;
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(((struct sockaddr_in6*)&address)->sin6_port);
  }
  return ntohs(((struct sockaddr_in*)&address)->sin_port);
}

/* Reads from `fd` until end of file into `buffer` and terminates it with a
 * NUL. Returns the count, or -1 if a read fails. */
static inline long abi_read_all(int fd, char* buffer, size_t size) {
  size_t total = 0;
  while (total < size - 1) {
    long count = read(fd, buffer + total, size - 1 - total);
    if (count < 0) {
      return -1;
    }
    if (count == 0) {
      break;
    }
    total += (size_t)count;
  }
  buffer[total] = '\0';
  return (long)total;
}

/* Sends `request` on the connected socket `fd`, shuts down the sending
 * direction, then prints everything the peer sends back before it closes. */
static inline void abi_request_reply(int fd, const char* request) {
  CALL(write(fd, request, strlen(request)));
  CALL(shutdown(fd, SHUT_WR));
  char reply[128];
  if (CALL(abi_read_all(fd, reply, sizeof reply)) >= 0) {
    printf("client: received \"%s\"\n", reply);
  }
}

#endif
