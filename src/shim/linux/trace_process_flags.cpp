// Decoders of process-wide settings for `--trace`: the personality, the
// memory-locking flags, scheduling policies and struct sched_attr, and I/O
// priorities, named as strace 6.1 names them.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "shim/linux/sched_attr.hpp"
#include "shim/linux/trace_format.hpp"

namespace litebox::shim::linux_abi::trace {

std::string show_personality(uint64_t value) {
  // personality(0xffffffff) only queries, and strace shows the value as it is.
  if (static_cast<uint32_t>(value) == 0xffffffff) {
    return "0xffffffff";
  }
  // The execution domain is the low byte; strace names the first of the
  // aliases that share a number.
  constexpr std::array<Named, 17> domains = {{{0x00, "PER_LINUX"},
                                              {0x01, "PER_SVR4"},
                                              {0x02, "PER_SVR3"},
                                              {0x03, "PER_SCOSVR3"},
                                              {0x04, "PER_WYSEV386"},
                                              {0x05, "PER_ISCR4"},
                                              {0x06, "PER_BSD"},
                                              {0x07, "PER_XENIX"},
                                              {0x08, "PER_LINUX32"},
                                              {0x09, "PER_IRIX32"},
                                              {0x0a, "PER_IRIXN32"},
                                              {0x0b, "PER_IRIX64"},
                                              {0x0c, "PER_RISCOS"},
                                              {0x0d, "PER_SOLARIS"},
                                              {0x0e, "PER_UW7"},
                                              {0x0f, "PER_OSF4"},
                                              {0x10, "PER_HPUX"}}};
  constexpr uint32_t domain_mask = 0xff;
  const auto persona = static_cast<uint32_t>(value);
  std::string domain = show_named(persona & domain_mask, domains, "PER_???");
  const uint32_t flags = persona & ~domain_mask;
  if (flags == 0) {
    return domain;
  }
  return show_bits(flags,
                   {{0x0020000, "UNAME26"},
                    {0x0040000, "ADDR_NO_RANDOMIZE"},
                    {0x0080000, "FDPIC_FUNCPTRS"},
                    {0x0100000, "MMAP_PAGE_ZERO"},
                    {0x0200000, "ADDR_COMPAT_LAYOUT"},
                    {0x0400000, "READ_IMPLIES_EXEC"},
                    {0x0800000, "ADDR_LIMIT_32BIT"},
                    {0x1000000, "SHORT_INODE"},
                    {0x2000000, "WHOLE_SECONDS"},
                    {0x4000000, "STICKY_TIMEOUTS"},
                    {0x8000000, "ADDR_LIMIT_3GB"}},
                   domain);
}

std::string show_mlockall_flags(uint64_t value) {
  return show_flags(value, {{1, "MCL_CURRENT"}, {2, "MCL_FUTURE"}, {4, "MCL_ONFAULT"}}, "MCL_???");
}

// strace 6.1 has no name for SCHED_EXT (7).
std::string show_scheduler_policy(uint64_t value) {
  constexpr std::array<Named, 7> policies = {{{0, "SCHED_OTHER"},
                                              {1, "SCHED_FIFO"},
                                              {2, "SCHED_RR"},
                                              {3, "SCHED_BATCH"},
                                              {4, "SCHED_ISO"},
                                              {5, "SCHED_IDLE"},
                                              {6, "SCHED_DEADLINE"}}};
  return show_named(static_cast<uint32_t>(value), policies, "SCHED_???");
}

std::string show_io_priority_which(uint64_t value) {
  constexpr std::array<Named, 3> kinds = {
      {{1, "IOPRIO_WHO_PROCESS"}, {2, "IOPRIO_WHO_PGRP"}, {3, "IOPRIO_WHO_USER"}}};
  return show_named(static_cast<uint32_t>(value), kinds, "IOPRIO_WHO_???");
}

// The class is above bit 13 and the data (level and hints) below it; strace
// shows the data as one decimal number.
std::string show_io_priority(uint64_t value) {
  constexpr std::array<Named, 4> classes = {{{0, "IOPRIO_CLASS_NONE"},
                                             {1, "IOPRIO_CLASS_RT"},
                                             {2, "IOPRIO_CLASS_BE"},
                                             {3, "IOPRIO_CLASS_IDLE"}}};
  constexpr uint32_t class_shift = 13;
  constexpr uint32_t data_mask = (1U << class_shift) - 1;
  const auto priority = static_cast<uint32_t>(value);
  return fmt::format("IOPRIO_PRIO_VALUE({}, {})",
                     show_named(priority >> class_shift, classes, "IOPRIO_CLASS_???"),
                     priority & data_mask);
}

namespace {

std::string show_sched_flags(uint64_t value) {
  return show_flags(value,
                    {{0x01, "SCHED_FLAG_RESET_ON_FORK"},
                     {0x02, "SCHED_FLAG_RECLAIM"},
                     {0x04, "SCHED_FLAG_DL_OVERRUN"},
                     {0x08, "SCHED_FLAG_KEEP_POLICY"},
                     {0x10, "SCHED_FLAG_KEEP_PARAMS"},
                     {0x20, "SCHED_FLAG_UTIL_CLAMP_MIN"},
                     {0x40, "SCHED_FLAG_UTIL_CLAMP_MAX"}},
                    "SCHED_FLAG_???");
}

}  // namespace

// As strace does, sched_setattr's struct leaves out the fields that its
// KEEP flags make the kernel ignore, and shows only the size when that is
// below SCHED_ATTR_SIZE_VER0. A struct larger than strace decodes ends in
// "...".
std::string show_sched_attr(uint64_t address, uint64_t output_size) {
  const bool is_input = output_size == 0;
  LinuxSchedAttr attributes{};
  uint32_t stated_size = 0;
  uint32_t size = 0;
  if (is_input) {
    const std::optional<uint32_t> head = read_struct<uint32_t>(address);
    if (!head) {
      return show_pointer(address);
    }
    stated_size = *head == 0 ? sched_attr_size_ver0 : *head;
    size = std::min<uint32_t>(stated_size, sizeof(LinuxSchedAttr));
  } else {
    size = static_cast<uint32_t>(std::min<uint64_t>(output_size, sizeof(LinuxSchedAttr)));
  }
  if (!is_input || size >= sched_attr_size_ver0) {
    // Safety: LinuxSchedAttr is trivially copyable and `size` is at most its size.
    if (!copy_from_guest({reinterpret_cast<std::byte*>(&attributes), size}, address)) {
      return show_pointer(address);
    }
  } else {
    attributes.size = stated_size;
  }
  if (!is_input) {
    stated_size = attributes.size;
    size = std::min<uint32_t>(stated_size, sizeof(LinuxSchedAttr));
  }

  std::string text = fmt::format("{{size={}", attributes.size);
  if (size >= sched_attr_size_ver0) {
    if (!is_input || (attributes.flags & sched_flag_keep_policy) == 0) {
      text += fmt::format(", sched_policy={}", show_scheduler_policy(attributes.policy));
    }
    text += fmt::format(", sched_flags={}", show_sched_flags(attributes.flags));
    if (!is_input || (attributes.flags & sched_flag_keep_params) == 0) {
      text += fmt::format(
          ", sched_nice={}, sched_priority={}, sched_runtime={}, sched_deadline={}, "
          "sched_period={}",
          attributes.nice, attributes.priority, attributes.runtime, attributes.deadline,
          attributes.period);
    }
    if (size >= sizeof(LinuxSchedAttr)) {
      text += fmt::format(", sched_util_min={}, sched_util_max={}", attributes.util_min,
                          attributes.util_max);
    }
  }
  if (stated_size > size) {
    text += ", ...";
  }
  return text + "}";
}

}  // namespace litebox::shim::linux_abi::trace
