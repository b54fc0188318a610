/* Exit status codes: exit(), _exit() and a return from main each reach the
 * parent unchanged, and buffered output is flushed by exit() only. argv[2]
 * picks the way out ("exit", "_exit" or "return"); argv[1] is unused. */
#include "abi.h"

int main(int argc, char** argv) {
  const char* mode = argc > 2 ? argv[2] : "return";
  printf("mode %s\n", mode);
  if (strcmp(mode, "exit") == 0) {
    exit(7);
  }
  if (strcmp(mode, "_exit") == 0) {
    fflush(stdout);
    printf("lost: _exit does not flush stdio\n");
    _exit(200);
  }
  return 42;
}
