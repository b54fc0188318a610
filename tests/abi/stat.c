/* The stat family and statx: file type, permission bits, size, link count
 * and inode identity, for files, directories and symlinks. Fields that
 * depend on the file system (st_dev, st_blksize, st_blocks, times) are only
 * compared with each other, never printed. */
#include "abi.h"

#include <fcntl.h>
#include <sys/sysmacros.h>

static const char* type_name(mode_t mode) {
  if (S_ISREG(mode)) return "regular";
  if (S_ISDIR(mode)) return "directory";
  if (S_ISLNK(mode)) return "symlink";
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISCHR(mode)) return "character device";
  return "other";
}

/* Prints the fields every file system fills the same way. The size of a
 * directory is left out because each file system defines its own (4096 on
 * ext4, 40 plus 20 per entry on tmpfs). */
static void print_stat(const char* label, const struct stat* status) {
  char size[32] = "-";
  if (!S_ISDIR(status->st_mode)) {
    snprintf(size, sizeof size, "%lld", (long long)status->st_size);
  }
  printf("%s: type %s, mode %04o, size %s, links %lu, uid matches %s, gid matches %s\n", label,
         type_name(status->st_mode), (unsigned)(status->st_mode & 07777), size,
         (unsigned long)status->st_nlink, status->st_uid == geteuid() ? "yes" : "no",
         status->st_gid == getegid() ? "yes" : "no");
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  umask(022);
  struct stat status;
  struct stat other;

  int descriptor = CALL(open("file", O_CREAT | O_WRONLY, 0640));
  CALL(write(descriptor, "0123456789", 10));
  CALL(fstat(descriptor, &status));
  print_stat("fstat file", &status);
  CALL(close(descriptor));

  CALL(stat("file", &status));
  print_stat("stat file", &status);
  CALL(mkdir("directory", 0750));
  CALL(stat("directory", &status));
  print_stat("stat directory", &status);
  CALL(symlink("file", "link"));
  CALL(lstat("link", &status));
  print_stat("lstat link", &status);
  CALL(stat("link", &other));
  print_stat("stat link", &other);

  CALL(stat("file", &status));
  FACT("stat through link has the file's inode", other.st_ino == status.st_ino);
  FACT("inode number is nonzero", status.st_ino != 0);
  FACT("block size is nonzero", status.st_blksize > 0);

  CALL(link("file", "hard"));
  CALL(stat("hard", &other));
  print_stat("stat hard link", &other);
  FACT("hard link shares the inode", other.st_ino == status.st_ino);
  FACT("hard link shares the device", other.st_dev == status.st_dev);

  CALL(fstatat(AT_FDCWD, "link", &status, AT_SYMLINK_NOFOLLOW));
  print_stat("fstatat nofollow", &status);
  int directory = CALL(open("directory", O_RDONLY | O_DIRECTORY));
  CALL(fstatat(directory, "..", &status, 0));
  print_stat("fstatat parent", &status);
  CALL(fstatat(directory, "", &status, AT_EMPTY_PATH));
  print_stat("fstatat empty path", &status);
  CALL(fstatat(directory, "", &status, 0));
  CALL(close(directory));

  struct statx extended;
  CALL(statx(AT_FDCWD, "file", 0, STATX_BASIC_STATS, &extended));
  FACT("statx reports type and mode",
       (extended.stx_mask & STATX_TYPE) && (extended.stx_mask & STATX_MODE));
  FACT("statx reports size", (extended.stx_mask & STATX_SIZE) != 0);
  printf("statx file: mode %06o, size %llu, links %u\n", (unsigned)extended.stx_mode,
         (unsigned long long)extended.stx_size, extended.stx_nlink);
  CALL(stat("file", &status));
  FACT("statx inode matches stat", extended.stx_ino == status.st_ino);
  FACT("statx device matches stat",
       makedev(extended.stx_dev_major, extended.stx_dev_minor) == status.st_dev);
  CALL(statx(AT_FDCWD, "link", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &extended));
  printf("statx link: mode %06o, size %llu\n", (unsigned)extended.stx_mode,
         (unsigned long long)extended.stx_size);
  CALL(statx(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &extended));
  CALL(statx(AT_FDCWD, "file", 0x80000000, STATX_BASIC_STATS, &extended));

  CALL(chmod("file", 0604));
  CALL(stat("file", &status));
  print_stat("after chmod", &status);
  CALL(truncate("file", 3));
  CALL(stat("file", &status));
  print_stat("after truncate", &status);

  CALL(stat("missing", &status));
  CALL(stat("file/inside", &status));

  CALL(unlink("hard"));
  CALL(unlink("link"));
  CALL(unlink("file"));
  CALL(rmdir("directory"));
  CALL(chdir("/"));
  CALL(rmdir(argv[1]));
  return 0;
}
