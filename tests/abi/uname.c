/* uname: the fields a program may rely on. nodename, release and version
 * describe the host (or the sandbox's chosen values) and legitimately
 * differ, so only sysname and machine are printed; the others are checked
 * to be non-empty, NUL-terminated strings. */
#include "abi.h"

#include <sys/syscall.h>
#include <sys/utsname.h>

static int terminated(const char* field, size_t size) { return memchr(field, '\0', size) != NULL; }

int main(void) {
  struct utsname names;
  CALL(uname(&names));
  printf("sysname: %s\n", names.sysname);
  printf("machine: %s\n", names.machine);
  FACT("nodename is a non-empty string",
       terminated(names.nodename, sizeof names.nodename) && names.nodename[0] != '\0');
  FACT("release is a non-empty string",
       terminated(names.release, sizeof names.release) && names.release[0] != '\0');
  FACT("version is a non-empty string",
       terminated(names.version, sizeof names.version) && names.version[0] != '\0');
  FACT("domainname is a string", terminated(names.domainname, sizeof names.domainname));
  CALL(syscall(SYS_uname, (void*)16));
  return 0;
}
