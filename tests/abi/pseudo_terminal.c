/* Pseudo-terminals (pty(7)): posix_openpt, grantpt, unlockpt, ptsname,
 * TIOCGPTN, TIOCSPTLCK, TIOCGPTPEER and openpty(3); a child in a new
 * session that takes the replica as its controlling terminal; canonical
 * input with echo, ERASE, WERASE, KILL and EOF; ISIG characters that signal
 * the foreground group; raw mode with VMIN and VTIME; the window size and
 * SIGWINCH; and the primary's POLLHUP and EIO after the replica's last
 * close, and the replica's hang-up after the primary's.
 *
 * The parent drives the child through the primary side: the child prints a
 * prompt ending in "> " before each read, and the parent writes the next
 * input only once it has read the prompt, so echo and output come in one
 * order. Every byte the primary reads is printed with C escapes. Index
 * numbers and pids differ between runs, so only facts about them are
 * printed. */
#include "abi.h"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>

/* Prints `data` as a C string literal. */
static void print_escaped(const char* label, const char* data, size_t length) {
  printf("%s: \"", label);
  for (size_t i = 0; i < length; ++i) {
    unsigned char c = (unsigned char)data[i];
    if (c == '\n') {
      printf("\\n");
    } else if (c == '\r') {
      printf("\\r");
    } else if (c == '\\' || c == '"') {
      printf("\\%c", c);
    } else if (c < 0x20 || c >= 0x7f) {
      printf("\\x%02x", c);
    } else {
      putchar(c);
    }
  }
  printf("\"\n");
}

/* Reads from the primary until what was read ends with `marker`, the end
 * of file or an error, and prints what was read. Returns the last read's
 * result. */
static long read_until(int primary, const char* marker) {
  char buffer[4096];
  size_t length = 0;
  long result = 0;
  while (length < sizeof buffer - 1) {
    result = read(primary, buffer + length, sizeof buffer - 1 - length);
    if (result <= 0) {
      break;
    }
    length += (size_t)result;
    buffer[length] = '\0';
    size_t marker_length = strlen(marker);
    if (marker_length != 0 && length >= marker_length &&
        strcmp(buffer + length - marker_length, marker) == 0) {
      break;
    }
  }
  print_escaped("read", buffer, length);
  if (result < 0) {
    printf("read ended with %s\n", strerrorname_np(errno));
  } else if (result == 0) {
    printf("read ended with end of file\n");
  }
  return result;
}

static void send_input(int primary, const char* input) {
  size_t length = strlen(input);
  if (write(primary, input, length) != (ssize_t)length) {
    printf("write to the primary failed: %s\n", strerrorname_np(errno));
  }
}

static void report_status(const char* label, int status) {
  if (WIFEXITED(status)) {
    printf("%s: exited with %d\n", label, WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    printf("%s: killed by %s\n", label, sigabbrev_np(WTERMSIG(status)));
  } else {
    printf("%s: status %#x\n", label, status);
  }
}

/* Opens a new pair: the primary in *primary, the replica's path in
 * `name`. */
static int open_pair(int* primary, char* name, size_t size) {
  *primary = posix_openpt(O_RDWR | O_NOCTTY);
  if (*primary < 0 || grantpt(*primary) != 0 || unlockpt(*primary) != 0 ||
      ptsname_r(*primary, name, size) != 0) {
    printf("opening a pair failed: %s\n", strerrorname_np(errno));
    return -1;
  }
  return 0;
}

static void test_pair(void) {
  int primary = CALL(posix_openpt(O_RDWR | O_NOCTTY));
  int locked = -1;
  CALL(ioctl(primary, TIOCGPTLCK, &locked));
  printf("locked at first: %d\n", locked);
  unsigned int index = 0;
  CALL(ioctl(primary, TIOCGPTN, &index));
  char name[64];
  CALL(ptsname_r(primary, name, sizeof name));
  char expected[64];
  snprintf(expected, sizeof expected, "/dev/pts/%u", index);
  FACT("ptsname is /dev/pts/N with N from TIOCGPTN", strcmp(name, expected) == 0);

  CALL(open(name, O_RDWR | O_NOCTTY));
  CALL(ioctl(primary, TIOCGPTPEER, O_RDWR | O_NOCTTY));
  CALL(grantpt(primary));
  CALL(unlockpt(primary));
  CALL(ioctl(primary, TIOCGPTLCK, &locked));
  printf("locked after unlockpt: %d\n", locked);

  int replica = CALL(open(name, O_RDWR | O_NOCTTY));
  int peer = CALL(ioctl(primary, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  FACT("isatty(primary)", isatty(primary));
  FACT("isatty(replica)", isatty(replica));
  CALL(ioctl(replica, TIOCGPTN, &index));
  CALL(fcntl(peer, F_GETFD));

  struct stat by_path, by_descriptor, by_peer, multiplexer;
  CALL(stat(name, &by_path));
  CALL(fstat(replica, &by_descriptor));
  CALL(fstat(peer, &by_peer));
  CALL(fstat(primary, &multiplexer));
  FACT("replica is a character device", S_ISCHR(by_descriptor.st_mode));
  FACT("replica device is 136:N",
       major(by_descriptor.st_rdev) == 136 && minor(by_descriptor.st_rdev) == index);
  FACT("fstat matches stat of the path",
       by_path.st_ino == by_descriptor.st_ino && by_path.st_rdev == by_descriptor.st_rdev);
  FACT("TIOCGPTPEER opens the same replica", by_peer.st_rdev == by_descriptor.st_rdev);
  FACT("replica belongs to the caller", by_path.st_uid == getuid());
  FACT("primary is /dev/ptmx (5:2)",
       major(multiplexer.st_rdev) == 5 && minor(multiplexer.st_rdev) == 2);
  char* tty_name = ttyname(replica);
  FACT("ttyname(replica) is the ptsname", tty_name != NULL && strcmp(tty_name, name) == 0);
  tty_name = ttyname(peer);
  FACT("ttyname(peer) is the ptsname", tty_name != NULL && strcmp(tty_name, name) == 0);

  struct termios settings;
  CALL(tcgetattr(replica, &settings));
  printf("replica iflag %o oflag %o cflag %o lflag %o\n", settings.c_iflag, settings.c_oflag,
         settings.c_cflag, settings.c_lflag);
  printf("replica c_cc:");
  for (int i = 0; i < 17; ++i) {
    printf(" %d", settings.c_cc[i]);
  }
  printf("\n");
  CALL(tcgetattr(primary, &settings));
  printf("primary iflag %o oflag %o cflag %o lflag %o\n", settings.c_iflag, settings.c_oflag,
         settings.c_cflag, settings.c_lflag);
  /* The primary's settings are the replica's. */
  settings.c_lflag &= ~(tcflag_t)ECHO;
  CALL(tcsetattr(primary, TCSANOW, &settings));
  CALL(tcgetattr(replica, &settings));
  FACT("ECHO cleared through the primary", (settings.c_lflag & ECHO) == 0);

  /* Without a controlling terminal, the job-control requests fail on the
   * replica; the primary reads the replica's state without one. */
  pid_t group = -1;
  CALL(ioctl(replica, TIOCGPGRP, &group));
  CALL(ioctl(replica, TIOCGSID, &group));
  CALL(ioctl(primary, TIOCGPGRP, &group));
  printf("foreground group without a session: %d\n", group);
  CALL(ioctl(primary, TIOCGSID, &group));
  CALL(ioctl(replica, TIOCSCTTY, 0));

  /* A long line with echo off: Linux keeps at most 4095 bytes of it,
   * the last of them the newline. */
  char long_line[5001];
  memset(long_line, 'x', sizeof long_line);
  long_line[sizeof long_line - 2] = '\n';
  long_line[sizeof long_line - 1] = '\0';
  send_input(primary, long_line);
  struct pollfd poll_replica = {.fd = replica, .events = POLLIN};
  CALL(poll(&poll_replica, 1, 1000));
  char line[8192];
  long count = CALL(read(replica, line, sizeof line));
  if (count > 0) {
    printf("last byte %02x\n", (unsigned char)line[count - 1]);
  }

  /* Raw transfer both ways. */
  cfmakeraw(&settings);
  CALL(tcsetattr(replica, TCSANOW, &settings));
  CALL(write(primary, "ping\r", 5));
  CALL(poll(&poll_replica, 1, 1000));
  char buffer[64];
  int available = -1;
  CALL(ioctl(replica, FIONREAD, &available));
  printf("FIONREAD of the replica: %d\n", available);
  count = CALL(read(replica, buffer, sizeof buffer));
  if (count > 0) {
    print_escaped("replica read", buffer, (size_t)count);
  }
  CALL(write(replica, "pong\n", 5));
  count = CALL(read(primary, buffer, sizeof buffer));
  if (count > 0) {
    print_escaped("primary read", buffer, (size_t)count);
  }
  close(peer);
  close(replica);
  close(primary);
  CALL(stat(name, &by_path));

  int opened_primary = -1, opened_replica = -1;
  char opened_name[64];
  CALL(openpty(&opened_primary, &opened_replica, opened_name, NULL, NULL));
  tty_name = ttyname(opened_replica);
  FACT("openpty names the replica", tty_name != NULL && strcmp(tty_name, opened_name) == 0);
  close(opened_primary);
  close(opened_replica);
}

static void on_signal(int signal) {
  char line[32];
  int length = snprintf(line, sizeof line, "[%s]\n", sigabbrev_np(signal));
  (void)!write(1, line, (size_t)length);
}

/* Makes the replica `name` the controlling terminal of a new session and
 * the standard streams. */
static void become_terminal_session(const char* name) {
  if (setsid() < 0) {
    perror("setsid");
    _exit(2);
  }
  int replica = open(name, O_RDWR);
  if (replica < 0) {
    perror(name);
    _exit(2);
  }
  dup2(replica, 0);
  dup2(replica, 1);
  dup2(replica, 2);
  if (replica > 2) {
    close(replica);
  }
}

static void catch_signal(int signal) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigaction(signal, &action, NULL);
}

/* The child of the canonical and signal tests: reads lines and reports
 * them until a read returns 0 twice in a row. */
static void serve_lines(void) {
  catch_signal(SIGINT);
  catch_signal(SIGQUIT);
  catch_signal(SIGTSTP);
  setvbuf(stdout, NULL, _IONBF, 0);

  printf("session leader %d, foreground %d, sid %d\n", getsid(0) == getpid(),
         tcgetpgrp(0) == getpid(), tcgetsid(0) == getpid());
  int tty = open("/dev/tty", O_RDWR);
  printf("/dev/tty opens: %d\n", tty >= 0);
  if (tty >= 0) {
    struct stat terminal, controlling;
    fstat(0, &terminal);
    fstat(tty, &controlling);
    printf("/dev/tty is 5:0: %d\n",
           major(controlling.st_rdev) == 5 && minor(controlling.st_rdev) == 0);
    (void)!write(tty, "via /dev/tty\n", 13);
    close(tty);
  }
  /* The terminal's signals stay blocked except inside ppoll, so one that
   * comes before the wait still ends it, and never a read. */
  sigset_t terminal_signals, during_wait;
  sigemptyset(&terminal_signals);
  sigaddset(&terminal_signals, SIGINT);
  sigaddset(&terminal_signals, SIGQUIT);
  sigaddset(&terminal_signals, SIGTSTP);
  sigprocmask(SIG_BLOCK, &terminal_signals, &during_wait);
  int ends_of_file = 0;
  while (ends_of_file < 2) {
    printf("> ");
    struct pollfd input = {.fd = 0, .events = POLLIN};
    if (ppoll(&input, 1, NULL, &during_wait) < 0) {
      printf("wait failed: %s\n", strerrorname_np(errno));
      continue;
    }
    char buffer[256];
    ssize_t count = read(0, buffer, sizeof buffer);
    if (count < 0) {
      printf("read failed: %s\n", strerrorname_np(errno));
      continue;
    }
    ends_of_file = count == 0 ? ends_of_file + 1 : 0;
    printf("got %zd:", count);
    for (ssize_t i = 0; i < count; ++i) {
      printf(" %02x", (unsigned char)buffer[i]);
    }
    printf("\n");
  }
  _exit(7);
}

/* Forks a child whose session the replica of a new pair controls and
 * which then runs `serve`. Returns the child's pid, or -1. */
static pid_t start_terminal_child(int* primary, void (*serve)(void)) {
  char name[64];
  if (open_pair(primary, name, sizeof name) != 0) {
    return -1;
  }
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    close(*primary);
    become_terminal_session(name);
    serve();
  }
  return child;
}

static void test_canonical(void) {
  int primary;
  pid_t child = start_terminal_child(&primary, serve_lines);
  if (child < 0) {
    return;
  }

  read_until(primary, "> ");
  pid_t group = -1;
  CALL(ioctl(primary, TIOCGPGRP, &group));
  FACT("the child's group is in the foreground", group == child);
  CALL(ioctl(primary, TIOCGSID, &group));
  FACT("the child's session controls the terminal", group == child);

  const char* inputs[] = {
      "hello\r", /* ICRNL, echo with ONLCR */
      "abx\x7f"
      "c\n",                /* ERASE */
      "junk\x15ok\n",       /* KILL */
      "one two\x17three\n", /* WERASE */
      "part\x04",           /* EOF ends the line without a newline */
      "\x04",               /* EOF at the line start: end of file */
      "\x01\t\x7f\x7fz\n",  /* ECHOCTL, and erasing a tab and a ^A */
      "\x16\x03lit\n",      /* LNEXT makes ^C data */
      "abc\x03",            /* INTR flushes the line and signals */
      "\x1c",               /* QUIT */
      "\x1a",               /* SUSP */
  };
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; ++i) {
    send_input(primary, inputs[i]);
    read_until(primary, "> ");
  }
  /* Closing the primary hangs the replica up: the session leader gets
   * SIGHUP, which ends it. */
  close(primary);
  int status = 0;
  waitpid(child, &status, 0);
  report_status("canonical child", status);
}

/* The child of the raw-mode test. */
static void serve_raw(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct termios settings;
  tcgetattr(0, &settings);
  cfmakeraw(&settings);
  tcsetattr(0, TCSANOW, &settings);
  printf("raw> ");
  char buffer[64];
  ssize_t count = read(0, buffer, sizeof buffer);
  printf("got %zd:", count);
  for (ssize_t i = 0; i < count; ++i) {
    printf(" %02x", (unsigned char)buffer[i]);
  }
  printf("\nnext> ");

  /* VMIN 3: one read collects three bytes that come one by one. */
  settings.c_cc[VMIN] = 3;
  settings.c_cc[VTIME] = 0;
  tcsetattr(0, TCSANOW, &settings);
  count = read(0, buffer, sizeof buffer);
  printf("VMIN 3 got %zd\nnext> ", count);

  /* VMIN 0, VTIME 0: a read returns at once. */
  settings.c_cc[VMIN] = 0;
  tcsetattr(0, TCSANOW, &settings);
  count = read(0, buffer, sizeof buffer);
  printf("VMIN 0 VTIME 0 got %zd\n", count);
  /* VMIN 0, VTIME 1: a read waits a tenth of a second. */
  settings.c_cc[VTIME] = 1;
  tcsetattr(0, TCSANOW, &settings);
  count = read(0, buffer, sizeof buffer);
  printf("VMIN 0 VTIME 1 got %zd\n", count);

  /* SIGWINCH for a new window size. The signal stays blocked until the
   * child waits for it, so it cannot come before the wait. */
  catch_signal(SIGWINCH);
  sigset_t window_change, previous;
  sigemptyset(&window_change);
  sigaddset(&window_change, SIGWINCH);
  sigprocmask(SIG_BLOCK, &window_change, &previous);
  printf("winch> ");
  sigsuspend(&previous);
  struct winsize size;
  ioctl(0, TIOCGWINSZ, &size);
  printf("size %dx%d\n", size.ws_row, size.ws_col);
  _exit(5);
}

static void test_raw(void) {
  int primary;
  pid_t child = start_terminal_child(&primary, serve_raw);
  if (child < 0) {
    return;
  }
  read_until(primary, "raw> ");
  send_input(primary, "a\rb\x03\x7f");
  read_until(primary, "next> ");
  send_input(primary, "1");
  usleep(20000);
  send_input(primary, "2");
  usleep(20000);
  send_input(primary, "3");
  read_until(primary, "winch> ");
  struct winsize size = {.ws_row = 24, .ws_col = 80};
  CALL(ioctl(primary, TIOCSWINSZ, &size));
  size.ws_row = 0;
  CALL(ioctl(primary, TIOCGWINSZ, &size));
  printf("primary window %dx%d\n", size.ws_row, size.ws_col);

  /* The child's exit closes the replica: the primary reports POLLHUP,
   * reads the rest and then fails with EIO. */
  int status = 0;
  waitpid(child, &status, 0);
  report_status("raw child", status);
  struct pollfd poll_primary = {.fd = primary, .events = POLLIN};
  CALL(poll(&poll_primary, 1, 1000));
  printf("primary events after the replica's close: %#x\n", poll_primary.revents);
  read_until(primary, "");
  close(primary);
}

/* The child of the interrupt test: it and a grandchild in its group wait
 * for signals without handlers. */
static void serve_interrupt(void) {
  pid_t grandchild = fork();
  if (grandchild == 0) {
    pause();
    _exit(0);
  }
  printf("ready> ");
  fflush(stdout);
  int status = 0;
  waitpid(grandchild, &status, 0);
  printf("grandchild %s\n", WIFSIGNALED(status) ? sigabbrev_np(WTERMSIG(status)) : "exited");
  fflush(stdout);
  pause();
  _exit(0);
}

/* A child without a handler dies from the INTR character, and a
 * grandchild in its group too. The primary then reads EIO. */
static void test_interrupt_kills(void) {
  int primary;
  pid_t child = start_terminal_child(&primary, serve_interrupt);
  if (child < 0) {
    return;
  }
  read_until(primary, "ready> ");
  usleep(50000);
  send_input(primary, "\x03");
  int status = 0;
  waitpid(child, &status, 0);
  report_status("interrupted child", status);
  read_until(primary, "");

  /* The replica of a closed primary reads end of file and fails writes. */
  char name[64];
  int other;
  if (open_pair(&other, name, sizeof name) != 0) {
    return;
  }
  int replica = CALL(open(name, O_RDWR | O_NOCTTY));
  CALL(close(other));
  struct pollfd poll_replica = {.fd = replica, .events = POLLIN | POLLOUT};
  CALL(poll(&poll_replica, 1, 0));
  printf("replica events after the primary's close: %#x\n", poll_replica.revents);
  char byte;
  CALL(read(replica, &byte, 1));
  CALL(write(replica, "x", 1));
  struct termios settings;
  CALL(tcgetattr(replica, &settings));
  CALL(open(name, O_RDWR | O_NOCTTY));
  close(replica);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  setvbuf(stdout, NULL, _IONBF, 0);
  test_pair();
  test_canonical();
  test_raw();
  test_interrupt_kills();
  return 0;
}
