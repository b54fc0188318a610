// Guest signal delivery in the Linux shim, through Kernel::serve on the mock
// platform: the x86-64 signal frame a handler gets, rt_sigreturn, and
// blocked signals. Guest memory is host memory that FakeExecution allows.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "fake_execution.hpp"
#include "shim/linux/kernel.hpp"
#include "test_platform.hpp"

namespace litebox::shim::linux_abi {
namespace {

using testing::FakeExecution;
using testing::GuestExit;

constexpr int signal_user1 = 10;
constexpr uint64_t handler_address = 0x401000;
constexpr uint64_t restorer_address = 0x402000;
constexpr uint64_t sa_siginfo = 0x4;
constexpr uint64_t sa_restorer = 0x04000000;

// Offsets inside the frame, from its start (the return address slot).
constexpr size_t context_offset = 8;
constexpr size_t machine_context_offset = 8 + 40;
constexpr size_t saved_rip_offset = machine_context_offset + 16 * 8;
constexpr size_t fpstate_offset = machine_context_offset + 23 * 8;
constexpr size_t saved_mask_offset = 8 + 296;
constexpr size_t siginfo_offset = 312;
constexpr size_t xsave_size = 1024;

class ShimSignals : public ::testing::Test {
 protected:
  ShimSignals() : kernel_(execution_, nullptr), stack_(64 * 1024), xsave_(xsave_size + 64) {
    task_ = kernel_.create_first_task({});
    execution_.allow(stack_.data(), stack_.size());
    execution_.allow(action_, sizeof action_);
  }

  // Serves one system call with the guest stack pointer at the top of the
  // test stack and returns rax as a signed value.
  int64_t call(uint32_t number, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
               uint64_t a3 = 0) {
    registers_.rax = number;
    registers_.rdi = a0;
    registers_.rsi = a1;
    registers_.rdx = a2;
    registers_.r10 = a3;
    kernel_.serve(*task_, registers_, extended_state());
    return static_cast<int64_t>(registers_.rax);
  }

  platform::ExtendedState extended_state() {
    // Safety: the address is only rounded up to the 64-byte alignment
    // XSAVE images have.
    const auto address = (reinterpret_cast<uintptr_t>(xsave_.data()) + 63) & ~uintptr_t{63};
    return {reinterpret_cast<std::byte*>(address), xsave_size, 0x7};
  }

  uint64_t stack_top() {
    // Safety: the address is handed to the shim as a guest stack pointer.
    return reinterpret_cast<uint64_t>(stack_.data() + stack_.size()) - 256;
  }

  void install_handler() {
    action_[0] = handler_address;
    action_[1] = sa_siginfo | sa_restorer;
    action_[2] = restorer_address;
    action_[3] = 0;
    // Safety: the address is handed to the shim as a guest pointer.
    ASSERT_EQ(call(nr::rt_sigaction, signal_user1, reinterpret_cast<uint64_t>(action_), 0, 8), 0);
  }

  template <typename T>
  static T read_at(uint64_t address) {
    T value;
    // Safety: the test reads its own stack memory, where the shim wrote.
    std::memcpy(&value, reinterpret_cast<const void*>(address), sizeof value);
    return value;
  }

  FakeExecution execution_;
  Kernel kernel_;
  std::unique_ptr<Task> task_;
  platform::GuestRegisters registers_{};
  std::vector<std::byte> stack_;
  std::vector<std::byte> xsave_;
  uint64_t action_[4] = {};
};

TEST_F(ShimSignals, HandlerGetsKernelFrameLayout) {
  install_handler();
  const uint64_t interrupted_rsp = stack_top();
  registers_.rsp = interrupted_rsp;
  registers_.rip = 0x400100;

  EXPECT_EQ(call(nr::kill, 1, signal_user1), 0);

  const uint64_t frame = registers_.rsp;
  EXPECT_EQ(registers_.rip, handler_address);
  EXPECT_EQ(registers_.rdi, static_cast<uint64_t>(signal_user1));
  EXPECT_EQ(registers_.rsi, frame + siginfo_offset);
  EXPECT_EQ(registers_.rdx, frame + context_offset);
  EXPECT_EQ(registers_.rax, 0u);
  EXPECT_EQ(frame % 16, 8u);
  EXPECT_LE(frame, interrupted_rsp - 128);
  EXPECT_EQ(read_at<uint64_t>(frame), restorer_address);
  EXPECT_EQ(read_at<uint64_t>(frame + saved_rip_offset), 0x400100u);
  EXPECT_EQ(read_at<int32_t>(frame + siginfo_offset), signal_user1);
  EXPECT_EQ(read_at<uint64_t>(frame + saved_mask_offset), 0u);
  EXPECT_EQ(task_->signal_mask, uint64_t{1} << (signal_user1 - 1));
}

TEST_F(ShimSignals, FrameCarriesXsaveImageWithMagic) {
  install_handler();
  registers_.rsp = stack_top();

  EXPECT_EQ(call(nr::kill, 1, signal_user1), 0);

  const auto fpstate = read_at<uint64_t>(registers_.rsp + fpstate_offset);
  EXPECT_EQ(fpstate % 64, 0u);
  EXPECT_GT(fpstate, registers_.rsp);
  EXPECT_EQ(read_at<uint32_t>(fpstate + 464), 0x46505853u);
  EXPECT_EQ(read_at<uint32_t>(fpstate + 468), xsave_size + 4);
  EXPECT_EQ(read_at<uint32_t>(fpstate + xsave_size), 0x46505845u);
}

TEST_F(ShimSignals, SigreturnRestoresContextAndMask) {
  install_handler();
  registers_.rsp = stack_top();
  registers_.rip = 0x400100;
  registers_.rbx = 77;

  EXPECT_EQ(call(nr::kill, 1, signal_user1), 0);
  registers_.rbx = 5;
  // The handler's `ret` pops the return address into the restorer.
  registers_.rsp += 8;

  EXPECT_EQ(call(nr::rt_sigreturn), 0);
  EXPECT_EQ(registers_.rip, 0x400100u);
  EXPECT_EQ(registers_.rsp, stack_top());
  EXPECT_EQ(registers_.rbx, 77u);
  EXPECT_EQ(task_->signal_mask, 0u);
}

TEST_F(ShimSignals, SigreturnFromBadFrameKills) {
  registers_.rsp = 0x1000;

  try {
    call(nr::rt_sigreturn);
    FAIL() << "rt_sigreturn with an unreadable frame returned";
  } catch (const GuestExit& exit) {
    EXPECT_EQ(exit.status, 128 + 11);
  }
}

TEST_F(ShimSignals, BlockedSignalStaysPending) {
  install_handler();
  registers_.rsp = stack_top();
  registers_.rip = 0x400100;
  uint64_t set = uint64_t{1} << (signal_user1 - 1);
  execution_.allow(&set, sizeof set);

  // Safety: the addresses are handed to the shim as guest pointers.
  EXPECT_EQ(call(nr::rt_sigprocmask, 0, reinterpret_cast<uint64_t>(&set), 0, 8), 0);
  EXPECT_EQ(call(nr::kill, 1, signal_user1), 0);
  EXPECT_EQ(registers_.rip, 0x400100u);

  set = 0;
  EXPECT_EQ(call(nr::rt_sigpending, reinterpret_cast<uint64_t>(&set), 8), 0);
  EXPECT_EQ(set, uint64_t{1} << (signal_user1 - 1));

  EXPECT_EQ(call(nr::rt_sigprocmask, 1, reinterpret_cast<uint64_t>(&set), 0, 8), 0);
  EXPECT_EQ(registers_.rip, handler_address);
}

TEST_F(ShimSignals, DefaultTerminateEndsProcess) {
  try {
    call(nr::kill, 1, 15);
    FAIL() << "SIGTERM with the default action returned";
  } catch (const GuestExit& exit) {
    EXPECT_EQ(exit.status, 128 + 15);
  }
}

}  // namespace
}  // namespace litebox::shim::linux_abi
