/* A Unix-domain stream server and its clients in separate processes. They
 * meet over a path in a directory the program makes and removes, and over
 * an abstract name. A signal interrupts or restarts a blocking accept, and
 * a blocking connect waits for room in the backlog.
 *
 * The parent's stdout is fully buffered and flushed only after it has
 * waited for its child, so the child's lines come first in both runs. */
#include "abi_socket.h"

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

static char output_buffer[1 << 16];
static const char* scratch_path;

static void sleep_milliseconds(long milliseconds) {
  struct timespec duration = {milliseconds / 1000, (milliseconds % 1000) * 1000000};
  nanosleep(&duration, NULL);
}

static void report_peer_pid(const char* label, int fd, pid_t expected) {
  struct ucred peer;
  socklen_t length = sizeof peer;
  CALL(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length));
  FACT(label, peer.pid == expected);
}

static void finish_child(void) {
  fflush(stdout);
  _exit(0);
}

static void wait_for_child(pid_t child) {
  int status = 0;
  CALL(waitpid(child, &status, 0) == child);
  printf("  child exit status: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* The child connects to a path that the parent listens on. The parent
 * waits in poll for the connection, reads the request until the client
 * shuts down its side, and then replies. */
static void serve_over_path(void) {
  printf("-- server on a path\n");
  CALL(mkdir("run", 0755));
  struct sockaddr_un address;
  socklen_t length = abi_path_address(&address, "run/server.sock");
  int server = (int)CALL(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  CALL(bind(server, (struct sockaddr*)&address, length));
  CALL(listen(server, 4));
  fflush(stdout);

  pid_t parent = getpid();
  pid_t child = fork();
  if (child == 0) {
    int client = (int)CALL(socket(AF_UNIX, SOCK_STREAM, 0));
    CALL(connect(client, (struct sockaddr*)&address, length));
    report_peer_pid("client: peer is the server process", client, parent);
    abi_request_reply(client, "hello from the client");
    CALL(close(client));
    finish_child();
  }

  struct pollfd request = {.fd = server, .events = POLLIN};
  CALL(poll(&request, 1, 10000));
  printf("  revents %#x\n", request.revents);
  struct sockaddr_un peer;
  socklen_t peer_length = sizeof peer;
  int connection = (int)CALL(accept(server, (struct sockaddr*)&peer, &peer_length));
  printf("  peer address length %u, family %d\n", peer_length, peer.sun_family);
  report_peer_pid("server: peer is the client process", connection, child);
  char message[128];
  if (CALL(abi_read_all(connection, message, sizeof message)) >= 0) {
    printf("server: received \"%s\"\n", message);
  }
  char reply[160];
  int reply_length = snprintf(reply, sizeof reply, "you said: %s", message);
  CALL(write(connection, reply, (size_t)reply_length));
  CALL(close(connection));
  wait_for_child(child);

  CALL(close(server));
  CALL(unlink("run/server.sock"));
  CALL(rmdir("run"));
}

/* The child serves on an abstract name and the parent connects once the
 * child reports through a pipe that it listens. */
static void serve_over_abstract_name(void) {
  printf("-- server on an abstract name\n");
  struct sockaddr_un address;
  socklen_t length = abi_abstract_address(&address, "server", scratch_path);
  int ready[2];
  CALL(pipe(ready));
  fflush(stdout);

  pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    int server = (int)CALL(socket(AF_UNIX, SOCK_STREAM, 0));
    CALL(bind(server, (struct sockaddr*)&address, length));
    CALL(listen(server, 1));
    CALL(write(ready[1], "r", 1));
    int connection = (int)CALL(accept4(server, NULL, NULL, SOCK_CLOEXEC));
    struct sockaddr_un local;
    socklen_t local_length = sizeof local;
    CALL(getsockname(connection, (struct sockaddr*)&local, &local_length));
    FACT("server: accepted end has the listener's name",
         local_length == length && memcmp(&local, &address, length) == 0);
    char message[64];
    if (CALL(abi_read_all(connection, message, sizeof message)) >= 0) {
      printf("server: received \"%s\"\n", message);
    }
    CALL(close(connection));
    CALL(close(server));
    finish_child();
  }

  CALL(close(ready[1]));
  char byte;
  CALL(read(ready[0], &byte, 1));
  int client = (int)CALL(socket(AF_UNIX, SOCK_STREAM, 0));
  CALL(connect(client, (struct sockaddr*)&address, length));
  struct sockaddr_un peer;
  socklen_t peer_length = sizeof peer;
  CALL(getpeername(client, (struct sockaddr*)&peer, &peer_length));
  FACT("client: peer has the listener's name",
       peer_length == length && memcmp(&peer, &address, length) == 0);
  CALL(send(client, "over the abstract name", 22, 0));
  CALL(close(client));
  CALL(close(ready[0]));
  wait_for_child(child);

  /* The name went away with the child's listener. */
  client = (int)CALL(socket(AF_UNIX, SOCK_STREAM, 0));
  CALL(connect(client, (struct sockaddr*)&address, length));
  CALL(close(client));
}

static volatile sig_atomic_t alarms;
/* The write end of a pipe that the handler reports each alarm to, or -1. */
static volatile sig_atomic_t alarm_pipe = -1;

static void count_alarm(int signal) {
  (void)signal;
  alarms++;
  if (alarm_pipe >= 0) {
    (void)!write(alarm_pipe, "a", 1);
  }
}

static void arm_alarm(int flags) {
  struct sigaction action = {.sa_handler = count_alarm, .sa_flags = flags};
  sigemptyset(&action.sa_mask);
  sigaction(SIGALRM, &action, NULL);
  struct itimerval timer = {.it_value = {0, 100000}};
  setitimer(ITIMER_REAL, &timer, NULL);
}

/* A blocking accept returns EINTR when a handler without SA_RESTART runs,
 * and goes on waiting after one with SA_RESTART. The child connects only
 * once the handler has run, so the order does not depend on timing. */
static void interrupt_accept(void) {
  printf("-- accept and signals\n");
  struct sockaddr_un address;
  socklen_t length = abi_abstract_address(&address, "interrupted", scratch_path);
  int server = (int)CALL(socket(AF_UNIX, SOCK_STREAM, 0));
  CALL(bind(server, (struct sockaddr*)&address, length));
  CALL(listen(server, 1));

  alarms = 0;
  arm_alarm(0);
  CALL(accept(server, NULL, NULL));
  printf("  alarms %d\n", (int)alarms);
  int alarm_reports[2];
  CALL(pipe(alarm_reports));
  fflush(stdout);

  pid_t child = fork();
  if (child == 0) {
    close(alarm_reports[1]);
    char report;
    CALL(read(alarm_reports[0], &report, 1));
    int client = socket(AF_UNIX, SOCK_STREAM, 0);
    CALL(connect(client, (struct sockaddr*)&address, length));
    CALL(close(client));
    finish_child();
  }
  CALL(close(alarm_reports[0]));
  alarm_pipe = alarm_reports[1];
  alarms = 0;
  arm_alarm(SA_RESTART);
  int connection = accept(server, NULL, NULL);
  FACT("accept after a restarted wait returned a socket", connection >= 0);
  printf("  alarms %d\n", (int)alarms);
  CALL(close(connection));
  wait_for_child(child);
  signal(SIGALRM, SIG_DFL);
  alarm_pipe = -1;
  CALL(close(alarm_reports[1]));
  CALL(close(server));
}

/* With the backlog full, a blocking connect waits until the server
 * accepts a connection. */
static void wait_for_backlog_room(void) {
  printf("-- connect waits for room in the backlog\n");
  struct sockaddr_un address;
  socklen_t length = abi_abstract_address(&address, "backlog", scratch_path);
  int server = (int)CALL(socket(AF_UNIX, SOCK_STREAM, 0));
  CALL(bind(server, (struct sockaddr*)&address, length));
  CALL(listen(server, 0));
  int first = (int)CALL(socket(AF_UNIX, SOCK_STREAM, 0));
  CALL(connect(first, (struct sockaddr*)&address, length));
  CALL(write(first, "first", 5));
  fflush(stdout);

  pid_t child = fork();
  if (child == 0) {
    int client = socket(AF_UNIX, SOCK_STREAM, 0);
    CALL(connect(client, (struct sockaddr*)&address, length));
    CALL(write(client, "second", 6));
    CALL(close(client));
    finish_child();
  }

  sleep_milliseconds(300);
  int status = 0;
  FACT("child still waits in connect", waitpid(child, &status, WNOHANG) == 0);
  char message[32];
  for (int i = 0; i < 2; ++i) {
    int connection = (int)CALL(accept(server, NULL, NULL));
    long count = CALL(read(connection, message, sizeof message - 1));
    if (count >= 0) {
      message[count] = '\0';
      printf("  received \"%s\"\n", message);
    }
    CALL(close(connection));
  }
  wait_for_child(child);
  CALL(close(first));
  CALL(close(server));
}

/* Several client processes connect at once through a small backlog, so
 * connects block and wake across processes. Every connection arrives. */
static void serve_many_clients(void) {
  printf("-- many clients\n");
  enum { client_count = 4, connections_per_client = 25 };
  struct sockaddr_un address;
  socklen_t length = abi_abstract_address(&address, "many", scratch_path);
  int server = (int)CALL(socket(AF_UNIX, SOCK_STREAM, 0));
  CALL(bind(server, (struct sockaddr*)&address, length));
  CALL(listen(server, 1));
  fflush(stdout);

  pid_t children[client_count];
  for (int i = 0; i < client_count; ++i) {
    children[i] = fork();
    if (children[i] == 0) {
      int failures = 0;
      for (int j = 0; j < connections_per_client; ++j) {
        int client = socket(AF_UNIX, SOCK_STREAM, 0);
        char id = (char)('a' + i);
        if (connect(client, (struct sockaddr*)&address, length) != 0 ||
            write(client, &id, 1) != 1) {
          failures++;
        }
        close(client);
      }
      _exit(failures == 0 ? 0 : 1);
    }
  }

  int received[client_count] = {0};
  for (int j = 0; j < client_count * connections_per_client; ++j) {
    int connection = accept(server, NULL, NULL);
    char id = 0;
    if (connection >= 0 && read(connection, &id, 1) == 1 && id >= 'a' && id < 'a' + client_count) {
      received[id - 'a']++;
    }
    close(connection);
  }
  for (int i = 0; i < client_count; ++i) {
    printf("  client %d: %d connections\n", i, received[i]);
    wait_for_child(children[i]);
  }
  CALL(close(server));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  scratch_path = argv[1];
  setvbuf(stdout, output_buffer, _IOFBF, sizeof output_buffer);
  serve_over_path();
  serve_over_abstract_name();
  interrupt_accept();
  wait_for_backlog_room();
  serve_many_clients();
  return 0;
}
