#include "test_support.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace litebox::testing {

platform::linux_userland::LinuxUserlandPlatform& host_platform() {
  static platform::linux_userland::LinuxUserlandPlatform instance;
  return instance;
}

SharedMapping::SharedMapping(size_t length) : length_(length) {
  void* memory = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    std::abort();
  }
  data_ = static_cast<std::byte*>(memory);
}

SharedMapping::~SharedMapping() { munmap(data_, length_); }

uint64_t SharedMapping::address() const {
  // Safety: only the numeric value of the address is used.
  return reinterpret_cast<uint64_t>(data_);
}

ChildOutcome run_in_child(const std::function<void()>& body, std::chrono::milliseconds timeout) {
  ChildOutcome outcome;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    return outcome;
  }

  const pid_t child = fork();
  if (child == 0) {
    close(pipe_fds[0]);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[1]);
    body();
    _exit(0);
  }
  close(pipe_fds[1]);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  while (true) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) {
      outcome.timed_out = true;
      kill(child, SIGKILL);
      break;
    }
    pollfd descriptor = {pipe_fds[0], POLLIN, 0};
    const int ready = poll(&descriptor, 1, static_cast<int>(remaining.count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      continue;
    }
    const ssize_t count = read(pipe_fds[0], buffer, sizeof(buffer));
    if (count <= 0) {
      break;
    }
    outcome.error_output.append(buffer, static_cast<size_t>(count));
  }
  close(pipe_fds[0]);

  int status = 0;
  waitpid(child, &status, 0);
  if (WIFEXITED(status)) {
    outcome.exited = true;
    outcome.exit_status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
  }
  return outcome;
}

bool host_has_avx512() { return __builtin_cpu_supports("avx512f"); }

bool host_has_fsgsbase() { return (getauxval(AT_HWCAP2) & (1UL << 1)) != 0; }

bool host_has_syscall_user_dispatch() {
  return prctl(PR_SET_SYSCALL_USER_DISPATCH, 0, 0, 0, 0) == 0;
}

}  // namespace litebox::testing
