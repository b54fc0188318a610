// Event notification system calls: epoll_create, epoll_create1, epoll_ctl,
// epoll_wait, epoll_pwait, epoll_pwait2, eventfd and eventfd2.
#include <chrono>
#include <climits>
#include <optional>
#include <vector>

#include "litebox/event/epoll.hpp"
#include "litebox/ipc/eventfd.hpp"
#include "shim/linux/guest_clock.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/signal/delivery.hpp"
#include "shim/linux/syscalls/file_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

// struct epoll_event, packed on x86-64.
struct [[gnu::packed]] LinuxEpollEvent {
  uint32_t events;
  uint64_t data;
};
static_assert(sizeof(LinuxEpollEvent) == 12);

// epoll_ctl(2) operations.
enum EpollOperation : int32_t {
  epoll_ctl_add = 1,
  epoll_ctl_del = 2,
  epoll_ctl_mod = 3,
};

// EPOLL_CLOEXEC is O_CLOEXEC.
constexpr uint32_t epoll_close_on_exec = fd::open_close_on_exec;

// Linux's EP_MAX_EVENTS: the largest maxevents epoll_wait(2) accepts.
constexpr int32_t max_wait_events = INT_MAX / static_cast<int32_t>(sizeof(LinuxEpollEvent));

// The kernel's sigset_t is 64 bits.
constexpr uint64_t kernel_sigset_size = 8;

Result<uint64_t> install_epoll(Task& task, uint32_t flags) {
  auto epoll = std::make_shared<event::Epoll>();
  bool close_on_exec = (flags & epoll_close_on_exec) != 0;
  return TRY(task.process().descriptors().allocate(std::move(epoll), close_on_exec));
}

Result<uint64_t> sys_epoll_create(Task& task, const SyscallArguments& arguments) {
  // The size hint is unused since Linux 2.6.8 but must be positive.
  if (arguments.as_int(0) <= 0) {
    return fail(Errno::einval);
  }
  return install_epoll(task, 0);
}

Result<uint64_t> sys_epoll_create1(Task& task, const SyscallArguments& arguments) {
  const uint32_t flags = arguments.as_uint(0);
  if (flags & ~epoll_close_on_exec) {
    return fail(Errno::einval);
  }
  return install_epoll(task, flags);
}

Result<uint64_t> sys_epoll_ctl(Task& task, const SyscallArguments& arguments) {
  const int32_t epoll_descriptor = arguments.as_int(0);
  const int32_t operation = arguments.as_int(1);
  const int32_t descriptor = arguments.as_int(2);
  const uint64_t event_address = arguments[3];

  // Linux reads the event for every operation but EPOLL_CTL_DEL, even an
  // unknown one, before it looks at the descriptors.
  LinuxEpollEvent request{};
  if (operation != epoll_ctl_del) {
    request = TRY(GuestPtr<LinuxEpollEvent>(event_address).read());
  }
  auto epoll_file = TRY(file_of(task, epoll_descriptor));
  auto file = TRY(file_of(task, descriptor));
  if (!event::Epoll::supports_polling(*file)) {
    return fail(Errno::eperm);
  }
  auto* epoll = dynamic_cast<event::Epoll*>(epoll_file.get());
  if (epoll == nullptr) {
    return fail(Errno::einval);
  }

  switch (operation) {
    case epoll_ctl_add:
      TRY_VOID(epoll->add(descriptor, file, request.events, request.data));
      return 0;
    case epoll_ctl_mod:
      TRY_VOID(epoll->modify(descriptor, *file, request.events, request.data));
      return 0;
    case epoll_ctl_del:
      TRY_VOID(epoll->remove(descriptor, *file));
      return 0;
    default:
      return fail(Errno::einval);
  }
}

// The shared body of epoll_wait(2), epoll_pwait(2) and epoll_pwait2(2).
Result<uint64_t> wait_for_events(Task& task, int32_t epoll_descriptor, uint64_t events_address,
                                 int32_t max_events, sync::Deadline deadline) {
  if (max_events <= 0 || max_events > max_wait_events) {
    return fail(Errno::einval);
  }
  if (events_address == 0) {
    return fail(Errno::efault);
  }
  auto epoll_file = TRY(file_of(task, epoll_descriptor));
  auto* epoll = dynamic_cast<event::Epoll*>(epoll_file.get());
  if (epoll == nullptr) {
    return fail(Errno::einval);
  }

  std::vector<event::EpollEvent> ready(static_cast<size_t>(max_events));
  size_t count = TRY(epoll->wait(ready, deadline));

  std::vector<LinuxEpollEvent> reports(count);
  for (size_t index = 0; index < count; ++index) {
    reports[index] = LinuxEpollEvent{.events = ready[index].events, .data = ready[index].data};
  }
  if (count != 0) {
    TRY_VOID(GuestPtr<LinuxEpollEvent>(events_address).write_array(reports));
  }
  return count;
}

std::optional<std::chrono::nanoseconds> milliseconds_timeout(int32_t timeout_ms) {
  if (timeout_ms < 0) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(timeout_ms);
}

// Reads the signal mask argument of epoll_pwait and epoll_pwait2: none
// when the address is null.
Result<std::optional<uint64_t>> read_signal_mask(uint64_t mask_address, uint64_t mask_size) {
  if (mask_address == 0) {
    return std::nullopt;
  }
  if (mask_size != kernel_sigset_size) {
    return fail(Errno::einval);
  }
  return TRY(GuestPtr<uint64_t>(mask_address).read());
}

// Waits as epoll_wait does, with `mask` blocked during the wait.
Result<uint64_t> wait_with_mask(Task& task, const SyscallArguments& arguments,
                                std::optional<uint64_t> mask, sync::Deadline deadline) {
  return wait_with_signal_mask(task, mask, deadline, [&](sync::Deadline wait_deadline) {
    return wait_for_events(task, arguments.as_int(0), arguments[1], arguments.as_int(2),
                           wait_deadline);
  });
}

Result<uint64_t> sys_epoll_wait(Task& task, const SyscallArguments& arguments) {
  auto timeout = milliseconds_timeout(arguments.as_int(3));
  return wait_for_events(task, arguments.as_int(0), arguments[1], arguments.as_int(2),
                         sync::Deadline::from_timeout(timeout));
}

Result<uint64_t> sys_epoll_pwait(Task& task, const SyscallArguments& arguments) {
  const std::optional<uint64_t> mask = TRY(read_signal_mask(arguments[4], arguments[5]));
  auto timeout = milliseconds_timeout(arguments.as_int(3));
  return wait_with_mask(task, arguments, mask, sync::Deadline::from_timeout(timeout));
}

Result<uint64_t> sys_epoll_pwait2(Task& task, const SyscallArguments& arguments) {
  std::optional<std::chrono::nanoseconds> timeout;
  if (arguments[3] != 0) {
    LinuxTimespec value = TRY(GuestPtr<LinuxTimespec>(arguments[3]).read());
    if (value.seconds < 0 || value.nanoseconds < 0 || value.nanoseconds >= 1'000'000'000) {
      return fail(Errno::einval);
    }
    timeout = std::chrono::seconds(value.seconds) + std::chrono::nanoseconds(value.nanoseconds);
  }
  const std::optional<uint64_t> mask = TRY(read_signal_mask(arguments[4], arguments[5]));
  return wait_with_mask(task, arguments, mask, sync::Deadline::from_timeout(timeout));
}

Result<uint64_t> create_eventfd(Task& task, uint32_t initial_count, uint32_t flags) {
  auto eventfd = TRY(ipc::EventFd::create(initial_count, flags));
  bool close_on_exec = (flags & ipc::eventfd_close_on_exec) != 0;
  return TRY(task.process().descriptors().allocate(std::move(eventfd), close_on_exec));
}

Result<uint64_t> sys_eventfd(Task& task, const SyscallArguments& arguments) {
  return create_eventfd(task, arguments.as_uint(0), 0);
}

Result<uint64_t> sys_eventfd2(Task& task, const SyscallArguments& arguments) {
  return create_eventfd(task, arguments.as_uint(0), arguments.as_uint(1));
}

}  // namespace

void register_epoll_syscalls(SyscallTable& table) {
  table.add(nr::epoll_create, sys_epoll_create);
  table.add(nr::epoll_create1, sys_epoll_create1);
  table.add(nr::epoll_ctl, sys_epoll_ctl);
  table.add(nr::epoll_wait, sys_epoll_wait);
  table.add(nr::epoll_pwait, sys_epoll_pwait);
  table.add(nr::epoll_pwait2, sys_epoll_pwait2);
  table.add(nr::eventfd, sys_eventfd);
  table.add(nr::eventfd2, sys_eventfd2);
}

}  // namespace litebox::shim::linux_abi
