// signalfd(2) and signalfd4(2): a descriptor from which a process reads its
// pending signals of a set as struct signalfd_siginfo records, and which
// poll(2) and epoll report readable while one of them is pending.
#include <atomic>
#include <cstring>
#include <optional>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/anonymous_inode.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/signal/delivery.hpp"

namespace litebox::shim::linux_abi {

namespace {

// The kernel's sigset_t is one 64-bit word on x86-64.
constexpr uint64_t sigset_size = 8;
// SFD_CLOEXEC and SFD_NONBLOCK, the O_* values.
constexpr uint32_t signalfd_close_on_exec = fd::open_close_on_exec;
constexpr uint32_t signalfd_non_blocking = fd::open_non_blocking;

// struct signalfd_siginfo (128 bytes).
struct SignalFdInfo {
  uint32_t signo;
  int32_t error;
  int32_t code;
  uint32_t pid;
  uint32_t uid;
  int32_t fd;
  uint32_t tid;
  uint32_t band;
  uint32_t overrun;
  uint32_t trap_number;
  int32_t status;
  int32_t value_int;
  uint64_t value_pointer;
  uint64_t user_time;
  uint64_t system_time;
  uint64_t address;
  uint16_t address_lsb;
  uint8_t padding[46];
};
static_assert(sizeof(SignalFdInfo) == 128);

SignalFdInfo to_signalfd_info(const SignalInfo& info) {
  SignalFdInfo record{};
  record.signo = static_cast<uint32_t>(info.signo);
  record.error = info.error;
  record.code = info.code;
  if (info.code == si::timer) {
    record.tid = static_cast<uint32_t>(info.timer_id());
    record.overrun = static_cast<uint32_t>(info.timer_overrun());
    record.value_pointer = info.fields[1];
    record.value_int = static_cast<int32_t>(info.fields[1] & 0xffff'ffff);
    return record;
  }
  if (info.signo == sig::segmentation_fault || info.signo == sig::bus_error ||
      info.signo == sig::illegal_instruction || info.signo == sig::floating_point ||
      info.signo == sig::trap) {
    record.address = info.fields[0];
    return record;
  }
  // si_pid and si_uid, then si_status of SIGCHLD or the si_value that
  // sigqueue(3) sends.
  record.pid = static_cast<uint32_t>(info.fields[0] & 0xffff'ffff);
  record.uid = static_cast<uint32_t>(info.fields[0] >> 32);
  if (info.signo == sig::child) {
    record.status = static_cast<int32_t>(info.fields[1] & 0xffff'ffff);
  } else {
    record.value_pointer = info.fields[1];
    record.value_int = static_cast<int32_t>(info.fields[1] & 0xffff'ffff);
  }
  return record;
}

// The open file description of a signalfd. Reads and readiness concern
// the calling thread and its process, as on Linux. Waiters hear of the
// signals of every process of the sandbox and check their own again.
class SignalFile final : public fd::File {
 public:
  SignalFile(uint64_t mask, uint32_t flags, Kernel& kernel)
      : File(fd::open_read_write | flags), mask_(mask), kernel_(kernel) {}

  void set_mask(uint64_t mask) {
    mask_.store(mask, std::memory_order_relaxed);
    kernel_.signal_readiness().notify(event::pollin);
  }

  Result<fs::Stat> stat() override { return fd::anonymous_inode_stat(); }
  std::string anonymous_name() override { return "anon_inode:[signalfd]"; }
  event::Pollable* pollable() override { return &kernel_.signal_readiness(); }

  uint32_t poll_events() override {
    Task* task = Kernel::current_task();
    if (task == nullptr) {
      return 0;
    }
    const uint64_t mask = mask_.load(std::memory_order_relaxed);
    return (pending_signal_set(*task) & mask) != 0 ? event::pollin | event::pollrdnorm : 0;
  }

  Result<size_t> read(std::span<std::byte> buffer) override {
    Task* task = Kernel::current_task();
    if (task == nullptr) {
      return fail(Errno::eio);
    }
    if (buffer.size() < sizeof(SignalFdInfo)) {
      return fail(Errno::einval);
    }
    const uint64_t mask = mask_.load(std::memory_order_relaxed);
    size_t copied = 0;
    while (copied + sizeof(SignalFdInfo) <= buffer.size()) {
      std::optional<SignalInfo> taken = take_pending_signal(*task, mask);
      if (!taken && copied == 0) {
        if ((flags() & fd::open_non_blocking) != 0) {
          return fail(Errno::eagain);
        }
        taken = TRY(wait_for(*task, mask));
      }
      if (!taken) {
        break;
      }
      const SignalFdInfo record = to_signalfd_info(*taken);
      std::memcpy(buffer.data() + copied, &record, sizeof record);
      copied += sizeof record;
    }
    return copied;
  }

 private:
  // Waits for a signal of `mask` as rt_sigtimedwait does: with the mask's
  // signals unblocked, so that sending one interrupts the thread, which
  // then takes it here instead of running its action.
  static Result<std::optional<SignalInfo>> wait_for(Task& task, uint64_t mask) {
    const uint64_t blocked = task.signal_mask;
    set_signal_mask(task, blocked & ~mask);
    std::optional<SignalInfo> taken = take_pending_signal(task, mask);
    Result<void> waited;
    if (!taken) {
      waited = wait_for_signal_until(std::nullopt);
    }
    set_signal_mask(task, blocked);
    if (!taken) {
      taken = take_pending_signal(task, mask);
    }
    if (!taken && !waited) {
      return fail(waited.error());
    }
    return taken;
  }

  std::atomic<uint64_t> mask_;
  // The kernel lives as long as the sandbox, in the heap that every process
  // maps at the same address.
  Kernel& kernel_;
};

Result<uint64_t> signalfd_common(Task& task, int32_t descriptor, uint64_t mask_address,
                                 uint64_t mask_size, uint32_t flags) {
  if (mask_size != sigset_size ||
      (flags & ~(signalfd_close_on_exec | signalfd_non_blocking)) != 0) {
    return fail(Errno::einval);
  }
  const uint64_t mask = TRY(GuestPtr<uint64_t>(mask_address).read()) & ~unblockable_signals;
  if (descriptor != -1) {
    auto file = TRY(task.process().descriptors().get(descriptor));
    auto* signal_file = dynamic_cast<SignalFile*>(file.get());
    if (signal_file == nullptr) {
      return fail(Errno::einval);
    }
    signal_file->set_mask(mask);
    return static_cast<uint64_t>(descriptor);
  }
  auto file = std::make_shared<SignalFile>(mask, flags & signalfd_non_blocking, task.kernel());
  return TRY(task.process().descriptors().allocate(std::move(file),
                                                   (flags & signalfd_close_on_exec) != 0));
}

Result<uint64_t> sys_signalfd(Task& task, const SyscallArguments& arguments) {
  return signalfd_common(task, arguments.as_int(0), arguments[1], arguments[2], 0);
}

Result<uint64_t> sys_signalfd4(Task& task, const SyscallArguments& arguments) {
  return signalfd_common(task, arguments.as_int(0), arguments[1], arguments[2],
                         arguments.as_uint(3));
}

}  // namespace

void register_signalfd_syscalls(SyscallTable& table) {
  table.add(nr::signalfd, sys_signalfd);
  table.add(nr::signalfd4, sys_signalfd4);
}

}  // namespace litebox::shim::linux_abi
