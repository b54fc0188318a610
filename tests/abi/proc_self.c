/* /proc/self as glibc, Python, Node and lsof read it: the exe and root
 * links, the command line, the status Name line and the maps of the
 * executable and the stack. Only fields that match between Linux and the
 * sandbox are printed. */
#include "abi.h"

#include <fcntl.h>
#include <sys/stat.h>

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

  int count = abi_read_file("/proc/self/cmdline", buffer, sizeof buffer);
  printf("cmdline bytes after argv[0]: ");
  for (int index = (int)strlen(buffer) + 1; index < count; ++index) {
    putchar(buffer[index] ? buffer[index] : '|');
  }
  printf("\n");

  abi_read_file("/proc/self/status", buffer, sizeof buffer);
  char* name = strstr(buffer, "Name:\t");
  char* end = name ? strchr(name, '\n') : NULL;
  if (end) {
    *end = '\0';
  }
  FACT("status Name is the program name", name && strncmp(name + 6, program, 15) == 0);

  abi_read_file("/proc/self/maps", buffer, sizeof buffer);
  FACT("maps names the executable", strstr(buffer, program) != NULL);
  FACT("maps has [stack]", strstr(buffer, "[stack]") != NULL);

  abi_read_file("/proc/self/comm", buffer, sizeof buffer);
  FACT("comm is the program name", strncmp(buffer, program, 15) == 0);

  length = readlink("/proc/self", link, sizeof link - 1);
  link[length > 0 ? length : 0] = '\0';
  FACT("/proc/self is the pid", atoi(link) == getpid());

  length = readlink("/proc/self/root", link, sizeof link - 1);
  link[length > 0 ? length : 0] = '\0';
  printf("root link: %s\n", link);
  struct stat root_status;
  struct stat through_link;
  FACT("/proc/self/root/ is /",
       stat("/", &root_status) == 0 && stat("/proc/self/root/", &through_link) == 0 &&
           root_status.st_ino == through_link.st_ino && root_status.st_dev == through_link.st_dev);
  CALL(readlink("/proc/self/root/nonexistent-entry", link, sizeof link));
  return 0;
}
