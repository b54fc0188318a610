// Open flags of the North API. The values are the Linux x86-64 O_* values so
// the Linux shim passes them through unchanged.
#pragma once

#include <cstdint>

namespace litebox::fd {

enum OpenFlags : uint32_t {
  open_read_only = 00,
  open_write_only = 01,
  open_read_write = 02,
  open_access_mask = 03,
  open_create = 0100,
  open_exclusive = 0200,
  open_no_controlling_tty = 0400,
  open_truncate = 01000,
  open_append = 02000,
  open_non_blocking = 04000,
  open_dsync = 010000,
  open_async = 020000,
  open_direct = 040000,
  open_large_file = 0100000,
  open_directory = 0200000,
  open_no_follow = 0400000,
  open_no_access_time = 01000000,
  open_close_on_exec = 02000000,
  open_sync = 04010000,
  open_path = 010000000,
  open_temporary_file = 020200000,
};

// The flags that F_SETFL may change, as on Linux.
inline constexpr uint32_t open_settable_status_flags =
    open_append | open_async | open_direct | open_no_access_time | open_non_blocking;

constexpr bool readable(uint32_t flags) {
  return (flags & open_access_mask) == open_read_only ||
         (flags & open_access_mask) == open_read_write;
}
constexpr bool writable(uint32_t flags) {
  return (flags & open_access_mask) == open_write_only ||
         (flags & open_access_mask) == open_read_write;
}

}  // namespace litebox::fd
