#include "shim/linux/loader/initial_stack.hpp"

#include <array>
#include <cstring>

#include "litebox/platform/platform.hpp"
#include "shim/linux/glibc_cpuid.hpp"
#include "shim/linux/guest_memory.hpp"

namespace litebox::shim::linux_abi {

namespace {

// sysconf(_SC_CLK_TCK) on Linux: USER_HZ.
constexpr uint64_t clock_ticks_per_second = 100;
constexpr uint64_t hwcap2_fsgsbase = 2;
constexpr std::string_view platform_name = "x86_64";

uint64_t align_down(uint64_t value, uint64_t alignment) { return value & ~(alignment - 1); }

// Builds the stack image from the top down in a host buffer, then copies it
// to the guest in one piece.
class StackWriter {
 public:
  StackWriter(uint64_t top, uint64_t limit) : cursor_(top), limit_(limit) {}

  Result<uint64_t> push_bytes(std::span<const std::byte> bytes) {
    if (cursor_ - limit_ < bytes.size()) {
      return fail(Errno::e2big);
    }
    cursor_ -= bytes.size();
    image_.insert(image_.begin(), bytes.begin(), bytes.end());
    return cursor_;
  }

  Result<uint64_t> push_string(std::string_view text) {
    std::vector<std::byte> bytes;
    bytes.reserve(text.size() + 1);
    for (char character : text) {
      bytes.push_back(static_cast<std::byte>(character));
    }
    bytes.push_back(std::byte{0});
    return push_bytes(bytes);
  }

  Result<void> align_to(uint64_t new_cursor) {
    if (new_cursor < limit_) {
      return fail(Errno::e2big);
    }
    image_.insert(image_.begin(), cursor_ - new_cursor, std::byte{0});
    cursor_ = new_cursor;
    return {};
  }

  uint64_t cursor() const { return cursor_; }

  Result<void> flush() { return copy_to_guest(cursor_, image_); }

 private:
  uint64_t cursor_;
  uint64_t limit_;
  std::vector<std::byte> image_;
};

}  // namespace

uint64_t hardware_capabilities() {
  return glibc_cpuid::read(glibc_cpuid::leaf_1, glibc_cpuid::edx);
}

uint64_t hardware_capabilities2() {
  constexpr uint32_t fsgsbase_bit = 1u << 0;
  const uint32_t extended_features = glibc_cpuid::read(glibc_cpuid::leaf_7, glibc_cpuid::ebx);
  return (extended_features & fsgsbase_bit) != 0 ? hwcap2_fsgsbase : 0;
}

Result<StackLayout> build_initial_stack(uint64_t top, uint64_t limit,
                                        const StackContents& contents) {
  StackWriter writer(top, limit);
  StackLayout layout;

  // An 8-byte end marker, then AT_EXECFN's string at the very top, as Linux
  // places them.
  TRY(writer.push_bytes(std::array<std::byte, 8>{}));
  const uint64_t exec_name_address = TRY(writer.push_string(contents.exec_name));

  // Strings: arguments below environment, each array in order.
  std::vector<uint64_t> environment_pointers(contents.environment.size());
  layout.environment_end = writer.cursor();
  for (size_t index = contents.environment.size(); index-- > 0;) {
    environment_pointers[index] = TRY(writer.push_string(contents.environment[index]));
  }
  layout.environment_start = writer.cursor();
  std::vector<uint64_t> argument_pointers(contents.arguments.size());
  layout.arguments_end = writer.cursor();
  for (size_t index = contents.arguments.size(); index-- > 0;) {
    argument_pointers[index] = TRY(writer.push_string(contents.arguments[index]));
  }
  layout.arguments_start = writer.cursor();

  const uint64_t platform_address = TRY(writer.push_string(platform_name));
  std::array<std::byte, 16> random_bytes;
  platform::current().random.fill(random_bytes);
  TRY_VOID(writer.align_to(align_down(writer.cursor(), 16)));
  const uint64_t random_address = TRY(writer.push_bytes(random_bytes));

  std::vector<std::pair<uint64_t, uint64_t>> auxiliary = {
      {at_hwcap, hardware_capabilities()},
      {at_pagesz, platform::page_size},
      {at_clktck, clock_ticks_per_second},
      {at_phdr, contents.program_headers},
      {at_phent, 56},
      {at_phnum, contents.program_header_count},
      {at_base, contents.interpreter_base},
      {at_flags, 0},
      {at_entry, contents.entry},
      {at_uid, contents.uid},
      {at_euid, contents.euid},
      {at_gid, contents.gid},
      {at_egid, contents.egid},
      {at_secure, 0},
      {at_random, random_address},
      {at_hwcap2, hardware_capabilities2()},
      {at_execfn, exec_name_address},
      {at_platform, platform_address},
      {at_minsigstksz, contents.minimum_signal_stack_size},
  };
  if (contents.vdso_address != 0) {
    auxiliary.emplace_back(at_sysinfo_ehdr, contents.vdso_address);
  }
  auxiliary.emplace_back(at_null, 0);

  // argc, argv[] + NULL, envp[] + NULL, then the auxiliary vector.
  std::vector<uint64_t> words;
  words.push_back(contents.arguments.size());
  words.insert(words.end(), argument_pointers.begin(), argument_pointers.end());
  words.push_back(0);
  words.insert(words.end(), environment_pointers.begin(), environment_pointers.end());
  words.push_back(0);
  for (const auto& [type, value] : auxiliary) {
    words.push_back(type);
    words.push_back(value);
  }

  // The psABI wants rsp 16-byte aligned at the entry point, pointing at argc.
  const uint64_t block_bytes = words.size() * sizeof(uint64_t);
  if (writer.cursor() - limit < block_bytes + 16) {
    return fail(Errno::e2big);
  }
  TRY_VOID(writer.align_to(align_down(writer.cursor() - block_bytes, 16) + block_bytes));
  // Safety: the vector's storage is a contiguous array of integers.
  layout.stack_pointer =
      TRY(writer.push_bytes({reinterpret_cast<const std::byte*>(words.data()), block_bytes}));

  TRY_VOID(writer.flush());
  return layout;
}

}  // namespace litebox::shim::linux_abi
