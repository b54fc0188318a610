// Tar archive reader. Every offset and length taken from the archive is
// checked against the archive's size before use, and every sum is
// overflow-checked, because the archive is untrusted input.
#include "litebox/fs/tar_archive.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

namespace litebox::fs::tar {

// TAR_TRY(expr): TRY for the std::expected<T, TarError> results of this file.
#define TAR_TRY(expr)                                                         \
  __extension__({                                                             \
    auto&& tar_try_result_ = (expr);                                          \
    if (!tar_try_result_) [[unlikely]]                                        \
      return ::std::unexpected<TarError>(std::move(tar_try_result_.error())); \
    std::move(*tar_try_result_);                                              \
  })

namespace {

constexpr size_t block_size = 512;
using Block = std::span<const std::byte, block_size>;

// One fixed-width field of the 512-byte header.
struct Field {
  size_t offset;
  size_t length;
};

constexpr Field name_field{0, 100};
constexpr Field mode_field{100, 8};
constexpr Field uid_field{108, 8};
constexpr Field gid_field{116, 8};
constexpr Field size_field{124, 12};
constexpr Field modify_time_field{136, 12};
constexpr Field checksum_field{148, 8};
constexpr size_t type_flag_offset = 156;
constexpr Field link_name_field{157, 100};
constexpr Field magic_field{257, 8};  // magic and version together
constexpr Field device_major_field{329, 8};
constexpr Field device_minor_field{337, 8};
constexpr Field prefix_field{345, 155};

std::string_view as_text(std::span<const std::byte> bytes) {
  // Safety: std::byte and char have the same size and char may alias any
  // object; the view lives no longer than `bytes`.
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The raw bytes of a field.
std::string_view raw_field(Block block, Field field) {
  return as_text(block.subspan(field.offset, field.length));
}

// A string field: its bytes up to the first NUL.
std::string_view text_field(Block block, Field field) {
  std::string_view raw = raw_field(block, field);
  return raw.substr(0, raw.find('\0'));
}

bool is_zero_block(Block block) {
  return std::ranges::all_of(block, [](std::byte b) { return b == std::byte{0}; });
}

// Parses a numeric header field: octal digits, optionally led by spaces and
// ended by a NUL or a space. A field whose first byte has the top bit set is
// a GNU base-256 number in two's complement, with bit 6 of that byte as the
// sign. An empty field is 0.
std::optional<int64_t> parse_number(std::string_view raw) {
  if (raw.empty()) {
    return 0;
  }

  auto first = static_cast<uint8_t>(raw[0]);
  if (first & 0x80) {
    bool negative = (first & 0x40) != 0;
    // For a negative number accumulate the complement, which is |value| - 1,
    // so the most negative values still fit.
    uint8_t flip = negative ? 0xff : 0x00;
    uint64_t magnitude = static_cast<uint8_t>(first ^ flip) & 0x3f;
    for (char c : raw.substr(1)) {
      if (magnitude > (std::numeric_limits<uint64_t>::max() >> 8)) {
        return std::nullopt;
      }
      magnitude = (magnitude << 8) | static_cast<uint8_t>(static_cast<uint8_t>(c) ^ flip);
    }
    if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    auto value = static_cast<int64_t>(magnitude);
    return negative ? -value - 1 : value;
  }

  size_t i = 0;
  while (i < raw.size() && raw[i] == ' ') {
    ++i;
  }
  uint64_t value = 0;
  for (; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\0' || c == ' ') {
      break;
    }
    if (c < '0' || c > '7') {
      return std::nullopt;
    }
    if (value > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) >> 3)) {
      return std::nullopt;
    }
    value = (value << 3) | static_cast<uint64_t>(c - '0');
  }
  // Only terminators may follow the digits.
  for (; i < raw.size(); ++i) {
    if (raw[i] != '\0' && raw[i] != ' ') {
      return std::nullopt;
    }
  }
  return static_cast<int64_t>(value);
}

bool checksum_matches(Block block) {
  std::optional<int64_t> stored = parse_number(raw_field(block, checksum_field));
  if (!stored) {
    return false;
  }

  // The checksum covers the header with its own field read as spaces. Some
  // old tars summed signed chars, so accept either sum. The loops have no
  // branches, so the compiler can vectorize them: every header of an image
  // passes through here once at start-up.
  int32_t unsigned_sum = 0;
  int32_t signed_sum = 0;
  for (std::byte byte : block) {
    unsigned_sum += static_cast<uint8_t>(byte);
    signed_sum += static_cast<int8_t>(byte);
  }
  for (std::byte byte : block.subspan(checksum_field.offset, checksum_field.length)) {
    unsigned_sum -= static_cast<uint8_t>(byte);
    signed_sum -= static_cast<int8_t>(byte);
  }
  const auto spaces = static_cast<int32_t>(checksum_field.length * ' ');
  unsigned_sum += spaces;
  signed_sum += spaces;
  return *stored == unsigned_sum || *stored == signed_sum;
}

// Parses a decimal pax number made of digits only.
std::optional<uint64_t> parse_decimal(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  return value;
}

// Parses a pax time: an optional '-', decimal seconds and an optional
// fraction, of which nanoseconds are kept.
std::optional<Timespec> parse_pax_time(std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative) {
    text.remove_prefix(1);
  }
  size_t dot = text.find('.');
  std::optional<uint64_t> seconds = parse_decimal(text.substr(0, dot));
  if (!seconds || *seconds > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() - 1)) {
    return std::nullopt;
  }

  int64_t nanoseconds = 0;
  if (dot != std::string_view::npos) {
    std::string_view fraction = text.substr(dot + 1);
    if (fraction.empty()) {
      return std::nullopt;
    }
    int64_t scale = 100'000'000;
    for (char c : fraction) {
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      nanoseconds += (c - '0') * scale;
      scale /= 10;
    }
  }

  auto whole = static_cast<int64_t>(*seconds);
  if (!negative) {
    return Timespec{whole, nanoseconds};
  }
  if (nanoseconds == 0) {
    return Timespec{-whole, 0};
  }
  return Timespec{-whole - 1, 1'000'000'000 - nanoseconds};
}

// Values from pax extended headers. A set field overrides the ustar header.
struct PaxValues {
  std::optional<std::string> path;
  std::optional<std::string> link_path;
  std::optional<uint64_t> size;
  std::optional<Timespec> modify_time;
  std::optional<Timespec> access_time;
  std::optional<Timespec> change_time;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  bool sparse = false;  // GNU.sparse.* keys: a sparse file this reader cannot map
};

// Applies one pax record. Returns an error message for a value it cannot
// parse. An empty value removes the key, as pax specifies.
std::optional<std::string> apply_pax_record(std::string_view key, std::string_view value,
                                            PaxValues& values) {
  auto set_id = [&](std::optional<uint32_t>& field) -> std::optional<std::string> {
    if (value.empty()) {
      field.reset();
      return std::nullopt;
    }
    std::optional<uint64_t> number = parse_decimal(value);
    if (!number || *number > std::numeric_limits<uint32_t>::max()) {
      return "invalid pax " + std::string(key) + " \"" + std::string(value) + "\"";
    }
    field = static_cast<uint32_t>(*number);
    return std::nullopt;
  };
  auto set_time = [&](std::optional<Timespec>& field) -> std::optional<std::string> {
    if (value.empty()) {
      field.reset();
      return std::nullopt;
    }
    std::optional<Timespec> time = parse_pax_time(value);
    if (!time) {
      return "invalid pax " + std::string(key) + " \"" + std::string(value) + "\"";
    }
    field = *time;
    return std::nullopt;
  };

  if (key == "path") {
    values.path = value.empty() ? std::nullopt : std::optional<std::string>(value);
  } else if (key == "linkpath") {
    values.link_path = value.empty() ? std::nullopt : std::optional<std::string>(value);
  } else if (key == "size") {
    if (value.empty()) {
      values.size.reset();
      return std::nullopt;
    }
    std::optional<uint64_t> size = parse_decimal(value);
    if (!size || *size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return "invalid pax size \"" + std::string(value) + "\"";
    }
    values.size = size;
  } else if (key == "mtime") {
    return set_time(values.modify_time);
  } else if (key == "atime") {
    return set_time(values.access_time);
  } else if (key == "ctime") {
    return set_time(values.change_time);
  } else if (key == "uid") {
    return set_id(values.uid);
  } else if (key == "gid") {
    return set_id(values.gid);
  } else if (key.starts_with("GNU.sparse.")) {
    values.sparse = true;
  }
  // Other keys (uname, gname, charset, SCHILY.xattr.*, ...) carry nothing a
  // tar file system reports.
  return std::nullopt;
}

// Parses the records "<length> <key>=<value>\n" of a pax header's data.
std::optional<std::string> parse_pax_records(std::string_view data, PaxValues& values) {
  while (!data.empty()) {
    // Some writers pad the data with NULs after the last record.
    if (data[0] == '\0') {
      break;
    }

    size_t space = data.find(' ');
    if (space == std::string_view::npos) {
      return "pax record without a length";
    }
    std::optional<uint64_t> length = parse_decimal(data.substr(0, space));
    if (!length || *length <= space + 1 || *length > data.size()) {
      return "invalid pax record length \"" + std::string(data.substr(0, space)) + "\"";
    }

    std::string_view record = data.substr(0, *length);
    if (record.back() != '\n') {
      return "pax record not ended by a newline";
    }
    std::string_view body = record.substr(space + 1, record.size() - space - 2);
    size_t equals = body.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return "pax record without a key";
    }
    if (auto error = apply_pax_record(body.substr(0, equals), body.substr(equals + 1), values)) {
      return error;
    }
    data.remove_prefix(*length);
  }
  return std::nullopt;
}

void merge_pax(const PaxValues& from, PaxValues& into) {
  if (from.path) {
    into.path = from.path;
  }
  if (from.link_path) {
    into.link_path = from.link_path;
  }
  if (from.size) {
    into.size = from.size;
  }
  if (from.modify_time) {
    into.modify_time = from.modify_time;
  }
  if (from.access_time) {
    into.access_time = from.access_time;
  }
  if (from.change_time) {
    into.change_time = from.change_time;
  }
  if (from.uid) {
    into.uid = from.uid;
  }
  if (from.gid) {
    into.gid = from.gid;
  }
  into.sparse = into.sparse || from.sparse;
}

// The reason a member name cannot be used.
enum class PathProblem { none, dot_dot, contains_nul, component_too_long, too_long };

struct NormalizedPath {
  std::string path;
  bool was_absolute = false;
  bool trailing_slash = false;
  PathProblem problem = PathProblem::none;
};

// Removes empty and "." components and a leading "/", and flags "..".
NormalizedPath normalize_path(std::string_view raw) {
  NormalizedPath result;
  result.was_absolute = raw.starts_with('/');
  result.trailing_slash = raw.ends_with('/');
  if (raw.find('\0') != std::string_view::npos) {
    result.problem = PathProblem::contains_nul;
    return result;
  }
  if (raw.size() >= path_max) {
    result.problem = PathProblem::too_long;
    return result;
  }

  while (!raw.empty()) {
    size_t slash = raw.find('/');
    std::string_view component = raw.substr(0, slash);
    raw = slash == std::string_view::npos ? std::string_view() : raw.substr(slash + 1);
    if (component.empty() || component == ".") {
      continue;
    }
    if (component == "..") {
      result.problem = PathProblem::dot_dot;
      return result;
    }
    if (component.size() > name_max) {
      result.problem = PathProblem::component_too_long;
      return result;
    }
    if (!result.path.empty()) {
      result.path += '/';
    }
    result.path += component;
  }
  return result;
}

std::string_view describe(PathProblem problem) {
  switch (problem) {
    case PathProblem::dot_dot:
      return "contains a \"..\" component";
    case PathProblem::contains_nul:
      return "contains a NUL byte";
    case PathProblem::component_too_long:
      return "has a component longer than 255 bytes";
    case PathProblem::too_long:
      return "is longer than 4095 bytes";
    case PathProblem::none:
      break;
  }
  return "is valid";
}

// The name and metadata headers that come before a member's own header.
struct PendingMetadata {
  std::optional<std::string> long_name;  // GNU 'L'
  std::optional<std::string> long_link;  // GNU 'K'
  PaxValues pax;                         // pax 'x'
  bool present = false;
};

class Parser {
 public:
  Parser(std::span<const std::byte> archive, const WarningSink& warn, const MemberSink& emit)
      : archive_(archive), warn_(warn), emit_(emit) {}

  std::expected<void, TarError> run();

 private:
  size_t remaining(uint64_t offset) const {
    return offset >= archive_.size() ? 0 : archive_.size() - offset;
  }

  std::unexpected<TarError> error(TarProblem problem, uint64_t offset, std::string_view member,
                                  std::string_view what) const;
  void warning(uint64_t offset, std::string_view member, std::string_view what) const;

  // Reads a numeric field that must lie in [minimum, maximum].
  std::expected<int64_t, TarError> number(Block block, Field field, std::string_view field_name,
                                          uint64_t offset, std::string_view member, int64_t minimum,
                                          int64_t maximum) const;

  // Handles one non-metadata header; appends a member unless it is skipped.
  std::expected<void, TarError> add_member(Block block, uint64_t offset,
                                           std::span<const std::byte> data,
                                           std::string_view raw_name);

  std::span<const std::byte> archive_;
  const WarningSink& warn_;
  const MemberSink& emit_;
  PendingMetadata pending_;
  PaxValues global_pax_;
  bool warned_absolute_ = false;
};

std::unexpected<TarError> Parser::error(TarProblem problem, uint64_t offset,
                                        std::string_view member, std::string_view what) const {
  TarError failure{problem, offset, std::string(member), {}, Errno::einval};
  failure.message = "invalid tar archive: member \"" + printable_member_name(member) +
                    "\" at offset " + std::to_string(offset) + ": " + std::string(what);
  return std::unexpected(std::move(failure));
}

void Parser::warning(uint64_t offset, std::string_view member, std::string_view what) const {
  if (!warn_) {
    return;
  }
  warn_("tar: member \"" + printable_member_name(member) + "\" at offset " +
        std::to_string(offset) + ": " + std::string(what));
}

std::expected<int64_t, TarError> Parser::number(Block block, Field field,
                                                std::string_view field_name, uint64_t offset,
                                                std::string_view member, int64_t minimum,
                                                int64_t maximum) const {
  std::string_view raw = raw_field(block, field);
  std::optional<int64_t> value = parse_number(raw);
  if (!value) {
    return error(TarProblem::bad_number, offset, member,
                 "invalid " + std::string(field_name) + " field");
  }
  if (*value < minimum || *value > maximum) {
    return error(TarProblem::bad_number, offset, member,
                 std::string(field_name) + " " + std::to_string(*value) + " is out of range");
  }
  return *value;
}

std::expected<void, TarError> Parser::run() {
  uint64_t offset = 0;
  while (true) {
    size_t left = remaining(offset);
    if (left < block_size) {
      // A missing end-of-archive marker is tolerated; a partial header is not.
      auto tail = archive_.subspan(archive_.size() - left);
      if (!std::ranges::all_of(tail, [](std::byte b) { return b == std::byte{0}; })) {
        return error(TarProblem::truncated, offset, "", "header cut off by the end of the archive");
      }
      break;
    }

    Block block = archive_.subspan(offset).first<block_size>();
    if (is_zero_block(block)) {
      uint64_t next = offset + block_size;
      if (remaining(next) >= block_size &&
          !is_zero_block(archive_.subspan(next).first<block_size>())) {
        warning(offset, "", "a lone zero block ends the archive; later data is ignored");
      }
      break;
    }

    // Until the checksum is known to be right, the name is only shown
    // for the message.
    std::string_view raw_name = text_field(block, name_field);
    if (!checksum_matches(block)) {
      return error(TarProblem::bad_checksum, offset, raw_name, "header checksum mismatch");
    }

    auto type_flag = static_cast<char>(block[type_flag_offset]);
    int64_t header_size = TAR_TRY(number(block, size_field, "size", offset, raw_name, 0,
                                         std::numeric_limits<int64_t>::max()));
    auto size = static_cast<uint64_t>(header_size);
    bool is_metadata = type_flag == 'x' || type_flag == 'g' || type_flag == 'L' || type_flag == 'K';
    if (!is_metadata) {
      if (pending_.pax.size) {
        size = *pending_.pax.size;
      } else if (global_pax_.size) {
        size = *global_pax_.size;
      }
    }

    uint64_t data_offset = offset + block_size;
    // Directories carry no data, whatever their size field says (GNU tar
    // reads them the same way).
    uint64_t data_size = type_flag == '5' ? 0 : size;
    if (data_size > remaining(data_offset)) {
      return error(TarProblem::truncated, offset, raw_name,
                   "size " + std::to_string(data_size) + " runs past the end of the archive");
    }
    std::span<const std::byte> data = archive_.subspan(data_offset, data_size);
    // data_size fits in the archive, so rounding it up to a block cannot
    // overflow.
    uint64_t next = data_offset + (data_size + block_size - 1) / block_size * block_size;
    // The next header is usually far from this one and not in the cache.
    // Prefetching it while this member is handled hides most of that
    // latency (about 15% of the parse time of a 20,000-file image).
    if (remaining(next) >= block_size) {
      for (size_t line = 0; line < block_size; line += 64) {
        __builtin_prefetch(archive_.data() + next + line);
      }
    }

    switch (type_flag) {
      case 'L':
      case 'K': {
        std::string_view text = as_text(data);
        text = text.substr(0, text.find('\0'));
        (type_flag == 'L' ? pending_.long_name : pending_.long_link) = std::string(text);
        pending_.present = true;
        break;
      }
      case 'x':
      case 'g': {
        PaxValues& into = type_flag == 'x' ? pending_.pax : global_pax_;
        if (auto problem = parse_pax_records(as_text(data), into)) {
          return error(TarProblem::bad_pax_record, offset, raw_name, *problem);
        }
        pending_.present = pending_.present || type_flag == 'x';
        break;
      }
      case 'V':
        // A volume label names the archive, not a file.
        break;
      default:
        if (auto added = add_member(block, offset, data, raw_name); !added) {
          return std::unexpected(std::move(added.error()));
        }
        pending_ = PendingMetadata{};
        break;
    }
    offset = next;
  }

  if (pending_.present) {
    warning(offset, "", "extended header without a following member at the end of the archive");
  }
  return {};
}

std::expected<void, TarError> Parser::add_member(Block block, uint64_t offset,
                                                 std::span<const std::byte> data,
                                                 std::string_view raw_name) {
  PaxValues pax = global_pax_;
  merge_pax(pending_.pax, pax);

  // The name comes from pax, else a GNU long name, else the ustar fields.
  std::string_view magic = raw_field(block, magic_field);
  bool posix_ustar = magic.starts_with(std::string_view("ustar\0", 6));
  std::string name;
  if (pax.path) {
    name = *pax.path;
  } else if (pending_.long_name) {
    name = *pending_.long_name;
  } else {
    std::string_view prefix = posix_ustar ? text_field(block, prefix_field) : "";
    if (!prefix.empty()) {
      name = std::string(prefix) + "/";
    }
    name += raw_name;
  }

  std::string link;
  if (pax.link_path) {
    link = *pax.link_path;
  } else if (pending_.long_link) {
    link = *pending_.long_link;
  } else {
    link = text_field(block, link_name_field);
  }

  auto type_flag = static_cast<char>(block[type_flag_offset]);
  Member member;
  switch (type_flag) {
    case '0':
    case '\0':
    case '7':  // contiguous file, an ordinary file everywhere but on Masscomp
      member.type = MemberType::regular;
      break;
    case '1':
      member.type = MemberType::hard_link;
      break;
    case '2':
      member.type = MemberType::symlink;
      break;
    case '3':
      member.type = MemberType::character_device;
      break;
    case '4':
      member.type = MemberType::block_device;
      break;
    case '5':
    case 'D':  // GNU dumpdir: a directory whose data lists its entries
      member.type = MemberType::directory;
      break;
    case '6':
      member.type = MemberType::fifo;
      break;
    default: {
      std::string what = "unsupported member type '";
      what += (type_flag >= 0x20 && type_flag < 0x7f) ? type_flag : '?';
      what += "'; skipped";
      warning(offset, name, what);
      return {};
    }
  }
  if (pax.sparse) {
    warning(offset, name, "sparse files are not supported; skipped");
    return {};
  }

  // Pre-POSIX archives mark directories with a trailing slash only.
  if (member.type == MemberType::regular && !posix_ustar && name.ends_with('/')) {
    member.type = MemberType::directory;
  }

  int64_t mode = TAR_TRY(
      number(block, mode_field, "mode", offset, name, 0, std::numeric_limits<int64_t>::max()));
  member.permissions = static_cast<uint32_t>(mode) & mode_permission_mask;

  constexpr int64_t max_id = std::numeric_limits<uint32_t>::max();
  member.uid = pax.uid ? *pax.uid
                       : static_cast<uint32_t>(
                             TAR_TRY(number(block, uid_field, "uid", offset, name, 0, max_id)));
  member.gid = pax.gid ? *pax.gid
                       : static_cast<uint32_t>(
                             TAR_TRY(number(block, gid_field, "gid", offset, name, 0, max_id)));
  if (pax.modify_time) {
    member.modify_time = *pax.modify_time;
  } else {
    member.modify_time.seconds =
        TAR_TRY(number(block, modify_time_field, "mtime", offset, name,
                       std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
  }
  member.access_time = pax.access_time.value_or(member.modify_time);
  member.change_time = pax.change_time.value_or(member.modify_time);

  if (member.type == MemberType::character_device || member.type == MemberType::block_device) {
    member.device_major = static_cast<uint32_t>(
        TAR_TRY(number(block, device_major_field, "devmajor", offset, name, 0, max_id)));
    member.device_minor = static_cast<uint32_t>(
        TAR_TRY(number(block, device_minor_field, "devminor", offset, name, 0, max_id)));
  }

  NormalizedPath path = normalize_path(name);
  if (path.problem != PathProblem::none) {
    warning(offset, name, "the name " + std::string(describe(path.problem)) + "; skipped");
    return {};
  }
  if (path.was_absolute && !warned_absolute_) {
    warning(offset, name, "removing the leading \"/\" from member names");
    warned_absolute_ = true;
  }
  member.path = std::move(path.path);

  if (member.type == MemberType::hard_link) {
    NormalizedPath target = normalize_path(link);
    if (target.problem != PathProblem::none) {
      warning(offset, name,
              "the hard link target " + std::string(describe(target.problem)) + "; skipped");
      return {};
    }
    link = std::move(target.path);
  }
  if (member.type == MemberType::symlink && link.empty()) {
    warning(offset, name, "symlink with an empty target; skipped");
    return {};
  }
  if (member.type == MemberType::symlink && link.size() >= path_max) {
    warning(offset, name, "symlink target is longer than 4095 bytes; skipped");
    return {};
  }
  member.link_target = std::move(link);

  if (member.type == MemberType::regular) {
    member.data = data;
  }
  member.header_offset = offset;
  emit_(member);
  return {};
}

}  // namespace

std::expected<void, TarError> for_each_member(std::span<const std::byte> archive,
                                              const WarningSink& warn, const MemberSink& emit) {
  Parser parser(archive, warn, emit);
  return parser.run();
}

std::expected<std::vector<Member>, TarError> parse_archive(std::span<const std::byte> archive,
                                                           const WarningSink& warn) {
  std::vector<Member> members;
  auto parsed =
      for_each_member(archive, warn, [&](Member& member) { members.push_back(std::move(member)); });
  if (!parsed) {
    return std::unexpected(std::move(parsed.error()));
  }
  return members;
}

std::string printable_member_name(std::string_view name) {
  constexpr size_t longest_printable = 100;
  constexpr std::string_view hex_digits = "0123456789abcdef";
  std::string printable;
  for (size_t index = 0; index < name.size() && index < longest_printable; index++) {
    const auto byte = static_cast<unsigned char>(name[index]);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      printable += static_cast<char>(byte);
    } else {
      printable += "\\x";
      printable += hex_digits[byte >> 4];
      printable += hex_digits[byte & 0xf];
    }
  }
  if (name.size() > longest_printable) {
    printable += "...";
  }
  return printable;
}

}  // namespace litebox::fs::tar
