/* The smallest program: one line on stdout, one on stderr, status 0. */
#include <stdio.h>

int main(void) {
  printf("hello, world\n");
  fprintf(stderr, "hello, stderr\n");
  return 0;
}
