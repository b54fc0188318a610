#include "shim/linux/syscalls/socket_control.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include "shim/linux/guest_memory.hpp"
#include "shim/linux/process.hpp"
#include "shim/linux/syscalls/file_support.hpp"
#include "shim/linux/syscalls/socket_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

constexpr int32_t scm_rights = 1;
constexpr int32_t scm_credentials = 2;

// SCM_MAX_FD: the most files one sendmsg(2) may pass.
constexpr size_t max_passed_files = 253;

// The largest control buffer sendmsg(2) takes. Linux allocates it from
// net.core.optmem_max, 20480 bytes by default before Linux 6.9 and 131072
// since.
constexpr uint64_t max_control_length = 131072;

// struct cmsghdr on x86-64, followed by its data at the next multiple of 8.
struct LinuxControlHeader {
  uint64_t length;  // of the header and the data, without the padding after it
  int32_t level;
  int32_t type;
};
static_assert(sizeof(LinuxControlHeader) == 16);

// CMSG_ALIGN.
uint64_t align_control(uint64_t length) { return (length + 7) & ~uint64_t{7}; }

// Checks SCM_CREDENTIALS as Linux does: the caller's own pid, and one of
// its real, effective and saved ids, unless the caller is root.
// NOTE: Linux requires CAP_SYS_ADMIN, CAP_SETUID and CAP_SETGID, which
// this check reads as an effective uid of 0.
Result<void> check_credentials(Task& task, const LinuxCredentials& credentials) {
  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  const ProcessCredentials& own = process.credentials;
  if (own.euid == 0) {
    return {};
  }
  bool pid_ok = credentials.pid == process.pid();
  bool uid_ok =
      credentials.uid == own.uid || credentials.uid == own.euid || credentials.uid == own.suid;
  bool gid_ok =
      credentials.gid == own.gid || credentials.gid == own.egid || credentials.gid == own.sgid;
  if (!pid_ok || !uid_ok || !gid_ok) {
    return fail(Errno::eperm);
  }
  return {};
}

// Appends the files of one SCM_RIGHTS message, whose data is `data`.
Result<void> add_rights(Task& task, std::span<const std::byte> data, ipc::FileRights& rights) {
  size_t count = data.size() / sizeof(int32_t);
  if (rights.size() + count > max_passed_files) {
    return fail(Errno::einval);
  }
  for (size_t index = 0; index < count; ++index) {
    int32_t descriptor = 0;
    std::memcpy(&descriptor, data.data() + index * sizeof(int32_t), sizeof descriptor);
    rights.push_back(TRY(file_of(task, descriptor)));
  }
  return {};
}

}  // namespace

Result<ipc::FileRights> read_control_messages(Task& task, uint64_t address, uint64_t length) {
  if (length > max_control_length) {
    return fail(Errno::enobufs);
  }
  std::vector<std::byte> buffer(length);
  if (!buffer.empty()) {
    TRY_VOID(copy_from_guest(buffer, address));
  }

  ipc::FileRights rights;
  uint64_t offset = 0;
  while (offset + sizeof(LinuxControlHeader) <= length) {
    LinuxControlHeader header{};
    std::memcpy(&header, buffer.data() + offset, sizeof header);
    if (header.length < sizeof header || header.length > length - offset) {
      return fail(Errno::einval);
    }
    std::span<const std::byte> data(buffer.data() + offset + sizeof header,
                                    header.length - sizeof header);

    if (header.level == sol_socket) {
      if (header.type == scm_rights) {
        TRY_VOID(add_rights(task, data, rights));
      } else if (header.type == scm_credentials) {
        if (data.size() != sizeof(LinuxCredentials)) {
          return fail(Errno::einval);
        }
        LinuxCredentials credentials{};
        std::memcpy(&credentials, data.data(), sizeof credentials);
        TRY_VOID(check_credentials(task, credentials));
      } else {
        return fail(Errno::einval);
      }
    }
    offset += align_control(header.length);
  }
  return rights;
}

Result<ControlWritten> write_rights(Task& task, uint64_t address, uint64_t length,
                                    ipc::FileRights rights, bool close_on_exec) {
  ControlWritten written;
  if (rights.empty()) {
    return written;
  }
  size_t room = length > sizeof(LinuxControlHeader)
                    ? (length - sizeof(LinuxControlHeader)) / sizeof(int32_t)
                    : 0;
  size_t installable = std::min(room, rights.size());

  // As on Linux, the descriptors stay installed when a later step fails.
  fd::DescriptorTable& descriptors = task.process().descriptors();
  std::vector<int32_t> numbers;
  for (size_t index = 0; index < installable; ++index) {
    auto number = descriptors.allocate(rights[index], close_on_exec);
    if (!number) {
      break;
    }
    numbers.push_back(*number);
  }
  written.truncated = numbers.size() < rights.size();
  if (numbers.empty()) {
    return written;
  }

  uint64_t message_length = sizeof(LinuxControlHeader) + numbers.size() * sizeof(int32_t);
  LinuxControlHeader header{.length = message_length, .level = sol_socket, .type = scm_rights};
  TRY_VOID(copy_to_guest(address, std::as_bytes(std::span(&header, 1))));
  TRY_VOID(copy_to_guest(address + sizeof header, std::as_bytes(std::span(numbers))));
  written.length = std::min(align_control(message_length), length);
  return written;
}

}  // namespace litebox::shim::linux_abi
