// FakeExecution: a platform::Execution for unit tests of the Linux shim. It
// runs no guest code; guest memory is host memory, and only ranges that a
// test allows (or that the given MemoryMap maps) can be copied, so other
// addresses fail with EFAULT as they would for a real guest.
#pragma once

#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "litebox/mm/memory_map.hpp"
#include "litebox/platform/execution.hpp"

namespace litebox::testing {

// Thrown by exit_process so a test can observe an exit without ending.
struct GuestExit {
  int status;
};

class FakeExecution final : public platform::Execution {
 public:
  // Lets copies reach [address, address + length).
  void allow(const void* address, size_t length) {
    // Safety: the address is only compared, never dereferenced here.
    auto start = reinterpret_cast<uint64_t>(address);
    allowed_.emplace_back(start, start + length);
  }

  // Also lets copies reach every readable mapping of `memory`.
  void use_memory_map(mm::MemoryMap* memory) { memory_ = memory; }

  Result<void> start_interception(platform::SyscallHandler&, platform::InterceptionMode) override {
    return fail(Errno::enosys);
  }
  [[noreturn]] void enter_guest(const platform::GuestRegisters&) override { std::abort(); }
  Result<platform::ThreadId> spawn_guest_thread(const platform::GuestRegisters&) override {
    return fail(Errno::enosys);
  }
  [[noreturn]] void exit_thread() override { throw GuestExit{-1}; }
  [[noreturn]] void exit_process(int status) override { throw GuestExit{status}; }

  Result<void> copy_from_guest(void* destination, uint64_t guest_address, size_t length) override {
    if (!reachable(guest_address, length, platform::prot_read)) {
      return fail(Errno::efault);
    }
    // Safety: reachable() checked the whole range.
    std::memcpy(destination, reinterpret_cast<const void*>(guest_address), length);
    return {};
  }

  Result<void> copy_to_guest(uint64_t guest_address, const void* source, size_t length) override {
    if (!reachable(guest_address, length, platform::prot_write)) {
      return fail(Errno::efault);
    }
    // Safety: reachable() checked the whole range.
    std::memcpy(reinterpret_cast<void*>(guest_address), source, length);
    return {};
  }

  Result<std::string> copy_string_from_guest(uint64_t guest_address, size_t max_length) override {
    std::string text;
    for (size_t index = 0; index <= max_length; ++index) {
      char character;
      if (!copy_from_guest(&character, guest_address + index, 1)) {
        return fail(Errno::efault);
      }
      if (character == '\0') {
        return text;
      }
      text += character;
    }
    return fail(Errno::enametoolong);
  }

  size_t extended_state_size() const override { return 512; }

 private:
  bool reachable(uint64_t address, size_t length, uint32_t access) {
    for (const auto& [start, end] : allowed_) {
      if (address >= start && address + length <= end) {
        return true;
      }
    }
    if (memory_ == nullptr) {
      return false;
    }
    auto area = memory_->find(address);
    return area && address + length <= area->end && (area->protection & access) != 0;
  }

  std::vector<std::pair<uint64_t, uint64_t>> allowed_;
  mm::MemoryMap* memory_ = nullptr;
};

}  // namespace litebox::testing
