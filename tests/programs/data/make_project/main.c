int printf(const char* format, ...);
int answer(void);

int main(void) {
  printf("the answer is %d\n", answer());
  return 0;
}
