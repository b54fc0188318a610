/* The path /proc/self/fd/N shows for a file opened in each way open(2)
 * resolves a name: a plain path, a final symlink, "." and "..", a symlink to
 * a directory with a trailing slash, O_PATH | O_NOFOLLOW on a symlink, a
 * relative path, a magic link, a new file, and that file once unlinked.
 * Each path is also the name of the file's mapping in /proc/self/maps. */
#include "abi.h"

#include <limits.h>
#include <sys/mman.h>

static void print_path(const char* label, int descriptor) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", descriptor);
  char target[PATH_MAX];
  ssize_t length = readlink(link, target, sizeof target - 1);
  if (length < 0) {
    printf("%s: readlink -> %s\n", label, strerrorname_np(errno));
    return;
  }
  target[length] = '\0';
  printf("%s: %s\n", label, target);
}

/* Maps one page of `descriptor` and prints the name its mapping gets. */
static void print_mapping_name(const char* label, int descriptor) {
  void* page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, descriptor, 0);
  if (page == MAP_FAILED) {
    printf("%s: mmap -> %s\n", label, strerrorname_np(errno));
    return;
  }

  char maps[65536];
  abi_read_file("/proc/self/maps", maps, sizeof maps);
  char start[32];
  snprintf(start, sizeof start, "%lx-", (unsigned long)page);
  const char* line = strstr(maps, start);
  const char* name = line ? strchr(line, '/') : NULL;
  const char* end = name ? strchr(name, '\n') : NULL;
  if (name == NULL || end == NULL) {
    printf("%s: no named mapping\n", label);
  } else {
    printf("%s: mapped as %.*s\n", label, (int)(end - name), name);
  }
  munmap(page, 4096);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  mkdir("d", 0755);
  int file = open("d/f", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  CALL(write(file, "contents\n", 9));
  close(file);
  symlink("d/f", "link");
  symlink("d", "directory_link");

  print_path("plain path", open("d/f", O_RDONLY));
  print_path("final symlink", open("link", O_RDONLY));
  print_path("dot dot", open("d/..", O_RDONLY));
  print_path("dot", open("d/.", O_RDONLY));
  print_path("directory symlink with a slash", open("directory_link/", O_RDONLY));
  print_path("O_PATH | O_NOFOLLOW symlink", open("link", O_PATH | O_NOFOLLOW));
  print_path("root", open("/", O_RDONLY));

  CALL(chdir("d"));
  int relative = open("f", O_RDONLY);
  print_path("relative path", relative);
  print_mapping_name("relative path", relative);
  char magic[64];
  snprintf(magic, sizeof magic, "/proc/self/fd/%d", relative);
  print_path("magic link", open(magic, O_RDONLY));

  int created = open("new", O_CREAT | O_EXCL | O_RDWR, 0644);
  CALL(write(created, "new\n", 4));
  print_path("created", created);
  CALL(unlink("new"));
  print_path("created, then unlinked", created);
  print_mapping_name("created, then unlinked", created);
  return 0;
}
