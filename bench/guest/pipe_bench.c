/* Pipes between two threads of one process: round-trip latency and
 * throughput. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

enum {
  chunk_size = 64 * 1024,
};

static int read_exact(int fd, void* data, size_t size) {
  char* cursor = data;
  while (size > 0) {
    ssize_t got = read(fd, cursor, size);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    if (got == 0) {
      return EPIPE;
    }
    cursor += got;
    size -= (size_t)got;
  }
  return 0;
}

/* Ping-pong: the main thread writes one byte to `request`, the echo thread
 * reads it and writes it back to `response`. One operation is one round trip. */
struct ping_pong {
  int request[2];
  int response[2];
  pthread_t echo_thread;
  bool thread_started;
};

static void* echo_main(void* argument) {
  struct ping_pong* pair = argument;
  char byte;
  /* The loop ends when the main thread closes its write end (read returns 0). */
  while (read_exact(pair->request[0], &byte, 1) == 0) {
    if (bench_write_all(pair->response[1], &byte, 1) != 0) {
      break;
    }
  }
  return NULL;
}

static int setup_ping_pong(const struct bench_options* options, void** state) {
  (void)options;
  struct ping_pong* pair = calloc(1, sizeof(*pair));
  if (pair == NULL) {
    return ENOMEM;
  }
  pair->request[0] = pair->request[1] = pair->response[0] = pair->response[1] = -1;
  *state = pair;

  if (pipe2(pair->request, O_CLOEXEC) != 0 || pipe2(pair->response, O_CLOEXEC) != 0) {
    return errno;
  }

  int error = pthread_create(&pair->echo_thread, NULL, echo_main, pair);
  if (error != 0) {
    return error;
  }
  pair->thread_started = true;
  return 0;
}

static void close_if_open(int fd) {
  if (fd >= 0) {
    close(fd);
  }
}

static void teardown_ping_pong(void* state) {
  struct ping_pong* pair = state;
  if (pair == NULL) {
    return;
  }
  close_if_open(pair->request[1]);
  if (pair->thread_started) {
    pthread_join(pair->echo_thread, NULL);
  }
  close_if_open(pair->request[0]);
  close_if_open(pair->response[0]);
  close_if_open(pair->response[1]);
  free(pair);
}

static int run_ping_pong(void* state, uint64_t ops, struct bench_measurement* out) {
  struct ping_pong* pair = state;
  char byte = 'p';

  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    int error = bench_write_all(pair->request[1], &byte, 1);
    if (error == 0) {
      error = read_exact(pair->response[0], &byte, 1);
    }
    if (error != 0) {
      return error;
    }
  }
  out->elapsed_ns = bench_now_ns() - start;
  return 0;
}

/* Throughput: the main thread writes 64 KiB chunks and a reader thread drains
 * them. The reader acknowledges on a second pipe once it has read the
 * announced number of bytes, so a run ends when the data has arrived, not
 * when the last write returned. */
struct stream {
  int data[2];
  int ack[2];
  _Atomic uint64_t expected_bytes;
  pthread_t reader_thread;
  bool thread_started;
  char* buffer;
};

static void* reader_main(void* argument) {
  struct stream* stream = argument;
  char* buffer = malloc(chunk_size);
  if (buffer == NULL) {
    return NULL;
  }

  uint64_t received = 0;
  for (;;) {
    ssize_t got = read(stream->data[0], buffer, chunk_size);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      break;
    }

    received += (uint64_t)got;
    if (received == atomic_load(&stream->expected_bytes)) {
      received = 0;
      char byte = 'a';
      if (bench_write_all(stream->ack[1], &byte, 1) != 0) {
        break;
      }
    }
  }
  free(buffer);
  return NULL;
}

static int setup_stream(const struct bench_options* options, void** state) {
  (void)options;
  struct stream* stream = calloc(1, sizeof(*stream));
  if (stream == NULL) {
    return ENOMEM;
  }
  stream->data[0] = stream->data[1] = stream->ack[0] = stream->ack[1] = -1;
  *state = stream;

  stream->buffer = calloc(1, chunk_size);
  if (stream->buffer == NULL) {
    return ENOMEM;
  }
  if (pipe2(stream->data, O_CLOEXEC) != 0 || pipe2(stream->ack, O_CLOEXEC) != 0) {
    return errno;
  }

  int error = pthread_create(&stream->reader_thread, NULL, reader_main, stream);
  if (error != 0) {
    return error;
  }
  stream->thread_started = true;
  return 0;
}

static void teardown_stream(void* state) {
  struct stream* stream = state;
  if (stream == NULL) {
    return;
  }
  close_if_open(stream->data[1]);
  if (stream->thread_started) {
    pthread_join(stream->reader_thread, NULL);
  }
  close_if_open(stream->data[0]);
  close_if_open(stream->ack[0]);
  close_if_open(stream->ack[1]);
  free(stream->buffer);
  free(stream);
}

static int run_stream(void* state, uint64_t ops, struct bench_measurement* out) {
  struct stream* stream = state;
  uint64_t total = ops * chunk_size;

  /* The previous run's acknowledgement has arrived, so the reader's count is
   * zero and it reads the new target before the first byte arrives. */
  atomic_store(&stream->expected_bytes, total);

  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    int error = bench_write_all(stream->data[1], stream->buffer, chunk_size);
    if (error != 0) {
      return error;
    }
  }
  char byte;
  int error = read_exact(stream->ack[0], &byte, 1);
  if (error != 0) {
    return error;
  }
  out->elapsed_ns = bench_now_ns() - start;
  out->bytes = total;
  return 0;
}

static const struct bench_case cases[] = {
    {"pipe_ping_pong", setup_ping_pong, run_ping_pong, teardown_ping_pong},
    {"pipe_throughput", setup_stream, run_stream, teardown_stream},
};

int main(int argc, char** argv) {
  return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
