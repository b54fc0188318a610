// Permission checks from mode, owner and group, with root's bypass as Linux
// applies it through CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER.
#include "path_walk.hpp"

namespace litebox::fs {

namespace {

constexpr uint32_t root_uid = 0;
constexpr uint32_t any_execute_bits = 0111;

bool writes_are_checked_against_read_only(const Stat& status) {
  FileType type = file_type_of(status.mode);
  return type == FileType::regular || type == FileType::directory || type == FileType::symlink;
}

}  // namespace

Result<void> Vfs::check_permission(const Credentials& credentials, const Stat& stat,
                                   uint32_t access) {
  access &= access_read | access_write | access_execute;

  if (credentials.uid == root_uid) {
    // Root reads and writes anything, searches any directory, and executes
    // a file only if some execute bit is set.
    bool execute_allowed = is_directory(stat) || (stat.mode & any_execute_bits) != 0;
    if ((access & access_execute) && !execute_allowed) {
      return fail(Errno::eacces);
    }
    return {};
  }

  uint32_t granted;
  if (credentials.uid == stat.uid) {
    granted = (stat.mode >> 6) & 7;
  } else if (credentials.in_group(stat.gid)) {
    granted = (stat.mode >> 3) & 7;
  } else {
    granted = stat.mode & 7;
  }
  if ((access & ~granted) != 0) {
    return fail(Errno::eacces);
  }
  return {};
}

Result<void> check_access(const PathContext& context, Inode& inode, uint32_t access) {
  Stat status = TRY(inode.stat());
  if ((access & access_write) && inode.file_system().read_only() &&
      writes_are_checked_against_read_only(status)) {
    return fail(Errno::erofs);
  }
  return Vfs::check_permission(context.credentials, status, access);
}

Result<void> check_may_create(const PathContext& context, Inode& directory) {
  return check_access(context, directory, access_write | access_execute);
}

Result<void> check_may_delete(const PathContext& context, Inode& directory, Inode& victim,
                              bool expect_directory) {
  TRY_VOID(check_access(context, directory, access_write | access_execute));

  Stat directory_status = TRY(directory.stat());
  Stat victim_status = TRY(victim.stat());

  // In a sticky directory only the owner of the entry, the owner of the
  // directory or root may remove or rename the entry.
  uint32_t uid = context.credentials.uid;
  if ((directory_status.mode & mode_sticky) && uid != root_uid && uid != victim_status.uid &&
      uid != directory_status.uid) {
    return fail(Errno::eperm);
  }

  if (expect_directory && !is_directory(victim_status)) {
    return fail(Errno::enotdir);
  }
  if (!expect_directory && is_directory(victim_status)) {
    return fail(Errno::eisdir);
  }
  return {};
}

Result<NewOwner> owner_for_new_inode(const PathContext& context, Inode& directory,
                                     bool is_directory) {
  Stat directory_status = TRY(directory.stat());

  NewOwner owner{.uid = context.credentials.uid, .gid = context.credentials.gid};
  if (directory_status.mode & mode_set_gid) {
    owner.gid = directory_status.gid;
    if (is_directory) {
      owner.extra_mode_bits = mode_set_gid;
    }
  }
  return owner;
}

}  // namespace litebox::fs
