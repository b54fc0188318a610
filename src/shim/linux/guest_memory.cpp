#include "shim/linux/guest_memory.hpp"

#include <algorithm>
#include <cstdlib>

#include "litebox/fs/types.hpp"
#include "litebox/mm/memory_map.hpp"

namespace litebox::shim::linux_abi {

namespace {
platform::Execution* installed_execution = nullptr;
}

void set_guest_execution(platform::Execution& execution) { installed_execution = &execution; }

platform::Execution& guest_execution() {
  if (installed_execution == nullptr) [[unlikely]] {
    // Guest memory access before the Kernel exists is a libOS bug.
    std::abort();
  }
  return *installed_execution;
}

Result<void> copy_from_guest(std::span<std::byte> destination, uint64_t guest_address) {
  if (destination.empty()) {
    return {};
  }
  if (guest_address == 0) {
    return fail(Errno::efault);
  }
  return guest_execution().copy_from_guest(destination.data(), guest_address, destination.size());
}

Result<void> copy_to_guest(uint64_t guest_address, std::span<const std::byte> source) {
  if (source.empty()) {
    return {};
  }
  if (guest_address == 0) {
    return fail(Errno::efault);
  }
  return guest_execution().copy_to_guest(guest_address, source.data(), source.size());
}

Result<std::string> read_guest_string(uint64_t address, size_t max_length) {
  if (address == 0) {
    return fail(Errno::efault);
  }
  return guest_execution().copy_string_from_guest(address, max_length);
}

Result<std::string> read_guest_path(uint64_t address) {
  return read_guest_string(address, fs::path_max - 1);
}

Result<std::vector<std::string>> read_guest_string_array(uint64_t address, size_t max_count,
                                                         size_t max_total) {
  std::vector<std::string> strings;
  if (address == 0) {
    return strings;
  }

  size_t total = 0;
  for (size_t index = 0;; ++index) {
    if (index >= max_count) {
      return fail(Errno::e2big);
    }
    uint64_t pointer = TRY(GuestPtr<uint64_t>(address + index * sizeof(uint64_t)).read());
    if (pointer == 0) {
      break;
    }
    auto read = read_guest_string(pointer, max_total - total);
    if (!read) {
      return fail(read.error() == Errno::enametoolong ? Errno::e2big : read.error());
    }
    std::string value = std::move(*read);
    total += value.size() + 1;
    if (total > max_total) {
      return fail(Errno::e2big);
    }
    strings.push_back(std::move(value));
  }
  return strings;
}

Result<std::vector<GuestIovec>> read_guest_iovecs(uint64_t address, uint64_t count) {
  if (count > max_iovec_count) {
    return fail(Errno::einval);
  }

  std::vector<GuestIovec> vectors = TRY(GuestPtr<GuestIovec>(address).read_array(count));

  constexpr uint64_t ssize_max = INT64_MAX;
  if (std::ranges::any_of(vectors,
                          [](const GuestIovec& vector) { return vector.length > ssize_max; })) {
    return fail(Errno::einval);
  }

  // MAX_RW_COUNT: the most bytes one call transfers, INT_MAX rounded down
  // to a page.
  constexpr uint64_t max_transfer = 0x7fff'f000;
  const uint64_t address_limit = mm::Layout{}.highest;
  uint64_t total = 0;
  for (GuestIovec& vector : vectors) {
    if (vector.base > address_limit || vector.length > address_limit - vector.base) {
      return fail(Errno::efault);
    }
    vector.length = std::min(vector.length, max_transfer - total);
    total += vector.length;
  }
  return vectors;
}

}  // namespace litebox::shim::linux_abi
