// Manual measurement, not a test: the cost of one trapped guest system call
// that the handler serves as a no-op, against a native getppid(2).
//
//   build/tests/platform/litebox_trap_cost [seccomp|sud] [calls]
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "guest_programs.hpp"
#include "linux_userland_platform.hpp"

namespace {

using namespace litebox;
using Clock = std::chrono::steady_clock;

platform::linux_userland::LinuxUserlandPlatform* host = nullptr;
Clock::time_point guest_start;
uint64_t guest_calls = 0;

class NullHandler final : public platform::SyscallHandler {
 public:
  void handle_syscall(platform::GuestRegisters& registers, platform::ExtendedState) override {
    if (registers.rax == EXIT_GROUP_NR) {
      const auto elapsed = std::chrono::duration<double, std::nano>(Clock::now() - guest_start);
      std::fprintf(stderr, "trapped null system call: %.1f ns per call (%llu calls)\n",
                   elapsed.count() / static_cast<double>(guest_calls),
                   static_cast<unsigned long long>(guest_calls));
      host->execution().exit_process(0);
    }
    registers.rax = 0;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const bool sud = argc > 1 && std::strcmp(argv[1], "sud") == 0;
  guest_calls = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 200'000;

  static platform::linux_userland::LinuxUserlandPlatform platform_instance;
  host = &platform_instance;

  const auto native_start = Clock::now();
  for (uint64_t i = 0; i < guest_calls; ++i) {
    syscall(SYS_getppid);
  }
  const auto native = std::chrono::duration<double, std::nano>(Clock::now() - native_start);
  std::printf("native getppid: %.1f ns per call (%llu calls)\n",
              native.count() / static_cast<double>(guest_calls),
              static_cast<unsigned long long>(guest_calls));
  std::fflush(stdout);

  const size_t code_size = 4096;
  void* code = mmap(nullptr, code_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* stack = mmap(nullptr, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  std::memcpy(code, null_loop_start, static_cast<size_t>(null_loop_end - null_loop_start));

  const pid_t child = fork();
  if (child == 0) {
    static NullHandler handler;
    const auto mode = sud ? platform::InterceptionMode::syscall_user_dispatch
                          : platform::InterceptionMode::seccomp;
    if (!host->execution().start_interception(handler, mode)) {
      _exit(100);
    }
    mprotect(code, code_size, PROT_READ | PROT_EXEC);
    platform::GuestRegisters registers = {};
    // Safety: converts the mapping addresses to guest register values.
    registers.rip = reinterpret_cast<uint64_t>(code);
    registers.rsp = reinterpret_cast<uint64_t>(stack) + 65536 - 256;
    registers.rbx = guest_calls;
    registers.rflags = 0x202;
    guest_start = Clock::now();
    host->execution().enter_guest(registers);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
