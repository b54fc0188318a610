/* execveat: a path relative to the working directory and to a directory
 * descriptor, the file open on a descriptor (AT_EMPTY_PATH, as fexecve
 * uses it), and the errors for bad flags, an empty path, a final symlink
 * with AT_SYMLINK_NOFOLLOW, a missing file, a bad descriptor and a
 * directory. The program runs itself again for each stage; argv[2] names
 * the stage. */
#include "abi.h"

#include <fcntl.h>
#include <libgen.h>
#include <sys/syscall.h>

extern char** environ;

static long run_stage(int directory_fd, const char* path, const char* self, const char* scratch,
                      const char* stage, int flags) {
  char* arguments[] = {(char*)self, (char*)scratch, (char*)stage, NULL};
  fflush(stdout);
  return syscall(SYS_execveat, directory_fd, path, arguments, environ, flags);
}

int main(int argc, char** argv) {
  char self[4096];
  if (realpath(argv[0], self) == NULL) {
    perror(argv[0]);
    return 2;
  }
  abi_enter_scratch_directory(argc, argv);
  const char* scratch = argv[1];
  const char* stage = argc > 2 ? argv[2] : "start";
  printf("stage %s: %d arguments\n", stage, argc);

  if (strcmp(stage, "start") == 0) {
    CALL(run_stage(AT_FDCWD, self, self, scratch, "by-path", 0));
  } else if (strcmp(stage, "by-path") == 0) {
    char directory[4096];
    char name[4096];
    snprintf(directory, sizeof directory, "%s", self);
    snprintf(name, sizeof name, "%s", self);
    int directory_fd = open(dirname(directory), O_PATH | O_DIRECTORY);
    CALL(run_stage(directory_fd, basename(name), self, scratch, "by-directory", 0));
  } else if (strcmp(stage, "by-directory") == 0) {
    int file_fd = open(self, O_RDONLY | O_CLOEXEC);
    CALL(run_stage(file_fd, "", self, scratch, "by-descriptor", AT_EMPTY_PATH));
  } else if (strcmp(stage, "by-descriptor") == 0) {
    int file_fd = CALL(open(self, O_RDONLY));
    CALL(symlink(self, "link"));
    CALL(run_stage(AT_FDCWD, self, self, scratch, "never", 0x1234));
    CALL(run_stage(file_fd, "", self, scratch, "never", 0));
    CALL(run_stage(AT_FDCWD, "link", self, scratch, "never", AT_SYMLINK_NOFOLLOW));
    CALL(run_stage(AT_FDCWD, "missing", self, scratch, "never", 0));
    CALL(run_stage(-5, "relative", self, scratch, "never", 0));
    CALL(run_stage(AT_FDCWD, ".", self, scratch, "never", 0));
    CALL(run_stage(AT_FDCWD, (const char*)16, self, scratch, "never", 0));
    CALL(unlink("link"));
    CALL(chdir("/"));
    CALL(rmdir(scratch));
    /* Following the link runs the program. */
    return 0;
  }
  printf("stage %s: execveat returned\n", stage);
  return 1;
}
