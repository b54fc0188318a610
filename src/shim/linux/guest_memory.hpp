// Access to guest memory. The shim never dereferences a guest address: every
// byte goes through platform::Execution::copy_from_guest / copy_to_guest,
// which return `efault` for an address the guest may not use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "litebox/platform/execution.hpp"
#include "litebox/result.hpp"

namespace litebox::shim::linux_abi {

// Installs the Execution that guest memory access goes through; the Kernel
// does it once at start-up and unit tests install a fake.
void set_guest_execution(platform::Execution& execution);
platform::Execution& guest_execution();

Result<void> copy_from_guest(std::span<std::byte> destination, uint64_t guest_address);
Result<void> copy_to_guest(uint64_t guest_address, std::span<const std::byte> source);

// A typed guest address. Reading and writing copy the whole T.
template <typename T>
requires std::is_trivially_copyable_v<T>
class GuestPtr {
 public:
  GuestPtr() = default;
  explicit GuestPtr(uint64_t address) : address_(address) {}

  uint64_t address() const { return address_; }
  bool is_null() const { return address_ == 0; }

  Result<T> read() const {
    T value;
    // Safety: T is trivially copyable, so its bytes are its value.
    TRY_VOID(copy_from_guest({reinterpret_cast<std::byte*>(&value), sizeof(T)}, address_));
    return value;
  }

  Result<void> write(const T& value) const {
    // Safety: T is trivially copyable, so its bytes are its value.
    return copy_to_guest(address_, {reinterpret_cast<const std::byte*>(&value), sizeof(T)});
  }

  // Reads `count` consecutive elements.
  Result<std::vector<T>> read_array(size_t count) const {
    if (count > SIZE_MAX / sizeof(T)) {
      return fail(Errno::efault);
    }
    std::vector<T> values(count);
    // Safety: T is trivially copyable and the vector holds count elements.
    TRY_VOID(copy_from_guest({reinterpret_cast<std::byte*>(values.data()), count * sizeof(T)},
                             address_));
    return values;
  }

  Result<void> write_array(std::span<const T> values) const {
    // Safety: T is trivially copyable.
    return copy_to_guest(address_,
                         {reinterpret_cast<const std::byte*>(values.data()), values.size_bytes()});
  }

  // The address of element `index` (pointer arithmetic in guest space).
  GuestPtr<T> operator+(size_t index) const { return GuestPtr<T>(address_ + index * sizeof(T)); }

 private:
  uint64_t address_ = 0;
};

// Reads a NUL-terminated guest string of at most `max_length` bytes;
// `efault` for a null address, `enametoolong` when no NUL comes in time.
Result<std::string> read_guest_string(uint64_t address, size_t max_length);

// Reads a path argument: at most PATH_MAX bytes including the NUL.
Result<std::string> read_guest_path(uint64_t address);

// Reads a NULL-terminated array of string pointers (argv, envp), with at
// most `max_count` entries and `max_total` bytes in all (`e2big` beyond).
Result<std::vector<std::string>> read_guest_string_array(uint64_t address, size_t max_count,
                                                         size_t max_total);

// struct iovec.
struct GuestIovec {
  uint64_t base;
  uint64_t length;
};

// The most iovecs one readv/writev accepts (UIO_MAXIOV).
inline constexpr size_t max_iovec_count = 1024;

// Reads an iovec array as Linux imports one: `einval` for more than
// max_iovec_count entries or a length above SSIZE_MAX, `efault` for a
// buffer that reaches past the user address space. The lengths are cut so
// that they add up to at most MAX_RW_COUNT (2 GiB - 4 KiB), the most one
// call transfers.
Result<std::vector<GuestIovec>> read_guest_iovecs(uint64_t address, uint64_t count);

}  // namespace litebox::shim::linux_abi
