#include "shim/linux/vdso/vdso.hpp"

#include <sys/syscall.h>

#include <fmt/format.h>

#include <atomic>
#include <optional>

#include "litebox/platform/platform.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/trace.hpp"
#include "shim/linux/vdso/time_source.hpp"

// Defined by the generated vdso_image.S around the embedded image.
extern "C" const std::byte litebox_vdso_image_start[];
extern "C" const std::byte litebox_vdso_image_end[];

namespace litebox::shim::linux_abi::vdso {

namespace {

std::unexpected<elf::LoadError> reject(Errno error, std::string_view step) {
  return std::unexpected(
      elf::LoadError{error, fmt::format("{} failed: {}", step, errno_description(error))});
}

// Writes `bytes` at `address`, the start of a writable area of the process,
// then drops write access to `protection`.
std::expected<void, elf::LoadError> fill_area(Process& process, uint64_t address,
                                              std::span<const std::byte> bytes, uint32_t protection,
                                              const char* name) {
  if (auto copied = copy_to_guest(address, bytes); !copied) {
    return reject(copied.error(), fmt::format("writing {}", name));
  }
  if (auto protected_area =
          process.memory.protect(address, mm::page_round_up(bytes.size()), protection);
      !protected_area) {
    return reject(protected_area.error(), fmt::format("protecting {}", name));
  }
  return {};
}

// The address of this process's data page while it contains
// calibrating_time_data(), else 0. A host process runs one guest image at a
// time, so one address serves, and execve replaces it.
std::atomic<uint64_t> calibrating_page{0};

// Whether the guest of this host process has made a clock system call.
std::atomic<bool> clock_called{false};

// Rewrites the data page at `address` with `data` under the page's
// sequence protocol, so a vDSO call racing with the rewrite retries.
void rewrite_data_page(Process& process, uint64_t address, const litebox_vdso_data& data) {
  // The guest may have unmapped the page or mapped something else there.
  const std::optional<mm::Vma> area = process.memory.find(address);
  if (!area || area->start != address || area->name != "[vvar]") {
    return;
  }
  if (!process.memory.protect(address, mm::page_size, platform::prot_read | platform::prot_write)) {
    return;
  }

  litebox_vdso_data written = data;
  written.sequence = 1;
  const uint32_t finished_sequence = 2;
  // Safety: the data block is plain integers. Separate copies in this order
  // (odd sequence, fields, even sequence) keep a reader from mixing values.
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(&written),
                                         sizeof(written));
  (void)copy_to_guest(address, bytes.first(sizeof(written.sequence)));
  (void)copy_to_guest(address + sizeof(written.sequence), bytes.subspan(sizeof(written.sequence)));
  (void)GuestPtr<uint32_t>(address).write(finished_sequence);

  (void)process.memory.protect(address, mm::page_size, platform::prot_read);
}

}  // namespace

std::span<const std::byte> image() {
  // Safety: the two symbols delimit one array in .rodata (vdso_image.S).
  return {litebox_vdso_image_start,
          static_cast<size_t>(litebox_vdso_image_end - litebox_vdso_image_start)};
}

std::expected<uint64_t, elf::LoadError> map_into(Process& process) {
  // Only a block built already goes in, for the reason that
  // publish_time_data_after() gives.
  platform::Clock& clock = platform::current().clock;
  const litebox_vdso_data* ready = active_time_data();
  const litebox_vdso_data data = ready != nullptr ? *ready : calibrating_time_data(clock);
  const std::span<const std::byte> bytes = image();

  // The image's mapping covers the data page too, so that page sits exactly
  // one page below the image, where the vDSO code looks for it. The data
  // page then replaces the lower page under its own name.
  mm::MapRequest image_request;
  image_request.length = mm::page_size + mm::page_round_up(bytes.size());
  image_request.protection = platform::prot_read | platform::prot_write;
  image_request.name = "[vdso]";
  auto start = process.memory.map(image_request);
  if (!start) {
    return reject(start.error(), "mapping [vdso]");
  }
  mm::MapRequest data_request;
  data_request.address = *start;
  data_request.length = mm::page_size;
  data_request.protection = platform::prot_read | platform::prot_write;
  data_request.placement = mm::Placement::fixed;
  data_request.name = "[vvar]";
  if (auto mapped = process.memory.map(data_request); !mapped) {
    return reject(mapped.error(), "mapping [vvar]");
  }

  // Safety: the data block is plain integers; the guest reads its bytes.
  std::span<const std::byte> data_bytes(reinterpret_cast<const std::byte*>(&data), sizeof(data));
  if (auto filled = fill_area(process, *start, data_bytes, platform::prot_read, "[vvar]");
      !filled) {
    return std::unexpected(filled.error());
  }
  calibrating_page.store(ready != nullptr ? 0 : *start, std::memory_order_release);
  const uint64_t image_address = *start + mm::page_size;
  if (auto filled = fill_area(process, image_address, bytes,
                              platform::prot_read | platform::prot_exec, "[vdso]");
      !filled) {
    return std::unexpected(filled.error());
  }
  return image_address;
}

void publish_time_data_after(Process& process, uint64_t number) {
  const bool clock_call = number == SYS_clock_gettime || number == SYS_gettimeofday ||
                          number == SYS_time || number == SYS_clock_getres;
  if (clock_call) {
    clock_called.store(true, std::memory_order_relaxed);
  } else if (!clock_called.load(std::memory_order_relaxed)) {
    return;
  }
  if (calibrating_page.load(std::memory_order_acquire) == 0) {
    return;
  }

  platform::Clock& clock = platform::current().clock;
  const litebox_vdso_data* data = time_data_if_ready(clock);
  if (data == nullptr) {
    return;
  }
  // Only one thread rewrites the page.
  const uint64_t address = calibrating_page.exchange(0, std::memory_order_acq_rel);
  if (address != 0) {
    rewrite_data_page(process, address, *data);
  }
}

}  // namespace litebox::shim::linux_abi::vdso
