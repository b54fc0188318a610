// Credential changes: setuid(2), setreuid(2), setresuid(2), setfsuid(2),
// their group versions, and setgroups(2).
//
// The sandbox keeps no capability sets. A process counts as privileged
// (CAP_SETUID and CAP_SETGID) while its effective user ID is 0, which
// matches Linux for a process that starts as root. On Linux, moving the
// effective uid away from 0 clears the effective capabilities. Moving it
// back restores them while one of the three uids is still 0, and once none
// is, no unprivileged rule leads back to 0.
#include <algorithm>
#include <vector>

#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"

namespace litebox::shim::linux_abi {

namespace {

// -1 as an id argument: leave that id as it is.
constexpr uint32_t unchanged = 0xffff'ffff;

// NGROUPS_MAX on Linux.
constexpr uint32_t groups_maximum = 65536;

// The four user ids or the four group ids of one process.
struct IdSet {
  uint32_t& real;
  uint32_t& effective;
  uint32_t& saved;
  uint32_t& file_system;

  bool holds(uint32_t id) const { return id == real || id == effective || id == saved; }
};

IdSet user_ids(ProcessCredentials& credentials) {
  return {credentials.uid, credentials.euid, credentials.suid, credentials.fsuid};
}

IdSet group_ids(ProcessCredentials& credentials) {
  return {credentials.gid, credentials.egid, credentials.sgid, credentials.fsgid};
}

// TODO: capability sets (capget, capset), and execve honouring the
// set-user-ID and set-group-ID bits.
bool privileged(const ProcessCredentials& credentials) { return credentials.euid == 0; }

// setuid(2) and setgid(2): a privileged caller sets all four ids, any other
// caller only the effective and file-system ids, to its real or saved id.
Result<void> set_one(IdSet ids, uint32_t id, bool privileged) {
  if (id == unchanged) {
    return fail(Errno::einval);
  }

  if (privileged) {
    ids.real = ids.saved = id;
  } else if (id != ids.real && id != ids.saved) {
    return fail(Errno::eperm);
  }
  ids.effective = ids.file_system = id;
  return {};
}

// setreuid(2) and setregid(2). An unprivileged caller may set the real id to
// its real or effective id and the effective id to any of its three ids. The
// saved id follows the new effective id when the real id is set, or when the
// effective id is set to something other than the old real id.
Result<void> set_real_effective(IdSet ids, uint32_t real, uint32_t effective, bool privileged) {
  if (!privileged) {
    if (real != unchanged && real != ids.real && real != ids.effective) {
      return fail(Errno::eperm);
    }
    if (effective != unchanged && !ids.holds(effective)) {
      return fail(Errno::eperm);
    }
  }

  const uint32_t old_real = ids.real;
  if (real != unchanged) {
    ids.real = real;
  }
  if (effective != unchanged) {
    ids.effective = effective;
  }
  if (real != unchanged || (effective != unchanged && effective != old_real)) {
    ids.saved = ids.effective;
  }
  ids.file_system = ids.effective;
  return {};
}

// setresuid(2) and setresgid(2): an unprivileged caller may set each id only
// to one of its current real, effective and saved ids.
Result<void> set_real_effective_saved(IdSet ids, uint32_t real, uint32_t effective, uint32_t saved,
                                      bool privileged) {
  if (!privileged) {
    for (uint32_t requested : {real, effective, saved}) {
      if (requested != unchanged && !ids.holds(requested)) {
        return fail(Errno::eperm);
      }
    }
  }

  if (real != unchanged) {
    ids.real = real;
  }
  if (effective != unchanged) {
    ids.effective = effective;
  }
  if (saved != unchanged) {
    ids.saved = saved;
  }
  ids.file_system = ids.effective;
  return {};
}

// setfsuid(2) and setfsgid(2) never fail: they return the old file-system
// id and change it only to an id the caller may take.
uint32_t set_file_system(IdSet ids, uint32_t id, bool privileged) {
  const uint32_t previous = ids.file_system;
  if (id != unchanged && (privileged || ids.holds(id) || id == ids.file_system)) {
    ids.file_system = id;
  }
  return previous;
}

// The id set a handler changes, user_ids or group_ids.
using IdSelector = IdSet (*)(ProcessCredentials&);

// Runs `change` on the credentials of `process`, under its lock. As on
// Linux with fs.suid_dumpable at its default 0, a change of an effective or
// file-system id makes the process not dumpable.
template <typename Change>
auto change_credentials(Process& process, Change change) {
  sync::LockGuard guard(process.lock);
  ProcessCredentials& credentials = process.credentials;
  const std::array<uint32_t, 4> before{credentials.euid, credentials.fsuid, credentials.egid,
                                       credentials.fsgid};
  auto result = change(credentials);
  const std::array<uint32_t, 4> after{credentials.euid, credentials.fsuid, credentials.egid,
                                      credentials.fsgid};
  if (before != after) {
    process.dumpable = false;
  }
  return result;
}

template <IdSelector select>
Result<uint64_t> sys_set_one(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(change_credentials(task.process(), [&](ProcessCredentials& credentials) {
    return set_one(select(credentials), arguments.as_uint(0), privileged(credentials));
  }));
  return 0;
}

template <IdSelector select>
Result<uint64_t> sys_set_real_effective(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(change_credentials(task.process(), [&](ProcessCredentials& credentials) {
    return set_real_effective(select(credentials), arguments.as_uint(0), arguments.as_uint(1),
                              privileged(credentials));
  }));
  return 0;
}

template <IdSelector select>
Result<uint64_t> sys_set_real_effective_saved(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(change_credentials(task.process(), [&](ProcessCredentials& credentials) {
    return set_real_effective_saved(select(credentials), arguments.as_uint(0), arguments.as_uint(1),
                                    arguments.as_uint(2), privileged(credentials));
  }));
  return 0;
}

template <IdSelector select>
Result<uint64_t> sys_set_file_system(Task& task, const SyscallArguments& arguments) {
  return change_credentials(task.process(), [&](ProcessCredentials& credentials) {
    return set_file_system(select(credentials), arguments.as_uint(0), privileged(credentials));
  });
}

Result<uint64_t> sys_setgroups(Task& task, const SyscallArguments& arguments) {
  const uint32_t count = arguments.as_uint(0);
  if (count > groups_maximum) {
    return fail(Errno::einval);
  }

  std::vector<uint32_t> groups = TRY(GuestPtr<uint32_t>(arguments[1]).read_array(count));

  sync::LockGuard guard(task.process().lock);
  ProcessCredentials& credentials = task.process().credentials;
  if (!privileged(credentials)) {
    return fail(Errno::eperm);
  }
  // Linux keeps the list sorted, so getgroups(2) returns it in that order.
  std::ranges::sort(groups);
  credentials.groups = std::move(groups);
  return 0;
}

}  // namespace

void register_credential_syscalls(SyscallTable& table) {
  table.add(nr::setuid, sys_set_one<user_ids>);
  table.add(nr::setgid, sys_set_one<group_ids>);
  table.add(nr::setreuid, sys_set_real_effective<user_ids>);
  table.add(nr::setregid, sys_set_real_effective<group_ids>);
  table.add(nr::setresuid, sys_set_real_effective_saved<user_ids>);
  table.add(nr::setresgid, sys_set_real_effective_saved<group_ids>);
  table.add(nr::setfsuid, sys_set_file_system<user_ids>);
  table.add(nr::setfsgid, sys_set_file_system<group_ids>);
  table.add(nr::setgroups, sys_setgroups);
}

}  // namespace litebox::shim::linux_abi
