/* SCM_RIGHTS over Unix sockets. A passed descriptor names the same open
 * file description (shared offset). Also checked: MSG_CMSG_CLOEXEC,
 * MSG_CTRUNC when the control buffer is short, where a stream receive
 * stops around passed files, MSG_PEEK on a datagram with files, passing
 * to another process, SCM_CREDENTIALS, and bad control messages. */
#include "abi_socket.h"

#include <fcntl.h>
#include <sys/wait.h>

/* Sends `text` on `fd` with one SCM_RIGHTS message of `count` descriptors. */
static long send_with_files(int fd, const char* text, const int* files, int count) {
  union {
    char buffer[CMSG_SPACE(sizeof(int) * 8)];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct iovec vector = {(void*)text, strlen(text)};
  struct msghdr message = {.msg_iov = &vector,
                           .msg_iovlen = 1,
                           .msg_control = control.buffer,
                           .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count)};
  struct cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
  memcpy(CMSG_DATA(header), files, sizeof(int) * (size_t)count);
  return sendmsg(fd, &message, 0);
}

/* Receives on `fd` with `control_size` bytes of control buffer and
 * `flags`, prints the data, the flags and the control length, and stores
 * the passed descriptors in `files`. Returns how many arrived. */
static int receive_files(int fd, size_t control_size, int flags, int* files) {
  union {
    char buffer[CMSG_SPACE(sizeof(int) * 8)];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  char data[64] = {0};
  struct iovec vector = {data, sizeof data - 1};
  struct msghdr message = {.msg_iov = &vector,
                           .msg_iovlen = 1,
                           .msg_control = control_size != 0 ? control.buffer : NULL,
                           .msg_controllen = control_size};
  long count = CALL(recvmsg(fd, &message, flags));
  if (count < 0) {
    return 0;
  }
  printf("  data \"%s\", msg_flags %#x, msg_controllen %zu\n", data, message.msg_flags,
         (size_t)message.msg_controllen);
  int received = 0;
  for (struct cmsghdr* header = CMSG_FIRSTHDR(&message); header != NULL;
       header = CMSG_NXTHDR(&message, header)) {
    printf("  control message: level %d, type %d, length %zu\n", header->cmsg_level,
           header->cmsg_type, (size_t)header->cmsg_len);
    if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
      int number = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      memcpy(files + received, CMSG_DATA(header), sizeof(int) * (size_t)number);
      received += number;
    }
  }
  return received;
}

static void print_close_on_exec(const char* label, int fd) {
  int flags = fcntl(fd, F_GETFD);
  printf("  %s: close-on-exec %s\n", label, flags >= 0 && (flags & FD_CLOEXEC) ? "yes" : "no");
}

static void check_shared_description(void) {
  printf("-- a passed descriptor shares the open file description\n");
  int pair[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
  int file = (int)CALL(open("shared.txt", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  CALL(write(file, "0123456789", 10));
  CALL(lseek(file, 2, SEEK_SET));
  CALL(send_with_files(pair[0], "file", &file, 1));
  int received[8];
  if (receive_files(pair[1], sizeof(int) * 8 + 64, 0, received) == 1) {
    FACT("  a new descriptor number", received[0] != file);
    print_close_on_exec("without MSG_CMSG_CLOEXEC", received[0]);
    char buffer[4] = {0};
    CALL(read(received[0], buffer, 3));
    printf("  read \"%s\" from the passed descriptor\n", buffer);
    printf("  offset of the original: %ld\n", (long)lseek(file, 0, SEEK_CUR));
    CALL(close(received[0]));
  }

  CALL(send_with_files(pair[0], "again", &file, 1));
  if (receive_files(pair[1], CMSG_SPACE(sizeof(int)), MSG_CMSG_CLOEXEC, received) == 1) {
    print_close_on_exec("with MSG_CMSG_CLOEXEC", received[0]);
    CALL(close(received[0]));
  }
  CALL(close(file));
  CALL(unlink("shared.txt"));
  CALL(close(pair[0]));
  CALL(close(pair[1]));
}

static void check_truncation(void) {
  printf("-- a short control buffer\n");
  int pair[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
  int files[3] = {0, 1, 2};
  int received[8];
  CALL(send_with_files(pair[0], "three", files, 3));
  int count = receive_files(pair[1], CMSG_LEN(sizeof(int)), 0, received);
  printf("  %d descriptor received\n", count);
  for (int index = 0; index < count; ++index) {
    CALL(close(received[index]));
  }
  CALL(send_with_files(pair[0], "none", files, 2));
  count = receive_files(pair[1], 0, 0, received);
  printf("  %d descriptors received\n", count);
  CALL(send_with_files(pair[0], "header only", files, 1));
  count = receive_files(pair[1], sizeof(struct cmsghdr), 0, received);
  printf("  %d descriptors received\n", count);
  CALL(send_with_files(pair[0], "read", files, 1));
  char buffer[16] = {0};
  CALL(read(pair[1], buffer, sizeof buffer - 1));
  printf("  read(2) got \"%s\"\n", buffer);
  CALL(close(pair[0]));
  CALL(close(pair[1]));
}

static void check_stream_boundaries(void) {
  printf("-- stream receives around passed files\n");
  int pair[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
  int file = 0;
  int received[8];
  CALL(send_with_files(pair[0], "ab", &file, 1));
  CALL(send(pair[0], "cd", 2, 0));
  int count = receive_files(pair[1], CMSG_SPACE(sizeof(int)), 0, received);
  for (int index = 0; index < count; ++index) {
    CALL(close(received[index]));
  }
  count = receive_files(pair[1], CMSG_SPACE(sizeof(int)), 0, received);

  CALL(send(pair[0], "12", 2, 0));
  CALL(send_with_files(pair[0], "34", &file, 1));
  CALL(send(pair[0], "56", 2, 0));
  count = receive_files(pair[1], CMSG_SPACE(sizeof(int)), 0, received);
  for (int index = 0; index < count; ++index) {
    CALL(close(received[index]));
  }
  count = receive_files(pair[1], CMSG_SPACE(sizeof(int)), 0, received);
  CALL(close(pair[0]));
  CALL(close(pair[1]));
}

static void check_datagram(void) {
  printf("-- a datagram with files, peeked and received\n");
  int pair[2];
  CALL(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair));
  int files[2] = {1, 2};
  int received[8];
  CALL(send_with_files(pair[0], "datagram", files, 2));
  int count = receive_files(pair[1], CMSG_SPACE(sizeof(int) * 2), MSG_PEEK, received);
  for (int index = 0; index < count; ++index) {
    CALL(close(received[index]));
  }
  count = receive_files(pair[1], CMSG_SPACE(sizeof(int) * 2), 0, received);
  for (int index = 0; index < count; ++index) {
    CALL(close(received[index]));
  }
  CALL(close(pair[0]));
  CALL(close(pair[1]));
}

static void check_other_process(void) {
  printf("-- passing a pipe to another process\n");
  int pair[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    int received[8];
    int count = receive_files(pair[1], CMSG_SPACE(sizeof(int)), 0, received);
    if (count == 1) {
      CALL(write(received[0], "from the child", 14));
    }
    fflush(stdout);
    _exit(0);
  }
  /* The parent prints nothing until its child has exited, so the lines of
   * the two processes keep their order. */
  int pipe_ends[2];
  int piped = pipe(pipe_ends);
  long sent = send_with_files(pair[0], "pipe", &pipe_ends[1], 1);
  close(pipe_ends[1]);
  int status = 0;
  CALL(waitpid(child, &status, 0) == child);
  printf("  pipe -> %d, sendmsg -> %ld\n", piped, sent);
  char buffer[32] = {0};
  CALL(read(pipe_ends[0], buffer, sizeof buffer - 1));
  printf("  parent read \"%s\"\n", buffer);
  CALL(read(pipe_ends[0], buffer, sizeof buffer - 1));
  CALL(close(pipe_ends[0]));
  CALL(close(pair[0]));
  CALL(close(pair[1]));
}

/* Sends "x" with one control message of `level`, `type` and `length`
 * whose data is `data`. */
static long send_control(int fd, int level, int type, size_t length, const void* data,
                         size_t data_size) {
  union {
    char buffer[CMSG_SPACE(sizeof(int) * 300)];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct iovec vector = {"x", 1};
  struct msghdr message = {.msg_iov = &vector,
                           .msg_iovlen = 1,
                           .msg_control = control.buffer,
                           .msg_controllen = CMSG_SPACE(data_size)};
  struct cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = level;
  header->cmsg_type = type;
  header->cmsg_len = length;
  memcpy(CMSG_DATA(header), data, data_size);
  return sendmsg(fd, &message, 0);
}

static void check_errors(void) {
  printf("-- errors of control messages\n");
  int pair[2];
  CALL(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair));
  int bad = 999;
  CALL(send_control(pair[0], SOL_SOCKET, SCM_RIGHTS, CMSG_LEN(sizeof bad), &bad, sizeof bad));
  static int many[254];
  for (int index = 0; index < 254; ++index) {
    many[index] = 0;
  }
  CALL(send_control(pair[0], SOL_SOCKET, SCM_RIGHTS, CMSG_LEN(sizeof many), many, sizeof many));
  CALL(send_control(pair[0], SOL_SOCKET, SCM_RIGHTS, CMSG_LEN(sizeof(int) * 253), many,
                    sizeof(int) * 253));
  int zero = 0;
  CALL(send_control(pair[0], SOL_SOCKET, SCM_RIGHTS, CMSG_LEN(sizeof zero) + 64, &zero,
                    sizeof zero));
  CALL(send_control(pair[0], SOL_SOCKET, 77, CMSG_LEN(sizeof zero), &zero, sizeof zero));
  CALL(send_control(pair[0], 12345, 1, CMSG_LEN(sizeof zero), &zero, sizeof zero));
  CALL(send_control(pair[0], SOL_SOCKET, SCM_RIGHTS, CMSG_LEN(0), &zero, 0));
  struct ucred own = {.pid = getpid(), .uid = geteuid(), .gid = getegid()};
  CALL(send_control(pair[0], SOL_SOCKET, SCM_CREDENTIALS, CMSG_LEN(sizeof own), &own, sizeof own));
  struct ucred other = {.pid = 1, .uid = geteuid(), .gid = getegid()};
  CALL(send_control(pair[0], SOL_SOCKET, SCM_CREDENTIALS, CMSG_LEN(sizeof other), &other,
                    sizeof other));
  CALL(send_control(pair[0], SOL_SOCKET, SCM_CREDENTIALS, CMSG_LEN(4), &own, 4));
  int count = 0;
  int total = 0;
  do {
    int files[300];
    union {
      char buffer[CMSG_SPACE(sizeof(int) * 300)];
      struct cmsghdr align;
    } control;
    char data[8];
    struct iovec vector = {data, sizeof data};
    struct msghdr message = {.msg_iov = &vector,
                             .msg_iovlen = 1,
                             .msg_control = control.buffer,
                             .msg_controllen = sizeof control.buffer};
    if (recvmsg(pair[1], &message, MSG_DONTWAIT) < 0) {
      break;
    }
    count = 0;
    for (struct cmsghdr* header = CMSG_FIRSTHDR(&message); header != NULL;
         header = CMSG_NXTHDR(&message, header)) {
      if (header->cmsg_type == SCM_RIGHTS) {
        int number = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(files, CMSG_DATA(header), sizeof(int) * (size_t)number);
        for (int index = 0; index < number; ++index) {
          close(files[index]);
        }
        count += number;
      }
    }
    printf("  a datagram with %d descriptors\n", count);
    ++total;
  } while (total < 20);
  CALL(close(pair[0]));
  CALL(close(pair[1]));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  setvbuf(stdout, NULL, _IOLBF, 0);
  check_shared_description();
  check_truncation();
  check_stream_boundaries();
  check_datagram();
  check_other_process();
  check_errors();
  return 0;
}
