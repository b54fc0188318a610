#include "shim/linux/futex.hpp"

#include <atomic>

#include "litebox/platform/platform.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

namespace {

Result<std::atomic<uint32_t>*> guest_word(Task& task, uint64_t address) {
  if (address % alignof(std::atomic<uint32_t>) != 0) {
    return fail(Errno::einval);
  }
  auto area = task.process().memory.find(address);
  if (!area || address + sizeof(uint32_t) > area->end ||
      (area->protection & platform::prot_read) == 0) {
    return fail(Errno::efault);
  }
  // Safety: the word is aligned and inside a readable guest mapping, which
  // is host memory of this process.
  // TODO: nothing stops another guest thread from unmapping the word while
  // this call reads it.
  return reinterpret_cast<std::atomic<uint32_t>*>(address);
}

}  // namespace

Result<void> wait_guest_futex(Task& task, uint64_t address, uint32_t expected,
                              std::optional<std::chrono::nanoseconds> timeout,
                              platform::FutexScope scope) {
  std::atomic<uint32_t>* word = TRY(guest_word(task, address));
  return platform::current().futex.wait(*word, expected, timeout, scope);
}

Result<uint32_t> wake_guest_futex(Task& task, uint64_t address, uint32_t count,
                                  platform::FutexScope scope) {
  std::atomic<uint32_t>* word = TRY(guest_word(task, address));
  return platform::current().futex.wake(*word, count, scope);
}

}  // namespace litebox::shim::linux_abi
