/* Reads and writes larger than one internal chunk. A pipe read returns the
 * 64 KiB that wait without blocking for more. A datagram socket moves one
 * whole datagram per read, write, readv or writev. An inotify read of
 * exactly 64 KiB of events returns them. Also a send to a Unix datagram
 * socket that shut down reading, and closing a chain of 20,000 sockets,
 * each queued on the next with SCM_RIGHTS. */
#include "abi.h"

#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/uio.h>

static char buffer[300000];

static void pipe_read_of_full_pipe(void) {
  int ends[2];
  pipe(ends);
  memset(buffer, 'x', 65536);
  CALL(write(ends[1], buffer, 65536));
  CALL(read(ends[0], buffer, 131072));
  close(ends[0]);
  close(ends[1]);
}

static void datagram_boundaries(void) {
  int pair[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, pair);
  int size = 300000;
  setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  setsockopt(pair[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);

  memset(buffer, 'y', 100000);
  CALL(write(pair[0], buffer, 100000));
  CALL(recv(pair[1], buffer, sizeof buffer, MSG_DONTWAIT));

  struct iovec parts[2] = {{buffer, 10}, {buffer + 10, 20}};
  CALL(writev(pair[0], parts, 2));
  CALL(recv(pair[1], buffer, sizeof buffer, MSG_DONTWAIT));

  CALL(send(pair[0], buffer, 100000, 0));
  CALL(send(pair[0], buffer, 5, 0));
  CALL(read(pair[1], buffer, sizeof buffer));
  CALL(recv(pair[1], buffer, sizeof buffer, MSG_DONTWAIT));

  CALL(shutdown(pair[1], SHUT_RD));
  CALL(send(pair[0], buffer, 1, MSG_DONTWAIT | MSG_NOSIGNAL));
  close(pair[0]);
  close(pair[1]);
}

static void inotify_read_of_64_kib(void) {
  int file = open("watched", O_CREAT | O_RDWR | O_TRUNC, 0644);
  int instance = inotify_init();
  inotify_add_watch(instance, "watched", IN_MODIFY | IN_ACCESS);
  char byte = 'a';
  /* 4096 alternating events of 16 bytes each: exactly 64 KiB. */
  for (int i = 0; i < 2048; ++i) {
    pwrite(file, &byte, 1, 0);
    pread(file, &byte, 1, 0);
  }
  alarm(5);
  CALL(read(instance, buffer, 131072));
  alarm(0);
  close(instance);
  close(file);
}

static void send_descriptor(int socket, int descriptor) {
  char byte = 'x';
  struct iovec data = {&byte, 1};
  union {
    struct cmsghdr header;
    char bytes[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr message = {.msg_iov = &data,
                           .msg_iovlen = 1,
                           .msg_control = control.bytes,
                           .msg_controllen = sizeof control.bytes};
  struct cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(header), &descriptor, sizeof descriptor);
  if (sendmsg(socket, &message, 0) < 0) {
    printf("sendmsg -> %s\n", strerrorname_np(errno));
  }
}

static void close_socket_chain(void) {
  int head = -1;
  for (int depth = 0; depth < 20000; ++depth) {
    int pair[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, pair);
    if (head >= 0) {
      send_descriptor(pair[0], head);
      close(head);
    }
    close(pair[0]);
    head = pair[1];
  }
  CALL(close(head));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  pipe_read_of_full_pipe();
  datagram_boundaries();
  inotify_read_of_64_kib();
  close_socket_chain();
  return 0;
}
