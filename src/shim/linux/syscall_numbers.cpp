#include "shim/linux/syscall_numbers.hpp"

#include <array>

namespace litebox::shim::linux_abi {

namespace {

constexpr std::array<std::string_view, syscall_count> make_name_table() {
  std::array<std::string_view, syscall_count> names{};
#define X(number, name) names[number] = #name;
#include "shim/linux/syscall_list.inc"
#undef X
  return names;
}

constexpr std::array<std::string_view, syscall_count> syscall_names = make_name_table();

}  // namespace

std::string_view syscall_name(uint64_t number) {
  if (number >= syscall_count) {
    return {};
  }
  return syscall_names[number];
}

}  // namespace litebox::shim::linux_abi
