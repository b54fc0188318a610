/* The start-up benchmark's static program: prints one line and exits 0.
 * bench/run times it from spawn to exit, natively and in each sandbox. */
#include <stdio.h>

int main(void) {
  puts("hello, world");
  return 0;
}
