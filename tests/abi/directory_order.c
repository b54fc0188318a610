/* The order in which readdir(3) lists a tmpfs directory: the newest entry
 * first, a renamed entry as a new one, and a place from telldir(3) that
 * stays valid while entries are added and removed. The directory is under
 * /dev/shm, which is tmpfs natively and in the sandbox, because readdir
 * order differs between file systems. */
#include "abi.h"

#include <dirent.h>
#include <sys/vfs.h>

/* Lists `directory` from its start, without "." and "..", on one line. */
static void list(const char* label, DIR* directory) {
  rewinddir(directory);
  printf("%s:", label);
  struct dirent* entry;
  while ((entry = readdir(directory)) != NULL) {
    if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
      printf(" %s", entry->d_name);
    }
  }
  printf("\n");
}

static void create(const char* name) {
  int fd = open(name, O_CREAT | O_WRONLY, 0600);
  if (fd >= 0) {
    close(fd);
  }
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);

  char path[256];
  abi_shm_path(path, sizeof path, "litebox-directory-order", argv[1]);
  struct statfs file_system;
  FACT("/dev/shm is tmpfs",
       statfs("/dev/shm", &file_system) == 0 && file_system.f_type == 0x01021994);
  mkdir(path, 0700);
  if (chdir(path) != 0) {
    printf("chdir failed: %s\n", strerrorname_np(errno));
    return 1;
  }

  create("a");
  create("c");
  create("b");
  mkdir("d", 0700);
  DIR* directory = opendir(".");
  list("created a c b d", directory);

  CALL(rename("c", "e"));
  list("renamed c to e", directory);
  CALL(unlink("b"));
  create("b");
  list("made b again", directory);

  /* Read two entries past "." and "..", remember the place, change the
   * directory, and read on from that place. */
  rewinddir(directory);
  for (int i = 0; i < 4; ++i) {
    readdir(directory);
  }
  long place = telldir(directory);
  create("f");
  CALL(unlink("a"));
  seekdir(directory, place);
  printf("from the saved place:");
  struct dirent* entry;
  while ((entry = readdir(directory)) != NULL) {
    printf(" %s", entry->d_name);
  }
  printf("\n");
  list("finally", directory);
  closedir(directory);

  unlink("b");
  unlink("e");
  unlink("f");
  rmdir("d");
  chdir("/");
  CALL(rmdir(path));
  return 0;
}
