/* Identities that stay unique across fork: a pipe made in a child and one
 * made in its parent have different inode numbers and the same st_dev, as
 * every anonymous pipe lives in one pseudo file system. Inode numbers
 * differ between runs, so the program prints facts about them. */
#include "abi.h"

#include <sys/wait.h>

static struct stat pipe_status(void) {
  int ends[2];
  struct stat status;
  if (pipe(ends) != 0 || fstat(ends[0], &status) != 0) {
    perror("pipe");
    exit(1);
  }
  close(ends[0]);
  close(ends[1]);
  return status;
}

int main(void) {
  int channel[2];
  CALL(pipe(channel));
  struct stat before_fork = pipe_status();

  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    struct stat in_child = pipe_status();
    _exit(write(channel[1], &in_child, sizeof in_child) == sizeof in_child ? 0 : 1);
  }

  struct stat in_parent = pipe_status();
  struct stat in_child;
  FACT("the child sent its pipe's status",
       read(channel[0], &in_child, sizeof in_child) == sizeof in_child);
  int status = 0;
  FACT("the child exited with 0", waitpid(child, &status, 0) == child && status == 0);

  FACT("child and parent pipes have different inode numbers", in_child.st_ino != in_parent.st_ino);
  FACT("the child's pipe is newer than the one made before fork",
       in_child.st_ino != before_fork.st_ino);
  FACT("child and parent pipes share st_dev", in_child.st_dev == in_parent.st_dev);
  return 0;
}
