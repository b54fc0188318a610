/* /proc/self as glibc, Python and Node read it: the exe link, the command
 * line, the status Name line and the maps of the executable and the
 * stack. Only fields that match between Linux and the sandbox are printed. */
#include "abi.h"

#include <fcntl.h>

static int read_file(const char* path, char* buffer, size_t size) {
  int file = open(path, O_RDONLY);
  if (file < 0) {
    return -1;
  }
  int total = 0;
  int count;
  while (total < (int)size - 1 && (count = read(file, buffer + total, size - 1 - total)) > 0) {
    total += count;
  }
  buffer[total] = '\0';
  close(file);
  return total;
}

int main(int argc, char** argv) {
  (void)argc;
  static char buffer[65536];
  char link[4096];

  ssize_t length = readlink("/proc/self/exe", link, sizeof link - 1);
  link[length > 0 ? length : 0] = '\0';
  const char* base = strrchr(link, '/');
  printf("exe basename: %s\n", base ? base + 1 : link);
  const char* program = strrchr(argv[0], '/');
  program = program ? program + 1 : argv[0];

  int count = read_file("/proc/self/cmdline", buffer, sizeof buffer);
  printf("cmdline bytes after argv[0]: ");
  for (int index = (int)strlen(buffer) + 1; index < count; ++index) {
    putchar(buffer[index] ? buffer[index] : '|');
  }
  printf("\n");

  read_file("/proc/self/status", buffer, sizeof buffer);
  char* name = strstr(buffer, "Name:\t");
  char* end = name ? strchr(name, '\n') : NULL;
  if (end) {
    *end = '\0';
  }
  FACT("status Name is the program name", name && strncmp(name + 6, program, 15) == 0);

  read_file("/proc/self/maps", buffer, sizeof buffer);
  FACT("maps names the executable", strstr(buffer, program) != NULL);
  FACT("maps has [stack]", strstr(buffer, "[stack]") != NULL);

  read_file("/proc/self/comm", buffer, sizeof buffer);
  FACT("comm is the program name", strncmp(buffer, program, 15) == 0);

  length = readlink("/proc/self", link, sizeof link - 1);
  link[length > 0 ? length : 0] = '\0';
  FACT("/proc/self is the pid", atoi(link) == getpid());
  return 0;
}
