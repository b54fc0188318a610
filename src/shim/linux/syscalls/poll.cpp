// Readiness system calls: poll, ppoll, select and pselect6, all served by
// event::poll().
#include <chrono>
#include <optional>
#include <vector>

#include "litebox/event/poll.hpp"
#include "litebox/event/pollable.hpp"
#include "shim/linux/guest_clock.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/signal/delivery.hpp"
#include "shim/linux/syscalls/file_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

using namespace std::chrono_literals;

// struct pollfd.
struct LinuxPollFd {
  int32_t fd;
  int16_t events;
  int16_t revents;
};
static_assert(sizeof(LinuxPollFd) == 8);

// The kernel's sigset_t is 64 bits.
constexpr uint64_t kernel_sigset_size = 8;

// The bits select(2) maps each of its sets to, as Linux defines
// POLLIN_SET, POLLOUT_SET and POLLEX_SET.
constexpr uint32_t select_read_events =
    event::pollin | event::pollrdnorm | event::pollrdband | event::pollhup | event::pollerr;
constexpr uint32_t select_write_events =
    event::pollout | event::pollwrnorm | event::pollwrband | event::pollerr;
constexpr uint32_t select_except_events = event::pollpri;

// Reads a timespec timeout: empty for a null pointer (wait forever),
// `einval` for a negative or unnormalized value.
Result<std::optional<std::chrono::nanoseconds>> read_timespec_timeout(uint64_t address) {
  if (address == 0) {
    return std::nullopt;
  }
  LinuxTimespec timeout = TRY(GuestPtr<LinuxTimespec>(address).read());
  if (timeout.seconds < 0 || timeout.nanoseconds < 0 || timeout.nanoseconds >= 1'000'000'000) {
    return fail(Errno::einval);
  }
  return std::chrono::seconds(timeout.seconds) + std::chrono::nanoseconds(timeout.nanoseconds);
}

// Writes the time left back, as ppoll(2) and pselect6(2) do on Linux.
void write_remaining_timespec(uint64_t address, const sync::Deadline& deadline) {
  auto remaining = deadline.remaining();
  if (address == 0 || !remaining) {
    return;
  }
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*remaining);
  LinuxTimespec left{seconds.count(), (*remaining - seconds).count()};
  // A fault here is ignored, as Linux ignores it after the wait.
  (void)GuestPtr<LinuxTimespec>(address).write(left);
}

// The shared body of poll(2) and ppoll(2).
Result<uint64_t> poll_descriptors(Task& task, uint64_t address, uint64_t count,
                                  sync::Deadline deadline) {
  if (count > task.process().descriptors().limit()) {
    return fail(Errno::einval);
  }
  auto requests = TRY(GuestPtr<LinuxPollFd>(address).read_array(count));

  std::vector<event::PollEntry> entries;
  std::vector<size_t> entry_of_request(requests.size(), SIZE_MAX);
  for (size_t index = 0; index < requests.size(); ++index) {
    requests[index].revents = 0;
    if (requests[index].fd < 0) {
      continue;  // poll(2) skips negative descriptors
    }
    auto file = task.process().descriptors().get(requests[index].fd);
    entry_of_request[index] = entries.size();
    entries.push_back(event::PollEntry{
        .file = file ? std::move(*file) : nullptr,
        .requested = static_cast<uint16_t>(requests[index].events),
    });
  }

  size_t ready = TRY(event::poll(entries, deadline));

  for (size_t index = 0; index < requests.size(); ++index) {
    if (entry_of_request[index] != SIZE_MAX) {
      requests[index].revents = static_cast<int16_t>(entries[entry_of_request[index]].returned);
    }
  }
  TRY_VOID(GuestPtr<LinuxPollFd>(address).write_array(requests));
  return ready;
}

Result<uint64_t> sys_poll(Task& task, const SyscallArguments& arguments) {
  const int32_t timeout_ms = arguments.as_int(2);
  std::optional<std::chrono::nanoseconds> timeout;
  if (timeout_ms >= 0) {
    timeout = std::chrono::milliseconds(timeout_ms);
  }
  return poll_descriptors(task, arguments[0], arguments[1], sync::Deadline::from_timeout(timeout));
}

Result<uint64_t> sys_ppoll(Task& task, const SyscallArguments& arguments) {
  const uint64_t timeout_address = arguments[2];
  if (arguments[3] != 0 && arguments[4] != kernel_sigset_size) {
    return fail(Errno::einval);
  }
  auto timeout = TRY(read_timespec_timeout(timeout_address));
  std::optional<uint64_t> mask;
  if (arguments[3] != 0) {
    mask = TRY(GuestPtr<uint64_t>(arguments[3]).read());
  }

  sync::Deadline deadline = sync::Deadline::from_timeout(timeout);
  auto result = wait_with_signal_mask(task, mask, deadline, [&](sync::Deadline wait_deadline) {
    return poll_descriptors(task, arguments[0], arguments[1], wait_deadline);
  });
  write_remaining_timespec(timeout_address, deadline);
  return result;
}

// The shared body of select(2) and pselect6(2); the sets are bit arrays of
// 64-bit words, and null sets are skipped.
Result<uint64_t> select_descriptors(Task& task, int32_t count, uint64_t read_address,
                                    uint64_t write_address, uint64_t except_address,
                                    sync::Deadline deadline) {
  if (count < 0) {
    return fail(Errno::einval);
  }
  // Linux caps nfds at the descriptor limit instead of failing.
  auto limit = static_cast<int32_t>(task.process().descriptors().limit());
  count = std::min(count, limit);

  const size_t words = (static_cast<size_t>(count) + 63) / 64;
  std::array<uint64_t, 3> addresses{read_address, write_address, except_address};
  std::array<std::vector<uint64_t>, 3> sets;
  for (size_t set = 0; set < sets.size(); ++set) {
    sets[set].assign(words, 0);
    if (addresses[set] != 0 && words != 0) {
      sets[set] = TRY(GuestPtr<uint64_t>(addresses[set]).read_array(words));
    }
  }

  constexpr std::array<uint32_t, 3> set_events{select_read_events, select_write_events,
                                               select_except_events};
  std::vector<event::PollEntry> entries;
  std::vector<int32_t> descriptors;
  for (int32_t descriptor = 0; descriptor < count; ++descriptor) {
    uint32_t requested = 0;
    for (size_t set = 0; set < sets.size(); ++set) {
      if (sets[set][descriptor / 64] & (uint64_t{1} << (descriptor % 64))) {
        requested |= set_events[set];
      }
    }
    if (requested == 0) {
      continue;
    }
    auto file = TRY(file_of(task, descriptor));
    entries.push_back(event::PollEntry{.file = std::move(file), .requested = requested});
    descriptors.push_back(descriptor);
  }

  TRY(event::poll(entries, deadline));

  for (auto& set : sets) {
    std::fill(set.begin(), set.end(), 0);
  }
  uint64_t ready = 0;
  for (size_t index = 0; index < entries.size(); ++index) {
    int32_t descriptor = descriptors[index];
    uint64_t bit = uint64_t{1} << (descriptor % 64);
    for (size_t set = 0; set < sets.size(); ++set) {
      if (addresses[set] != 0 && (entries[index].requested & set_events[set]) &&
          (entries[index].returned & set_events[set])) {
        sets[set][descriptor / 64] |= bit;
        ++ready;
      }
    }
  }
  for (size_t set = 0; set < sets.size(); ++set) {
    if (addresses[set] != 0 && words != 0) {
      TRY_VOID(GuestPtr<uint64_t>(addresses[set]).write_array(sets[set]));
    }
  }
  return ready;
}

Result<uint64_t> sys_select(Task& task, const SyscallArguments& arguments) {
  const uint64_t timeout_address = arguments[4];
  std::optional<std::chrono::nanoseconds> timeout;
  if (timeout_address != 0) {
    LinuxTimeval value = TRY(GuestPtr<LinuxTimeval>(timeout_address).read());
    if (value.seconds < 0 || value.microseconds < 0 || value.microseconds >= 1'000'000) {
      return fail(Errno::einval);
    }
    timeout = std::chrono::seconds(value.seconds) + std::chrono::microseconds(value.microseconds);
  }

  sync::Deadline deadline = sync::Deadline::from_timeout(timeout);
  auto result = select_descriptors(task, arguments.as_int(0), arguments[1], arguments[2],
                                   arguments[3], deadline);

  // Linux writes the time left back into the timeval.
  if (auto remaining = deadline.remaining(); remaining && timeout_address != 0) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*remaining);
    auto microseconds = std::chrono::duration_cast<std::chrono::microseconds>(*remaining - seconds);
    (void)GuestPtr<LinuxTimeval>(timeout_address)
        .write(LinuxTimeval{seconds.count(), microseconds.count()});
  }
  return result;
}

Result<uint64_t> sys_pselect6(Task& task, const SyscallArguments& arguments) {
  const uint64_t timeout_address = arguments[4];
  // The sixth argument points to { const sigset_t* mask; size_t size; }.
  std::optional<uint64_t> mask;
  if (arguments[5] != 0) {
    auto mask_argument = TRY(GuestPtr<uint64_t>(arguments[5]).read_array(2));
    if (mask_argument[0] != 0 && mask_argument[1] != kernel_sigset_size) {
      return fail(Errno::einval);
    }
    if (mask_argument[0] != 0) {
      mask = TRY(GuestPtr<uint64_t>(mask_argument[0]).read());
    }
  }
  auto timeout = TRY(read_timespec_timeout(timeout_address));

  sync::Deadline deadline = sync::Deadline::from_timeout(timeout);
  auto result = wait_with_signal_mask(task, mask, deadline, [&](sync::Deadline wait_deadline) {
    return select_descriptors(task, arguments.as_int(0), arguments[1], arguments[2], arguments[3],
                              wait_deadline);
  });
  write_remaining_timespec(timeout_address, deadline);
  return result;
}

}  // namespace

void register_poll_syscalls(SyscallTable& table) {
  table.add(nr::poll, sys_poll);
  table.add(nr::ppoll, sys_ppoll);
  table.add(nr::select, sys_select);
  table.add(nr::pselect6, sys_pselect6);
}

}  // namespace litebox::shim::linux_abi
