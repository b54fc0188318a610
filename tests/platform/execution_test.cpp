// Guest execution on the real host. Each sealed scenario runs in a forked
// child because sealing cannot be undone. The child reports through shared
// memory and its exit status, and the parent asserts.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sched.h>
#include <sys/wait.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "guest_programs.hpp"
#include "seccomp_filter.hpp"
#include "test_support.hpp"

namespace litebox::testing {
namespace {

using platform::ExtendedState;
using platform::GuestRegisters;
using platform::InterceptionMode;
using platform::SyscallHandler;

constexpr size_t page = 4096;
constexpr size_t stack_size = 16 * page;
constexpr uint64_t probe_result = 0x1234;
constexpr uint64_t tls_word = 0x7e57'0000'0000'f5f5;
constexpr uint8_t red_zone_fill = 0x5a;
// CF PF AF ZF SF DF OF and the always-one bit 1.
constexpr uint64_t probe_flags = 0xcd7;
// Offset of xmm0 in the legacy region of an XSAVE image.
constexpr size_t xsave_xmm0_offset = 160;

// What the test handler saw, in memory shared with the parent.
struct Observations {
  GuestRegisters seen;
  uint8_t seen_xmm0[16];
  uint64_t extended_state_size;
  uint64_t main_thread;
  uint64_t spawned_thread;
  uint64_t reporting_thread;
  uint64_t reported_value;
  std::atomic<uint32_t> reported;
};

// Guest memory prepared before the fork: the program's code, still not
// executable so that sealing does not trust it, a stack, the probe page and
// a page that the guest's fs base points at. All but the code are shared
// with the parent.
class GuestMemory {
 public:
  GuestMemory(const std::byte* start, const std::byte* end)
      : start_(start), stack_(stack_size), probe_(page), tls_(page), observations_(page) {
    code_size_ = (static_cast<size_t>(end - start) + page - 1) / page * page;
    void* code =
        mmap(nullptr, code_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(code, MAP_FAILED);
    code_ = static_cast<std::byte*>(code);
    std::memcpy(code_, start, static_cast<size_t>(end - start));
    std::memcpy(tls_.data(), &tls_word, sizeof(tls_word));
  }
  ~GuestMemory() { munmap(code_, code_size_); }

  // Call in the child after sealing.
  void make_code_executable() const { mprotect(code_, code_size_, PROT_READ | PROT_EXEC); }

  uint64_t code_address(const std::byte* symbol) const {
    // Safety: only the numeric value of the address is used.
    return reinterpret_cast<uint64_t>(code_ + (symbol - start_));
  }
  uint64_t stack_top() const { return stack_.address() + stack_.size(); }
  uint64_t stack_middle() const { return stack_.address() + stack_.size() / 2; }
  std::byte* stack_bytes(uint64_t address) const {
    return stack_.data() + (address - stack_.address());
  }
  ProbePage& probe() const { return *probe_.as<ProbePage>(); }
  uint64_t probe_address() const { return probe_.address(); }
  uint64_t tls_address() const { return tls_.address(); }
  Observations& observations() const { return *observations_.as<Observations>(); }

 private:
  const std::byte* start_;
  std::byte* code_ = nullptr;
  size_t code_size_ = 0;
  SharedMapping stack_;
  SharedMapping probe_;
  SharedMapping tls_;
  SharedMapping observations_;
};

__attribute__((target("avx512f"))) void clobber_vector_state() {
  // Safety: changes only the registers named as clobbered.
  asm volatile(
      "vpternlogd $0xff, %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxorq %%zmm7, %%zmm7, %%zmm7\n\t"
      "vpternlogd $0xff, %%zmm16, %%zmm16, %%zmm16\n\t"
      "vpxorq %%zmm31, %%zmm31, %%zmm31\n\t"
      "kxnorq %%k1, %%k1, %%k1" ::
          : "xmm0", "xmm7", "xmm16", "xmm31", "k1");
}

// Serves the system calls of the guest programs.
class TestHandler final : public SyscallHandler {
 public:
  TestHandler(Observations& observations, const GuestRegisters& child_registers)
      : observations_(observations), child_registers_(child_registers) {}

  void handle_syscall(GuestRegisters& registers, ExtendedState extended_state) override {
    auto& execution = host_platform().execution();
    switch (registers.rax) {
      case PROBE_NR:
        observations_.seen = registers;
        std::memcpy(observations_.seen_xmm0, extended_state.data + xsave_xmm0_offset, 16);
        observations_.extended_state_size = extended_state.size;
        clobber_vector_state();
        registers.rax = probe_result;
        return;
      case SPAWN_NR: {
        observations_.main_thread = static_cast<uint64_t>(gettid());
        Result<platform::ThreadId> thread = execution.spawn_guest_thread(child_registers_);
        observations_.spawned_thread = thread ? *thread : 0;
        registers.rax = thread ? 0 : static_cast<uint64_t>(-errno_value(thread.error()));
        return;
      }
      case WAIT_NR:
        registers.rax = wait_for_report() ? 0 : ETIMEDOUT;
        return;
      case REPORT_NR:
        observations_.reporting_thread = static_cast<uint64_t>(gettid());
        observations_.reported_value = registers.rdi;
        observations_.reported.store(1);
        host_platform().wake(observations_.reported, 1, platform::FutexScope::shared);
        registers.rax = 0;
        return;
      case EXIT_THREAD_NR:
        // Lets a thread waiting in WAIT_NR go on once this thread is ending.
        observations_.reported.store(1);
        host_platform().wake(observations_.reported, 1, platform::FutexScope::shared);
        execution.exit_thread();
      case NULL_NR:
        registers.rax = 0;
        return;
      case EXIT_GROUP_NR:
        execution.exit_process(static_cast<int>(registers.rdi));
      default:
        registers.rax = static_cast<uint64_t>(-ENOSYS);
        return;
    }
  }

 private:
  bool wait_for_report() {
    const auto deadline = host_platform().monotonic_now() + std::chrono::seconds(10);
    while (observations_.reported.load() == 0) {
      const auto remaining = deadline - host_platform().monotonic_now();
      if (remaining.count() <= 0) {
        return false;
      }
      (void)host_platform().wait(observations_.reported, 0, remaining,
                                 platform::FutexScope::shared);
    }
    return true;
  }

  Observations& observations_;
  GuestRegisters child_registers_;
};

// Seals the child with `mode` and runs the guest from `registers`.
[[noreturn]] void run_sandboxed(const GuestMemory& memory, InterceptionMode mode,
                                const GuestRegisters& registers,
                                const GuestRegisters& child_registers = {}) {
  static TestHandler* handler = nullptr;
  handler = new TestHandler(memory.observations(), child_registers);
  if (Result<void> sealed = host_platform().execution().start_interception(*handler, mode);
      !sealed) {
    host_platform().write(platform::LogLevel::error, std::string("start_interception failed: ") +
                                                         std::string(errno_name(sealed.error())));
    _exit(100);
  }
  memory.make_code_executable();
  host_platform().execution().enter_guest(registers);
}

std::string mode_name(const ::testing::TestParamInfo<InterceptionMode>& info) {
  return info.param == InterceptionMode::seccomp ? "Seccomp" : "SyscallUserDispatch";
}

class GuestExecutionTest : public ::testing::TestWithParam<InterceptionMode> {
 protected:
  void SetUp() override {
    if (GetParam() == InterceptionMode::syscall_user_dispatch &&
        !host_has_syscall_user_dispatch()) {
      GTEST_SKIP() << "the host kernel lacks Syscall User Dispatch";
    }
  }
};

// Inputs of register_probe: distinct values in every register.
GuestRegisters probe_registers(const GuestMemory& memory) {
  GuestRegisters registers = {};
  registers.r15 = 0x1515'1515'1515'1515;
  registers.r14 = 0x1414'1414'1414'1414;
  registers.r13 = 0x1313'1313'1313'1313;
  registers.r12 = 0x1212'1212'1212'1212;
  registers.r11 = 0x1111'1111'1111'1111;
  registers.r10 = 0x1010'1010'1010'1010;
  registers.r9 = 0x0909'0909'0909'0909;
  registers.r8 = 0x0808'0808'0808'0808;
  registers.rdi = 0xd1d1'd1d1'd1d1'd1d1;
  registers.rsi = 0x5151'5151'5151'5151;
  registers.rbx = 0xb0b0'b0b0'b0b0'b0b0;
  registers.rdx = 0xd0d0'd0d0'd0d0'd0d0;
  registers.rcx = 0xc0c0'c0c0'c0c0'c0c0;
  registers.rax = PROBE_NR;
  registers.rbp = memory.probe_address();
  registers.rsp = memory.stack_top() - 512;
  registers.rip = memory.code_address(register_probe_start);
  registers.rflags = 0x202;
  registers.fs_base = memory.tls_address();
  return registers;
}

void reset_probe(const GuestMemory& memory, const GuestRegisters& registers) {
  ProbePage& probe = memory.probe();
  std::memset(&probe, 0, sizeof(probe));
  for (size_t vector = 0; vector < 4; ++vector) {
    for (size_t i = 0; i < 64; ++i) {
      probe.zmm_in[vector][i] = static_cast<uint8_t>(vector * 64 + i * 7 + 1);
    }
  }
  probe.k1_in = 0xa5a5'5a5a'f0f0'0f0f;
  probe.rflags_in = probe_flags;
  std::memset(memory.stack_bytes(registers.rsp - 128), red_zone_fill, 128);
  new (&memory.observations()) Observations{};
}

// Returns whether [rsp - 128, rsp - 8) still contains the fill. The program
// itself pushes at rsp - 8.
bool red_zone_intact(const GuestMemory& memory, const GuestRegisters& registers) {
  const std::byte* red_zone = memory.stack_bytes(registers.rsp - 128);
  for (size_t i = 0; i < 120; ++i) {
    if (red_zone[i] != std::byte{red_zone_fill}) {
      return false;
    }
  }
  return true;
}

TEST_P(GuestExecutionTest, SyscallPreservesRegisters) {
  if (!host_has_avx512() || !host_has_fsgsbase()) {
    GTEST_SKIP() << "the probe needs AVX-512 and FSGSBASE";
  }
  GuestMemory memory(register_probe_start, register_probe_end);
  const GuestRegisters registers = probe_registers(memory);

  // The expected values: the same program run natively, where the host
  // kernel serves the call (and rejects the unknown number with -ENOSYS).
  reset_probe(memory, registers);
  const ChildOutcome native = run_in_child([&] {
    memory.make_code_executable();
    native_enter(&registers);
  });
  ASSERT_TRUE(native.exited) << native.error_output;
  ASSERT_EQ(native.exit_status, 0) << native.error_output;
  const ProbePage expected = memory.probe();
  EXPECT_TRUE(red_zone_intact(memory, registers));

  reset_probe(memory, registers);
  const ChildOutcome sandboxed =
      run_in_child([&] { run_sandboxed(memory, GetParam(), registers); });
  ASSERT_TRUE(sandboxed.exited) << "signal " << sandboxed.signal << ": " << sandboxed.error_output;
  ASSERT_EQ(sandboxed.exit_status, 0) << sandboxed.error_output;
  const ProbePage& actual = memory.probe();

  EXPECT_EQ(expected.gpr_out[0], static_cast<uint64_t>(-ENOSYS));
  EXPECT_EQ(actual.gpr_out[0], probe_result);
  static constexpr const char* names[16] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                            "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  for (size_t i = 1; i < 16; ++i) {
    EXPECT_EQ(actual.gpr_out[i], expected.gpr_out[i]) << names[i];
  }
  EXPECT_EQ(actual.gpr_out[2], memory.code_address(register_probe_syscall_end)) << "rcx";
  EXPECT_EQ(actual.rflags_out, expected.rflags_out);
  EXPECT_EQ(actual.rflags_out & probe_flags, probe_flags);
  EXPECT_EQ(actual.fs_word_out, tls_word);
  EXPECT_EQ(actual.k1_out, expected.k1_out);
  EXPECT_EQ(actual.k1_out, actual.k1_in);
  for (size_t vector = 0; vector < 4; ++vector) {
    EXPECT_EQ(std::memcmp(actual.zmm_out[vector], expected.zmm_out[vector], 64), 0)
        << "vector register " << vector;
    EXPECT_EQ(std::memcmp(actual.zmm_out[vector], actual.zmm_in[vector], 64), 0)
        << "vector register " << vector;
  }
  EXPECT_TRUE(red_zone_intact(memory, registers));
}

TEST_P(GuestExecutionTest, HandlerSeesSyscallState) {
  if (!host_has_avx512()) {
    GTEST_SKIP() << "the probe needs AVX-512";
  }
  GuestMemory memory(register_probe_start, register_probe_end);
  const GuestRegisters registers = probe_registers(memory);
  reset_probe(memory, registers);

  const ChildOutcome sandboxed =
      run_in_child([&] { run_sandboxed(memory, GetParam(), registers); });
  ASSERT_TRUE(sandboxed.exited) << "signal " << sandboxed.signal << ": " << sandboxed.error_output;
  ASSERT_EQ(sandboxed.exit_status, 0) << sandboxed.error_output;

  const Observations& observations = memory.observations();
  const GuestRegisters& seen = observations.seen;
  EXPECT_EQ(seen.rax, static_cast<uint64_t>(PROBE_NR));
  EXPECT_EQ(seen.rdi, registers.rdi);
  EXPECT_EQ(seen.rsi, registers.rsi);
  EXPECT_EQ(seen.rdx, registers.rdx);
  EXPECT_EQ(seen.r10, registers.r10);
  EXPECT_EQ(seen.r8, registers.r8);
  EXPECT_EQ(seen.r9, registers.r9);
  EXPECT_EQ(seen.rbx, registers.rbx);
  EXPECT_EQ(seen.rbp, registers.rbp);
  EXPECT_EQ(seen.r12, registers.r12);
  EXPECT_EQ(seen.r15, registers.r15);
  EXPECT_EQ(seen.rsp, registers.rsp);
  EXPECT_EQ(seen.rip, memory.code_address(register_probe_syscall_end));
  EXPECT_EQ(seen.rcx, seen.rip);
  EXPECT_EQ(seen.r11, seen.rflags);
  EXPECT_EQ(seen.rflags & probe_flags, probe_flags);
  EXPECT_EQ(seen.fs_base, memory.tls_address());
  EXPECT_EQ(std::memcmp(observations.seen_xmm0, memory.probe().zmm_in[0], 16), 0);
  EXPECT_EQ(observations.extended_state_size, host_platform().execution().extended_state_size());
}

TEST_P(GuestExecutionTest, SpawnedGuestThreadRuns) {
  GuestMemory memory(thread_probe_start, thread_probe_end);
  new (&memory.observations()) Observations{};
  GuestRegisters main_registers = {};
  main_registers.rip = memory.code_address(thread_probe_start);
  main_registers.rsp = memory.stack_top() - 256;
  main_registers.rflags = 0x202;
  main_registers.fs_base = memory.tls_address();
  GuestRegisters child_registers = main_registers;
  child_registers.rip = memory.code_address(thread_probe_child);
  child_registers.rsp = memory.stack_middle();

  const ChildOutcome sandboxed =
      run_in_child([&] { run_sandboxed(memory, GetParam(), main_registers, child_registers); });
  ASSERT_TRUE(sandboxed.exited) << "signal " << sandboxed.signal << ": " << sandboxed.error_output;
  EXPECT_EQ(sandboxed.exit_status, 0) << sandboxed.error_output;

  const Observations& observations = memory.observations();
  EXPECT_EQ(observations.reported_value, 0x7777u);
  EXPECT_NE(observations.spawned_thread, 0u);
  EXPECT_EQ(observations.reporting_thread, observations.spawned_thread);
  EXPECT_NE(observations.spawned_thread, observations.main_thread);
}

TEST_P(GuestExecutionTest, MainGuestThreadExitLeavesOthersRunning) {
  GuestMemory memory(main_exit_probe_start, main_exit_probe_end);
  new (&memory.observations()) Observations{};
  GuestRegisters main_registers = {};
  main_registers.rip = memory.code_address(main_exit_probe_start);
  main_registers.rsp = memory.stack_top() - 256;
  main_registers.rflags = 0x202;
  GuestRegisters child_registers = main_registers;
  child_registers.rip = memory.code_address(main_exit_probe_child);
  child_registers.rsp = memory.stack_middle();

  const ChildOutcome sandboxed =
      run_in_child([&] { run_sandboxed(memory, GetParam(), main_registers, child_registers); });
  ASSERT_TRUE(sandboxed.exited) << "signal " << sandboxed.signal << ": " << sandboxed.error_output;
  EXPECT_EQ(sandboxed.exit_status, 42) << sandboxed.error_output;
  EXPECT_NE(memory.observations().spawned_thread, 0u);
}

// Returns whether no signal is pending for process `pid`, per
// /proc/PID/status.
bool no_signal_pending(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  bool pending = false;
  while (std::getline(status, line)) {
    if (line.starts_with("SigPnd:") || line.starts_with("ShdPnd:")) {
      pending = pending || line.find_first_not_of("0\t ", 7) != std::string::npos;
    }
  }
  return !pending;
}

TEST_P(GuestExecutionTest, HostSignalReturnsToGuest) {
  GuestMemory memory(spin_probe_start, spin_probe_end);
  auto* flags = reinterpret_cast<std::atomic<uint64_t>*>(&memory.probe());
  flags[0].store(0);
  flags[1].store(0);
  GuestRegisters registers = {};
  registers.rip = memory.code_address(spin_probe_start);
  registers.rsp = memory.stack_top() - 256;
  registers.rbp = memory.probe_address();
  registers.rflags = 0x202;

  const pid_t child = fork();
  if (child == 0) {
    run_sandboxed(memory, GetParam(), registers);
  }
  ASSERT_GT(child, 0);

  bool spinning = false;
  for (int attempt = 0; attempt < 100'000 && !spinning; ++attempt) {
    spinning = flags[1].load() == 1;
    sched_yield();
  }
  bool delivered = false;
  if (spinning) {
    // The interrupt signal, whose handler returns through the signal
    // restorer while the Syscall User Dispatch selector blocks.
    kill(child, host_platform().interrupt_signal());
    for (int attempt = 0; attempt < 100'000 && !delivered; ++attempt) {
      delivered = no_signal_pending(child);
      sched_yield();
    }
  }
  flags[0].store(1);

  int status = 0;
  pid_t waited = 0;
  for (int attempt = 0; attempt < 100'000 && waited == 0; ++attempt) {
    waited = waitpid(child, &status, WNOHANG);
    sched_yield();
  }
  if (waited == 0) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
  }
  EXPECT_TRUE(spinning);
  EXPECT_TRUE(delivered);
  ASSERT_EQ(waited, child);
  ASSERT_TRUE(WIFEXITED(status)) << "signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// Results of the sealed runner checks, as errno values (0 for success).
struct RunnerResults {
  int32_t pages;
  int32_t futex_timeout;
  int32_t interrupted_wait;
  int32_t thread_spawn;
  int32_t thread_wake;
  int32_t standard_error_write;
  int32_t clock_advances;
  int32_t random_changes;
};

int32_t errno_of(const Result<void>& result) { return result ? 0 : errno_value(result.error()); }

void wake_word(void* argument) {
  auto* word = static_cast<std::atomic<uint32_t>*>(argument);
  word->store(1);
  host_platform().wake(*word, 1, platform::FutexScope::process_private);
}

// The platform calls a runner makes after sealing, each reporting its errno.
void check_sealed_runner(RunnerResults& results) {
  auto& host = host_platform();

  Result<void*> reserved = host.reserve(nullptr, 2 * page, false);
  results.pages =
      reserved
          ? errno_of(host.commit(*reserved, page, platform::prot_read | platform::prot_write,
                                 platform::Replace::reservation, platform::Accounting::charged))
          : errno_value(reserved.error());
  if (results.pages == 0) {
    results.pages = errno_of(host.release(*reserved, 2 * page));
  }

  std::atomic<uint32_t> word{0};
  results.futex_timeout = errno_of(
      host.wait(word, 0, std::chrono::milliseconds(1), platform::FutexScope::process_private));

  host.interrupt(host.current());
  results.interrupted_wait =
      errno_of(host.wait(word, 0, std::chrono::seconds(10), platform::FutexScope::process_private));

  Result<platform::ThreadId> thread = host.spawn(wake_word, &word);
  results.thread_spawn = thread ? 0 : errno_value(thread.error());
  results.thread_wake = 0;
  const auto deadline = host.monotonic_now() + std::chrono::seconds(10);
  while (thread && word.load() == 0 && results.thread_wake == 0) {
    const auto remaining = deadline - host.monotonic_now();
    if (remaining.count() <= 0) {
      results.thread_wake = errno_value(Errno::etimedout);
      break;
    }
    (void)host.wait(word, 0, remaining, platform::FutexScope::process_private);
  }

  const char message[] = "sealed runner writes to standard error\n";
  Result<size_t> written = host.write(platform::StdioStream::error,
                                      std::as_bytes(std::span(message, sizeof(message) - 1)));
  results.standard_error_write = written ? 0 : errno_value(written.error());

  const auto before = host.monotonic_now();
  while (host.monotonic_now() == before) {
  }
  results.clock_advances = 0;

  std::array<std::byte, 32> first{};
  std::array<std::byte, 32> second{};
  host.fill(first);
  host.fill(second);
  results.random_changes = first != second ? 0 : errno_value(Errno::eio);
}

TEST(SealedRunner, AllowlistedHostCallsWork) {
  SharedMapping shared(page);
  auto* results = new (shared.data()) RunnerResults{-1, -1, -1, -1, -1, -1, -1, -1};
  SharedMapping observations(page);

  const ChildOutcome outcome = run_in_child([&] {
    TestHandler handler(*observations.as<Observations>(), {});
    if (!host_platform().execution().start_interception(handler, InterceptionMode::seccomp)) {
      _exit(100);
    }
    check_sealed_runner(*results);
  });
  ASSERT_TRUE(outcome.exited) << "signal " << outcome.signal << ": " << outcome.error_output;
  ASSERT_EQ(outcome.exit_status, 0) << outcome.error_output;

  EXPECT_EQ(results->pages, 0);
  EXPECT_EQ(results->futex_timeout, errno_value(Errno::etimedout));
  EXPECT_EQ(results->interrupted_wait, errno_value(Errno::eintr));
  EXPECT_EQ(results->thread_spawn, 0);
  EXPECT_EQ(results->thread_wake, 0);
  EXPECT_EQ(results->standard_error_write, 0);
  EXPECT_EQ(results->clock_advances, 0);
  EXPECT_EQ(results->random_changes, 0);
  EXPECT_NE(outcome.error_output.find("sealed runner writes to standard error"), std::string::npos);
}

TEST(SealedRunner, DisallowedHostCallEndsProcess) {
  SharedMapping observations(page);
  const ChildOutcome outcome = run_in_child([&] {
    TestHandler handler(*observations.as<Observations>(), {});
    if (!host_platform().execution().start_interception(handler, InterceptionMode::seccomp)) {
      _exit(100);
    }
    syscall(SYS_getpgrp);
    _exit(0);
  });
  ASSERT_TRUE(outcome.exited) << "signal " << outcome.signal;
  EXPECT_EQ(outcome.exit_status, 128 + SIGSYS);
  EXPECT_NE(outcome.error_output.find("host system call " + std::to_string(SYS_getpgrp)),
            std::string::npos)
      << outcome.error_output;
}

// The trusted ranges come from the loaded ELF objects' program headers. The
// kernel's own list of executable mappings, read in the same process, is the
// expected value.
TEST(TrustedRanges, MatchExecutableMappings) {
  std::vector<platform::linux_userland::AddressRange> mapped;
  std::ifstream maps("/proc/self/maps");
  ASSERT_TRUE(maps.is_open());
  std::string line;
  while (std::getline(maps, line)) {
    // "start-end perms offset dev inode path"
    const size_t dash = line.find('-');
    const size_t space = line.find(' ');
    ASSERT_NE(dash, std::string::npos) << line;
    ASSERT_NE(space, std::string::npos) << line;
    const uint64_t start = std::stoull(line.substr(0, dash), nullptr, 16);
    const uint64_t end = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
    // The vsyscall page lies above the user address space.
    if (line[space + 3] != 'x' || start >= 0x0000'8000'0000'0000) {
      continue;
    }
    if (!mapped.empty() && mapped.back().end == start) {
      mapped.back().end = end;
    } else {
      mapped.push_back({start, end});
    }
  }

  Result<std::vector<platform::linux_userland::AddressRange>> trusted =
      platform::linux_userland::read_executable_ranges();
  ASSERT_TRUE(trusted.has_value());
  ASSERT_EQ(trusted->size(), mapped.size());
  for (size_t i = 0; i < mapped.size(); ++i) {
    EXPECT_EQ((*trusted)[i].start, mapped[i].start) << "range " << i;
    EXPECT_EQ((*trusted)[i].end, mapped[i].end) << "range " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, GuestExecutionTest,
                         ::testing::Values(InterceptionMode::seccomp,
                                           InterceptionMode::syscall_user_dispatch),
                         mode_name);

}  // namespace
}  // namespace litebox::testing
