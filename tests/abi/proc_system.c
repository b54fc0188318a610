/* /proc files that programs read to learn about the system and
 * themselves: /proc/self/limits (the process's resource limits, also after
 * setrlimit), the shape of /proc/version, which must agree with uname(2),
 * and /proc/sys/kernel/pid_max. */
#include "abi.h"

#include <sys/resource.h>
#include <sys/utsname.h>

int main(void) {
  static char text[8192];
  if (abi_read_file("/proc/self/limits", text, sizeof text) < 0) {
    printf("/proc/self/limits: %s\n", strerrorname_np(errno));
  } else {
    printf("/proc/self/limits:\n%s", text);
  }
  struct rlimit files;
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = 100;
  CALL(setrlimit(RLIMIT_NOFILE, &files));
  abi_read_file("/proc/self/limits", text, sizeof text);
  const char* line = strstr(text, "Max open files");
  printf("%.*s", line != NULL ? (int)(strchr(line, '\n') - line + 1) : 0, line);

  struct utsname name;
  uname(&name);
  int length = abi_read_file("/proc/version", text, sizeof text);
  char prefix[256];
  snprintf(prefix, sizeof prefix, "Linux version %s (", name.release);
  char suffix[256];
  snprintf(suffix, sizeof suffix, ") %s\n", name.version);
  size_t suffix_length = strlen(suffix);
  FACT("/proc/version starts with \"Linux version\", the release and a parenthesis",
       length > 0 && strncmp(text, prefix, strlen(prefix)) == 0);
  FACT("/proc/version ends with a parenthesis and uname's version",
       length > (int)suffix_length && strcmp(text + length - suffix_length, suffix) == 0);
  FACT("/proc/version is one line", length > 0 && strchr(text, '\n') == text + length - 1);

  length = abi_read_file("/proc/sys/kernel/pid_max", text, sizeof text);
  char* end = NULL;
  long pid_max = strtol(text, &end, 10);
  FACT("pid_max is one decimal line", length > 0 && end != text && strcmp(end, "\n") == 0);
  FACT("pid_max is between 32768 and 4194304", pid_max >= 32768 && pid_max <= 4194304);
  FACT("the process id is below pid_max", getpid() < pid_max);
  return 0;
}
