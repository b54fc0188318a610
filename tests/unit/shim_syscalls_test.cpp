// Linux shim system calls served through Kernel::serve on the mock platform,
// with guest memory as host memory that the FakeExecution lets through.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>
#include <string_view>

#include "fake_execution.hpp"
#include "litebox/fd/stdio_file.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "test_platform.hpp"

namespace litebox::shim::linux_abi {
namespace {

using testing::FakeExecution;
using testing::GuestExit;

class ShimSyscalls : public ::testing::Test {
 protected:
  explicit ShimSyscalls(KernelOptions options = {}) : kernel_(execution_, nullptr, options) {
    task_ = kernel_.create_first_task({});
    execution_.use_memory_map(&task_->process().memory);
    execution_.allow(buffer_.data(), buffer_.size());
  }

  // Serves one system call and returns rax as a signed value (-errno on error).
  int64_t call(uint32_t number, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
               uint64_t a4 = 0, uint64_t a5 = 0) {
    registers_.rax = number;
    registers_.rdi = a0;
    registers_.rsi = a1;
    registers_.rdx = a2;
    registers_.r10 = a3;
    registers_.r8 = a4;
    registers_.r9 = a5;
    kernel_.serve(*task_, registers_);
    return static_cast<int64_t>(registers_.rax);
  }

  uint64_t buffer_address(size_t offset = 0) {
    // Safety: the address is handed to the shim as a guest pointer.
    return reinterpret_cast<uint64_t>(buffer_.data() + offset);
  }

  void install_stdio() {
    auto& descriptors = task_->process().descriptors();
    ASSERT_EQ(
        descriptors.allocate(std::make_shared<fd::StdioFile>(platform::StdioStream::input), false),
        0);
    ASSERT_EQ(
        descriptors.allocate(std::make_shared<fd::StdioFile>(platform::StdioStream::output), false),
        1);
    ASSERT_EQ(
        descriptors.allocate(std::make_shared<fd::StdioFile>(platform::StdioStream::error), false),
        2);
  }

  static int64_t negative(Errno error) { return -errno_value(error); }

  FakeExecution execution_;
  Kernel kernel_;
  std::unique_ptr<Task> task_;
  platform::GuestRegisters registers_{};
  std::array<char, 4096> buffer_{};
};

TEST_F(ShimSyscalls, UnknownNumberIsNotImplemented) {
  EXPECT_EQ(call(500), negative(Errno::enosys));
}

TEST_F(ShimSyscalls, UnimplementedCallIsLoggedOnce) {
  auto& mock = litebox::testing::mock_platform();
  size_t before = mock.log_lines().size();

  EXPECT_EQ(call(nr::kexec_load), negative(Errno::enosys));
  EXPECT_EQ(call(nr::kexec_load), negative(Errno::enosys));

  auto lines = mock.log_lines();
  ASSERT_EQ(lines.size(), before + 1);
  EXPECT_NE(lines.back().find("kexec_load"), std::string::npos);
}

TEST_F(ShimSyscalls, FirstProcessIsPidOne) {
  EXPECT_EQ(call(nr::getpid), 1);
  EXPECT_EQ(call(nr::gettid), 1);
  EXPECT_EQ(call(nr::getppid), 0);
}

TEST_F(ShimSyscalls, UnameReportsLiteboxNode) {
  ASSERT_EQ(call(nr::uname, buffer_address()), 0);

  EXPECT_STREQ(buffer_.data(), "Linux");
  EXPECT_STREQ(buffer_.data() + 65, "litebox");
  EXPECT_STREQ(buffer_.data() + 4 * 65, "x86_64");
}

TEST_F(ShimSyscalls, UnameBadPointerIsFault) {
  EXPECT_EQ(call(nr::uname, 0x10), negative(Errno::efault));
}

TEST_F(ShimSyscalls, ArchPrctlSetsAndGetsFsBase) {
  ASSERT_EQ(call(nr::arch_prctl, 0x1002, 0x7000'1234), 0);
  EXPECT_EQ(registers_.fs_base, 0x7000'1234u);

  ASSERT_EQ(call(nr::arch_prctl, 0x1003, buffer_address()), 0);
  uint64_t value;
  std::memcpy(&value, buffer_.data(), sizeof(value));
  EXPECT_EQ(value, 0x7000'1234u);
}

TEST_F(ShimSyscalls, ArchPrctlRejectsNonCanonicalBase) {
  EXPECT_EQ(call(nr::arch_prctl, 0x1002, uint64_t{1} << 47), negative(Errno::eperm));
}

TEST_F(ShimSyscalls, WriteReachesStandardOutput) {
  install_stdio();
  auto& mock = litebox::testing::mock_platform();
  size_t before = mock.output().size();
  std::memcpy(buffer_.data(), "hello\n", 6);

  EXPECT_EQ(call(nr::write, 1, buffer_address(), 6), 6);
  EXPECT_EQ(mock.output().substr(before), "hello\n");
}

TEST_F(ShimSyscalls, WritevGathersInOrder) {
  install_stdio();
  auto& mock = litebox::testing::mock_platform();
  size_t before = mock.error_output().size();
  std::memcpy(buffer_.data(), "abc", 3);
  std::memcpy(buffer_.data() + 8, "de", 2);
  GuestIovec vectors[2] = {{buffer_address(8), 2}, {buffer_address(), 3}};
  std::memcpy(buffer_.data() + 64, vectors, sizeof(vectors));

  EXPECT_EQ(call(nr::writev, 2, buffer_address(64), 2), 5);
  EXPECT_EQ(mock.error_output().substr(before), "deabc");
}

TEST_F(ShimSyscalls, WriteToClosedDescriptorIsBad) {
  EXPECT_EQ(call(nr::write, 1, buffer_address(), 1), negative(Errno::ebadf));
}

TEST_F(ShimSyscalls, ReadFromStandardInput) {
  install_stdio();
  litebox::testing::mock_platform().set_input("typed");

  EXPECT_EQ(call(nr::read, 0, buffer_address(), 100), 5);
  EXPECT_EQ(std::string(buffer_.data(), 5), "typed");
}

TEST_F(ShimSyscalls, ReadIntoBadPointerIsFault) {
  install_stdio();
  litebox::testing::mock_platform().set_input("x");
  EXPECT_EQ(call(nr::read, 0, 0x10, 1), negative(Errno::efault));
}

TEST_F(ShimSyscalls, AnonymousMmapIsUsable) {
  constexpr uint64_t prot_read_write = 3;
  constexpr uint64_t map_private_anonymous = 0x22;
  int64_t address =
      call(nr::mmap, 0, 8192, prot_read_write, map_private_anonymous, static_cast<uint64_t>(-1), 0);
  ASSERT_GT(address, 0);

  EXPECT_TRUE(task_->process().memory.is_mapped(static_cast<uint64_t>(address), 8192));
  EXPECT_EQ(call(nr::munmap, static_cast<uint64_t>(address), 8192), 0);
  EXPECT_FALSE(task_->process().memory.is_mapped(static_cast<uint64_t>(address), 4096));
}

TEST_F(ShimSyscalls, MmapWithoutSharingTypeIsInvalid) {
  EXPECT_EQ(call(nr::mmap, 0, 4096, 3, 0x20, static_cast<uint64_t>(-1), 0),
            negative(Errno::einval));
}

TEST_F(ShimSyscalls, MmapFixedNoReplaceOverMappingExists) {
  int64_t address = call(nr::mmap, 0, 8192, 3, 0x22, static_cast<uint64_t>(-1), 0);
  ASSERT_GT(address, 0);

  EXPECT_EQ(call(nr::mmap, static_cast<uint64_t>(address), 4096, 3, 0x100022,
                 static_cast<uint64_t>(-1), 0),
            negative(Errno::eexist));
}

TEST_F(ShimSyscalls, MmapOfBadDescriptorIsBad) {
  EXPECT_EQ(call(nr::mmap, 0, 4096, 1, 0x02, 42, 0), negative(Errno::ebadf));
}

TEST_F(ShimSyscalls, BrkGrowsAndShrinksHeap) {
  Process& process = task_->process();
  process.break_start = process.break_end = 0x1500'0000'0000;

  EXPECT_EQ(call(nr::brk, 0), 0x1500'0000'0000);
  EXPECT_EQ(call(nr::brk, 0x1500'0000'2100), 0x1500'0000'2100);
  EXPECT_TRUE(process.memory.is_mapped(0x1500'0000'0000, 0x3000));
  EXPECT_EQ(process.memory.find(0x1500'0000'0000)->name, "[heap]");

  EXPECT_EQ(call(nr::brk, 0x1500'0000'1000), 0x1500'0000'1000);
  EXPECT_FALSE(process.memory.is_mapped(0x1500'0000'1000, 0x1000));
}

TEST_F(ShimSyscalls, BrkBelowStartKeepsBreak) {
  Process& process = task_->process();
  process.break_start = process.break_end = 0x1500'0000'0000;

  EXPECT_EQ(call(nr::brk, 0x1000), 0x1500'0000'0000);
}

TEST_F(ShimSyscalls, SigprocmaskNeverBlocksKill) {
  uint64_t everything = ~uint64_t{0};
  std::memcpy(buffer_.data(), &everything, sizeof(everything));

  ASSERT_EQ(call(nr::rt_sigprocmask, 0, buffer_address(), buffer_address(8), 8), 0);
  ASSERT_EQ(call(nr::rt_sigprocmask, 0, 0, buffer_address(16), 8), 0);

  uint64_t mask;
  std::memcpy(&mask, buffer_.data() + 16, sizeof(mask));
  EXPECT_EQ(mask & (uint64_t{1} << 8), 0u);   // SIGKILL
  EXPECT_EQ(mask & (uint64_t{1} << 18), 0u);  // SIGSTOP
  EXPECT_NE(mask & 1, 0u);                    // SIGHUP
}

TEST_F(ShimSyscalls, SigprocmaskWrongSetSizeIsInvalid) {
  EXPECT_EQ(call(nr::rt_sigprocmask, 0, 0, 0, 4), negative(Errno::einval));
}

TEST_F(ShimSyscalls, SigactionOnKillIsInvalid) {
  EXPECT_EQ(call(nr::rt_sigaction, 9, buffer_address(), 0, 8), negative(Errno::einval));
}

TEST_F(ShimSyscalls, SigactionReturnsPreviousHandler) {
  SignalAction action{0x401000, 0x04000000, 0x402000, 0};
  std::memcpy(buffer_.data(), &action, sizeof(action));

  ASSERT_EQ(call(nr::rt_sigaction, 10, buffer_address(), 0, 8), 0);
  ASSERT_EQ(call(nr::rt_sigaction, 10, 0, buffer_address(64), 8), 0);

  SignalAction previous;
  std::memcpy(&previous, buffer_.data() + 64, sizeof(previous));
  EXPECT_EQ(previous.handler, 0x401000u);
  EXPECT_EQ(previous.restorer, 0x402000u);
}

TEST_F(ShimSyscalls, SigaltstackTooSmallIsOutOfMemory) {
  SignalStack stack{buffer_address(), 0, 0, 1024};
  std::memcpy(buffer_.data() + 2048, &stack, sizeof(stack));
  EXPECT_EQ(call(nr::sigaltstack, buffer_address(2048), 0), negative(Errno::enomem));
}

TEST_F(ShimSyscalls, GetrandomFillsBuffer) {
  EXPECT_EQ(call(nr::getrandom, buffer_address(), 64, 0), 64);
  EXPECT_NE(std::count(buffer_.begin(), buffer_.begin() + 64, '\0'), 64);
}

TEST_F(ShimSyscalls, GetrandomUnknownFlagIsInvalid) {
  EXPECT_EQ(call(nr::getrandom, buffer_address(), 8, 0x10), negative(Errno::einval));
}

TEST_F(ShimSyscalls, ClockGettimeReadsMonotonicClock) {
  ASSERT_EQ(call(nr::clock_gettime, 1, buffer_address()), 0);

  int64_t seconds, nanoseconds;
  std::memcpy(&seconds, buffer_.data(), 8);
  std::memcpy(&nanoseconds, buffer_.data() + 8, 8);
  auto expected = litebox::testing::mock_platform().monotonic_now().count();
  EXPECT_EQ(seconds * 1'000'000'000 + nanoseconds, expected);
}

TEST_F(ShimSyscalls, ClockGettimeUnknownClockIsInvalid) {
  EXPECT_EQ(call(nr::clock_gettime, 99, buffer_address()), negative(Errno::einval));
}

TEST_F(ShimSyscalls, NanosleepRejectsBadNanoseconds) {
  int64_t request[2] = {0, 1'000'000'000};
  std::memcpy(buffer_.data(), request, sizeof(request));
  EXPECT_EQ(call(nr::nanosleep, buffer_address(), 0), negative(Errno::einval));
}

TEST_F(ShimSyscalls, PrlimitRejectsSoftAboveHard) {
  uint64_t limit[2] = {10, 5};
  std::memcpy(buffer_.data(), limit, sizeof(limit));
  EXPECT_EQ(call(nr::prlimit64, 0, 7, buffer_address(), 0), negative(Errno::einval));
}

TEST_F(ShimSyscalls, GetrlimitReportsStackLimit) {
  ASSERT_EQ(call(nr::getrlimit, 3, buffer_address()), 0);
  uint64_t limit[2];
  std::memcpy(limit, buffer_.data(), sizeof(limit));
  EXPECT_EQ(limit[0], 8u * 1024 * 1024);
}

TEST_F(ShimSyscalls, PrctlNameRoundTrips) {
  std::memcpy(buffer_.data(), "worker-thread-name", 19);
  ASSERT_EQ(call(nr::prctl, 15, buffer_address()), 0);
  ASSERT_EQ(call(nr::prctl, 16, buffer_address(100)), 0);
  EXPECT_STREQ(buffer_.data() + 100, "worker-thread-n");
}

TEST_F(ShimSyscalls, RseqIsNotImplemented) {
  EXPECT_EQ(call(nr::rseq, 0, 0, 0, 0), negative(Errno::enosys));
}

TEST_F(ShimSyscalls, ExitGroupEndsWithStatus) {
  try {
    call(nr::exit_group, 3);
    FAIL() << "exit_group returned";
  } catch (const GuestExit& exit) {
    EXPECT_EQ(exit.status, 3);
  }
}

TEST_F(ShimSyscalls, AbortSignalEndsWith134) {
  try {
    call(nr::tgkill, 1, 1, 6);
    FAIL() << "tgkill returned";
  } catch (const GuestExit& exit) {
    EXPECT_EQ(exit.status, 128 + 6);
  }
}

TEST_F(ShimSyscalls, IgnoredSignalToSelfReturns) { EXPECT_EQ(call(nr::kill, 1, 17), 0); }

TEST_F(ShimSyscalls, FutexWaitOnChangedWordIsAgain) {
  int64_t address = call(nr::mmap, 0, 4096, 3, 0x22, static_cast<uint64_t>(-1), 0);
  ASSERT_GT(address, 0);

  EXPECT_EQ(call(nr::futex, static_cast<uint64_t>(address), 128, 5, 0), negative(Errno::eagain));
}

TEST_F(ShimSyscalls, FutexMisalignedWordIsInvalid) {
  int64_t address = call(nr::mmap, 0, 4096, 3, 0x22, static_cast<uint64_t>(-1), 0);
  ASSERT_GT(address, 0);

  EXPECT_EQ(call(nr::futex, static_cast<uint64_t>(address) + 2, 128, 0, 0),
            negative(Errno::einval));
}

TEST_F(ShimSyscalls, FutexUnmappedWordIsFault) {
  EXPECT_EQ(call(nr::futex, 0x1000'0000, 128, 0, 0), negative(Errno::efault));
}

TEST_F(ShimSyscalls, FutexWakeWithoutWaitersIsZero) {
  int64_t address = call(nr::mmap, 0, 4096, 3, 0x22, static_cast<uint64_t>(-1), 0);
  ASSERT_GT(address, 0);

  EXPECT_EQ(call(nr::futex, static_cast<uint64_t>(address), 129, 10), 0);
}

TEST_F(ShimSyscalls, FutexWaitBitsetZeroIsInvalid) {
  int64_t address = call(nr::mmap, 0, 4096, 3, 0x22, static_cast<uint64_t>(-1), 0);
  ASSERT_GT(address, 0);

  EXPECT_EQ(call(nr::futex, static_cast<uint64_t>(address), 137, 0, 0, 0, 0),
            negative(Errno::einval));
}

TEST_F(ShimSyscalls, CloneThreadWithoutSighandIsInvalid) {
  constexpr uint64_t clone_vm_thread = 0x100 | 0x10000;
  EXPECT_EQ(call(nr::clone, clone_vm_thread, 0, 0, 0, 0), negative(Errno::einval));
}

TEST_F(ShimSyscalls, ForkStyleCloneIsNotImplemented) {
  constexpr uint64_t sigchld = 17;
  EXPECT_EQ(call(nr::clone, sigchld, 0, 0, 0, 0), negative(Errno::enosys));
}

TEST_F(ShimSyscalls, ExitOfLastThreadEndsProcess) {
  try {
    call(nr::exit, 4);
    FAIL() << "exit returned";
  } catch (const GuestExit& exit) {
    EXPECT_EQ(exit.status, 4);
  }
}

class ShimTrace : public ShimSyscalls {
 protected:
  ShimTrace() : ShimSyscalls(KernelOptions{.trace = true}) {}

  // A trace line as strace prints it: " = " after the call, padded so that
  // "=" is at column 40 when the call is shorter.
  static std::string line(std::string_view call, std::string_view result) {
    return fmt::format("{:<39} = {}\n", call, result);
  }
};

TEST_F(ShimTrace, WriteLineShowsBuffer) {
  install_stdio();
  auto& mock = litebox::testing::mock_platform();
  std::memcpy(buffer_.data(), "hi\n", 3);
  size_t before = mock.error_output().size();

  call(nr::write, 1, buffer_address(), 3);

  EXPECT_EQ(mock.error_output().substr(before), line("write(1, \"hi\\n\", 3)", "3"));
}

TEST_F(ShimTrace, ErrorLineShowsErrno) {
  auto& mock = litebox::testing::mock_platform();
  size_t before = mock.error_output().size();

  call(nr::close, 99);

  EXPECT_EQ(mock.error_output().substr(before),
            line("close(99)", "-1 EBADF (Bad file descriptor)"));
}

TEST_F(ShimTrace, MmapLineDecodesFlags) {
  auto& mock = litebox::testing::mock_platform();
  size_t before = mock.error_output().size();

  int64_t address = call(nr::mmap, 0, 4096, 3, 0x22, static_cast<uint64_t>(-1), 0);

  EXPECT_EQ(mock.error_output().substr(before),
            fmt::format("mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, "
                        "0) = {:#x}\n",
                        address));
}

// Linux reads an int argument from the low 32 bits of its register, so a
// zero-extended -1 is still -1; a 64-bit offset keeps all of its bits.
TEST_F(ShimTrace, IntArgumentsUseLow32BitsAndOffsetsUse64) {
  auto& mock = litebox::testing::mock_platform();
  size_t before = mock.error_output().size();

  call(nr::lseek, 99, static_cast<uint64_t>(-5), 0);
  call(nr::sched_getaffinity, 0xffff'ffffULL, 0, 0);

  EXPECT_EQ(mock.error_output().substr(before),
            line("lseek(99, -5, SEEK_SET)", "-1 EBADF (Bad file descriptor)") +
                line("sched_getaffinity(-1, 0, NULL)", "-1 EINVAL (Invalid argument)"));
}

TEST_F(ShimTrace, CallWithoutArgumentsShowsEmptyList) {
  auto& mock = litebox::testing::mock_platform();
  size_t before = mock.error_output().size();

  call(nr::sched_yield, 7, 8, 9);

  EXPECT_EQ(mock.error_output().substr(before), line("sched_yield()", "0"));
}

TEST_F(ShimTrace, ExitGroupPrintsExitLine) {
  auto& mock = litebox::testing::mock_platform();
  size_t before = mock.error_output().size();

  EXPECT_THROW(call(nr::exit_group, 2), GuestExit);

  EXPECT_EQ(mock.error_output().substr(before),
            line("exit_group(2)", "?") + "+++ exited with 2 +++\n");
}

}  // namespace
}  // namespace litebox::shim::linux_abi
