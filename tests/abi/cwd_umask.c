/* getcwd, chdir, fchdir and umask: the working directory moves with chdir
 * and fchdir, relative paths start from it, and umask masks new files. */
#include "abi.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>

static void print_cwd(const char* base) {
  char path[PATH_MAX];
  if (getcwd(path, sizeof path) == NULL) {
    printf("getcwd failed: %s\n", strerrorname_np(errno));
    return;
  }
  size_t length = strlen(base);
  if (strncmp(path, base, length) == 0) {
    printf("cwd: <scratch>%s\n", path + length);
  } else {
    printf("cwd: %s\n", path);
  }
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  char base[PATH_MAX];
  if (getcwd(base, sizeof base) == NULL) {
    return 2;
  }
  FACT("scratch path is absolute", base[0] == '/');
  print_cwd(base);

  CALL(mkdir("one", 0755));
  CALL(mkdir("one/two", 0755));
  CALL(chdir("one/two"));
  print_cwd(base);
  CALL(chdir(".."));
  print_cwd(base);
  CALL(chdir("missing"));
  print_cwd(base);

  int directory = CALL(open("two", O_RDONLY | O_DIRECTORY));
  CALL(chdir("/"));
  print_cwd(base);
  CALL(fchdir(directory));
  print_cwd(base);
  CALL(close(directory));
  int file = CALL(open("../file", O_CREAT | O_WRONLY, 0666));
  CALL(fchdir(file));
  CALL(fchdir(-1));
  CALL(close(file));

  char tiny[4];
  CALL(syscall(SYS_getcwd, tiny, sizeof tiny));
  CALL(syscall(SYS_getcwd, tiny, 0));
  char path[PATH_MAX];
  long length = CALL(syscall(SYS_getcwd, path, sizeof path));
  FACT("getcwd returns the length with the NUL", length == (long)strlen(path) + 1);

  CALL(umask(077));
  CALL(umask(022));
  CALL(umask(0));
  file = CALL(open("open-0666", O_CREAT | O_WRONLY, 0666));
  CALL(close(file));
  CALL(umask(027));
  file = CALL(open("open-0666-masked", O_CREAT | O_WRONLY, 0666));
  CALL(close(file));
  CALL(mkdir("mkdir-0777-masked", 0777));
  CALL(umask(01777));
  struct stat status;
  const char* names[] = {"open-0666", "open-0666-masked", "mkdir-0777-masked"};
  for (int index = 0; index < 3; ++index) {
    CALL(stat(names[index], &status));
    printf("%s: mode %04o\n", names[index], (unsigned)(status.st_mode & 07777));
  }

  CALL(unlink("open-0666"));
  CALL(unlink("open-0666-masked"));
  CALL(rmdir("mkdir-0777-masked"));
  CALL(chdir(base));
  CALL(unlink("one/file"));
  CALL(rmdir("one/two"));
  CALL(rmdir("one"));
  CALL(chdir("/"));
  CALL(rmdir(argv[1]));
  return 0;
}
