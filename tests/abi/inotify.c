/* inotify(7): the events that file operations report to watches on a
 * directory and on the files in it, with their order and merging. Also
 * IN_ONESHOT, IN_MASK_ADD and IN_MASK_CREATE, the errors of each call,
 * short reads, FIONREAD and poll, and a blocking read that ends when
 * another process creates a file. */
#include "abi.h"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

enum { max_watches = 8 };

static int instance;
static int watch_descriptors[max_watches];
static const char* watch_names[max_watches];

static void add_watch(int slot, const char* name, const char* path, uint32_t mask) {
  watch_descriptors[slot] = inotify_add_watch(instance, path, mask);
  watch_names[slot] = name;
  if (watch_descriptors[slot] < 0) {
    printf("add_watch %s -> %s\n", name, strerrorname_np(errno));
  }
}

static const char* watch_name(int descriptor) {
  for (int slot = 0; slot < max_watches; ++slot) {
    if (watch_names[slot] != NULL && watch_descriptors[slot] == descriptor) {
      return watch_names[slot];
    }
  }
  return "?";
}

/* Reads every queued event and prints one line for each. */
static void print_events(const char* step) {
  char buffer[4096] __attribute__((aligned(8)));
  ssize_t length = read(instance, buffer, sizeof buffer);
  printf("== %s\n", step);
  if (length < 0) {
    printf("  read -> %s\n", strerrorname_np(errno));
    return;
  }
  for (char* cursor = buffer; cursor < buffer + length;) {
    struct inotify_event* event = (struct inotify_event*)cursor;
    printf("  %s mask=%#x cookie=%s len=%u name=%s\n", watch_name(event->wd), event->mask,
           event->cookie != 0 ? "set" : "0", event->len, event->len != 0 ? event->name : "");
    cursor += sizeof(*event) + event->len;
  }
}

static void check_errors(void) {
  CALL(inotify_init1(IN_NONBLOCK << 1));
  CALL(inotify_add_watch(instance, "d", 0));
  CALL(inotify_add_watch(instance, "d", IN_MASK_ADD | IN_MASK_CREATE | IN_CREATE));
  CALL(inotify_add_watch(999, "d", IN_CREATE));
  CALL(inotify_add_watch(1, "d", IN_CREATE));
  CALL(inotify_add_watch(instance, "missing", IN_CREATE));
  CALL(inotify_add_watch(instance, "d/merged", IN_ONLYDIR | IN_CREATE));
  CALL(inotify_add_watch(instance, "d", IN_ONLYDIR));
  CALL(inotify_rm_watch(instance, 999));
  CALL(inotify_rm_watch(1, 1));
}

static void check_reads(void) {
  char small[8];
  int file = open("d/merged", O_RDONLY);
  close(file);
  int available = -1;
  CALL(ioctl(instance, FIONREAD, &available));
  printf("FIONREAD: %d\n", available);
  struct pollfd poll_entry = {.fd = instance, .events = POLLIN};
  CALL(poll(&poll_entry, 1, 0));
  printf("revents: %#x\n", poll_entry.revents);
  CALL(read(instance, small, sizeof small));
  print_events("after a short read");
  CALL(poll(&poll_entry, 1, 0));
  CALL(read(instance, small, sizeof small));
}

/* A blocking read returns once a child process creates a file. */
static void check_blocking_read(void) {
  int blocking = inotify_init();
  int descriptor = inotify_add_watch(blocking, "d", IN_CREATE);
  printf("blocking watch: %d\n", descriptor);
  pid_t child = fork();
  if (child == 0) {
    usleep(50000);
    close(open("d/from_child", O_CREAT | O_WRONLY, 0644));
    _exit(0);
  }
  char buffer[256] __attribute__((aligned(8)));
  ssize_t length = read(blocking, buffer, sizeof buffer);
  struct inotify_event* event = (struct inotify_event*)buffer;
  printf("blocking read: %zd bytes, mask %#x, name %s\n", length, event->mask, event->name);
  waitpid(child, NULL, 0);
  close(blocking);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  mkdir("d", 0755);
  mkdir("d/sub", 0755);
  instance = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

  add_watch(0, "dir", "d", IN_ALL_EVENTS);
  close(open("d/f", O_CREAT | O_WRONLY, 0644));
  print_events("create and close");

  add_watch(1, "file", "d/f", IN_ALL_EVENTS);
  add_watch(2, "sub", "d/sub", IN_ALL_EVENTS);
  int file = open("d/f", O_RDWR);
  CALL(write(file, "a", 1));
  CALL(write(file, "b", 1));
  char byte;
  CALL(pread(file, &byte, 1, 0));
  close(file);
  print_events("open, write, write, read, close");

  chmod("d/f", 0600);
  print_events("chmod");
  truncate("d/f", 0);
  print_events("truncate");
  close(open("d/f", O_WRONLY | O_TRUNC));
  print_events("open with O_TRUNC");
  struct timespec modify_time_only[2] = {{0, UTIME_OMIT}, {5, 0}};
  utimensat(AT_FDCWD, "d/f", modify_time_only, 0);
  print_events("utimensat of the modification time");
  struct timespec access_time_only[2] = {{5, 0}, {0, UTIME_OMIT}};
  utimensat(AT_FDCWD, "d/f", access_time_only, 0);
  print_events("utimensat of the access time");
  link("d/f", "d/g");
  print_events("link");
  rename("d/g", "d/h");
  print_events("rename");
  close(open("d/other", O_CREAT | O_WRONLY, 0644));
  add_watch(3, "other", "d/other", IN_ALL_EVENTS);
  print_events("create other");
  rename("d/h", "d/other");
  print_events("rename over another file");
  int directory = open("d", O_RDONLY | O_DIRECTORY);
  close(directory);
  print_events("open and close the directory");
  mkdir("d/made", 0755);
  print_events("mkdir");
  rmdir("d/sub");
  print_events("rmdir of a watched directory");
  unlink("d/other");
  print_events("unlink of a second name");
  unlink("d/f");
  print_events("unlink of the last name");
  symlink("target", "d/link");
  print_events("symlink");

  /* Two equal events in a row merge into one. */
  close(open("d/merged", O_CREAT | O_WRONLY, 0644));
  add_watch(4, "merged", "d/merged", IN_MODIFY);
  file = open("d/merged", O_WRONLY);
  CALL(write(file, "a", 1));
  CALL(write(file, "b", 1));
  close(file);
  print_events("two writes with only the file watching");

  /* A watch of an inode that has one already returns the same descriptor;
   * IN_MASK_ADD widens it, and IN_MASK_CREATE fails with EEXIST. */
  int again = inotify_add_watch(instance, "d/merged", IN_ATTRIB | IN_MASK_ADD);
  printf("same inode, same descriptor: %s\n", again == watch_descriptors[4] ? "yes" : "no");
  CALL(inotify_add_watch(instance, "d/merged", IN_ATTRIB | IN_MASK_CREATE));
  chmod("d/merged", 0600);
  print_events("chmod after IN_MASK_ADD");

  add_watch(5, "oneshot", "d/made", IN_ONESHOT | IN_ALL_EVENTS);
  close(open("d/made/x", O_CREAT | O_WRONLY, 0644));
  close(open("d/made/y", O_CREAT | O_WRONLY, 0644));
  print_events("IN_ONESHOT");

  check_reads();
  check_errors();
  CALL(inotify_rm_watch(instance, watch_descriptors[0]));
  print_events("rm_watch");
  print_events("empty queue");
  check_blocking_read();
  return 0;
}
