// Control messages of sendmsg(2) and recvmsg(2) on Unix sockets:
// SCM_RIGHTS passes open file descriptions, and SCM_CREDENTIALS is checked
// and then dropped, because no socket sets SO_PASSCRED to receive it.
#pragma once

#include <cstdint>

#include "litebox/ipc/socket.hpp"
#include "litebox/result.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

// recvmsg(2) flags about control messages.
inline constexpr uint32_t msg_control_truncated = 0x8;             // MSG_CTRUNC
inline constexpr uint32_t msg_control_close_on_exec = 0x40000000;  // MSG_CMSG_CLOEXEC

// Reads the control messages of sendmsg(2), `length` bytes at `address`,
// and returns the files that SCM_RIGHTS messages name, as Linux checks
// them: `einval` for a malformed message, an unknown type at SOL_SOCKET or
// more than 253 files, `ebadf` for a descriptor that is not open, `eperm`
// for SCM_CREDENTIALS that are not the caller's, `enobufs` for a buffer
// larger than Linux copies. Messages at other levels are ignored.
Result<ipc::FileRights> read_control_messages(Task& task, uint64_t address, uint64_t length);

// The outcome of write_rights().
struct ControlWritten {
  uint64_t length = 0;     // the msg_controllen to report
  bool truncated = false;  // some files found no room or no descriptor: MSG_CTRUNC
};

// Gives the caller a descriptor for each file of `rights` that fits the
// control buffer of `length` bytes at `address`, with close-on-exec set if
// `close_on_exec`, and writes one SCM_RIGHTS message with them. The files
// that do not fit are closed, as on Linux.
Result<ControlWritten> write_rights(Task& task, uint64_t address, uint64_t length,
                                    ipc::FileRights rights, bool close_on_exec);

}  // namespace litebox::shim::linux_abi
