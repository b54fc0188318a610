// Tar archive reader: turns an archive held in memory (the runner maps the
// file) into a list of members without copying file data.
//
// Formats: POSIX ustar (name + prefix), GNU (long names and long link targets
// in 'L' and 'K' entries, base-256 numbers) and pax (per-file 'x' and global
// 'g' extended headers for path, linkpath, size, mtime, atime, ctime, uid and
// gid; uname and gname are ignored).
//
// The archive is untrusted. Damage that leaves the position of the next
// header unknown (a bad checksum, a bad number, a member running past the end
// of the archive, a malformed pax record) stops parsing with a TarError.
// Problems confined to one member (a ".." component, an unsupported type, an
// over-long name) skip that member and report a warning.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "litebox/errno.hpp"
#include "litebox/fs/types.hpp"

namespace litebox::fs::tar {

enum class MemberType {
  regular,
  hard_link,
  symlink,
  character_device,
  block_device,
  directory,
  fifo,
};

struct Member {
  // Relative path with "." components, empty components and a leading "/"
  // removed; never contains "..". The empty path is the archive's root
  // directory (a "./" member).
  std::string path;
  MemberType type = MemberType::regular;
  uint32_t permissions = 0;  // the 07777 bits of the header's mode
  uint32_t uid = 0;
  uint32_t gid = 0;
  Timespec modify_time;
  Timespec access_time;  // from pax "atime", else modify_time
  Timespec change_time;  // from pax "ctime", else modify_time
  // Symlink target as stored, or a hard link's target normalized like `path`.
  std::string link_target;
  uint32_t device_major = 0;
  uint32_t device_minor = 0;
  // Contents of a regular file: a view into the archive.
  std::span<const std::byte> data;
  // Offset of the member's own header in the archive, for messages.
  uint64_t header_offset = 0;
};

// The reason parsing stopped.
enum class TarProblem {
  bad_checksum,
  bad_number,  // non-octal digit, negative or out-of-range value
  truncated,   // a header, a name or file data runs past the end
  bad_pax_record,
};

struct TarError {
  TarProblem problem;
  uint64_t offset = 0;  // where the offending header starts
  std::string member;   // member name as far as known, else empty
  std::string message;  // one line naming the member, the offset and the problem
  Errno error = Errno::einval;
};

// Returns a member name as error and warning lines show it. Bytes outside
// printable ASCII, the quote and the backslash become \xNN escapes, so a
// damaged or hostile name cannot break the line or the terminal. Names
// longer than 100 bytes are cut with "...".
std::string printable_member_name(std::string_view name);

// Receives one line for each member skipped or changed (for example a
// stripped leading "/").
using WarningSink = std::function<void(std::string_view message)>;

// Receives each member once it is parsed; it may move from the member.
using MemberSink = std::function<void(Member& member)>;

// Parses `archive` and passes every member to `emit` in archive order,
// without collecting them. Members passed before a TarError stay passed, so
// a caller that builds from them discards its result on error. Spans and
// other rules as for parse_archive().
std::expected<void, TarError> for_each_member(std::span<const std::byte> archive,
                                              const WarningSink& warn, const MemberSink& emit);

// Parses every member of `archive` in archive order; duplicates stay in the
// list (later ones win when a file system is built from it). The returned
// spans point into `archive`, which must outlive them. Stops at the first zero
// block, or at the end of the data when the end-of-archive marker is missing.
std::expected<std::vector<Member>, TarError> parse_archive(std::span<const std::byte> archive,
                                                           const WarningSink& warn);

}  // namespace litebox::fs::tar
