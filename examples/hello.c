/* The demo program of scripts/demo: a static C program that shows what it
 * sees from inside the sandbox. */
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char** argv) {
  struct utsname name;
  if (uname(&name) != 0) {
    perror("uname");
    return 1;
  }
  printf("Hello from %s on %s (%s %s), pid %d\n", argv[0], name.nodename, name.sysname,
         name.machine, (int)getpid());
  for (int index = 1; index < argc; ++index) {
    printf("  argument %d: %s\n", index, argv[index]);
  }
  return 0;
}
