// Permission rules for root and for an ordinary user (uid 1000), compared
// with the host kernel. The native side drops to fsuid 1000 in a child.
#include <utime.h>

#include "vfs_test_support.hpp"

namespace litebox::testing {
namespace {

constexpr uint32_t user = 1000;
constexpr uint32_t other_user = 1001;

TEST(VfsPermission, RootExecutesOnlyWithSomeExecuteBit) {
  Dual d;
  ASSERT_EQ(d.create_file("plain", "", 0644), 0);
  ASSERT_EQ(d.create_file("other_exec", "", 0601), 0);
  ASSERT_EQ(d.mkdir("closed", 0000), 0);
  ASSERT_EQ(d.create_file("closed/file"), 0);

  EXPECT_EQ(d.access("plain", X_OK), EACCES);
  EXPECT_EQ(d.access("other_exec", X_OK), 0);
  EXPECT_EQ(d.access("plain", R_OK | W_OK), 0);
  EXPECT_EQ(d.access("closed", R_OK | W_OK | X_OK), 0);
  EXPECT_EQ(d.stat("closed/file"), 0);
}

TEST(VfsPermission, AccessUsesOwnerGroupOther) {
  Dual d;
  ASSERT_EQ(d.create_file("mine", "", 0600), 0);
  ASSERT_EQ(d.chown("mine", user, user), 0);
  ASSERT_EQ(d.create_file("group", "", 0060), 0);
  ASSERT_EQ(d.chown("group", other_user, user), 0);
  ASSERT_EQ(d.create_file("others", "", 0604), 0);
  ASSERT_EQ(d.chown("others", other_user, other_user), 0);
  ASSERT_EQ(d.create_file("owner_denied", "", 0077), 0);
  ASSERT_EQ(d.chown("owner_denied", user, user), 0);

  d.become_user(user);
  EXPECT_EQ(d.access("mine", R_OK | W_OK), 0);
  EXPECT_EQ(d.access("mine", X_OK), EACCES);
  EXPECT_EQ(d.access("group", R_OK | W_OK), 0);
  EXPECT_EQ(d.access("others", R_OK), 0);
  EXPECT_EQ(d.access("others", W_OK), EACCES);
  EXPECT_EQ(d.access("owner_denied", R_OK), EACCES);
  EXPECT_EQ(d.access("missing", F_OK), ENOENT);
  EXPECT_EQ(d.access("mine", 8), EINVAL);
}

TEST(VfsPermission, CreateAndRemoveNeedWriteOnParent) {
  Dual d;
  ASSERT_EQ(d.mkdir("locked", 0755), 0);
  ASSERT_EQ(d.create_file("locked/file"), 0);
  ASSERT_EQ(d.mkdir("locked/sub"), 0);
  ASSERT_EQ(d.mkdir("open", 0777), 0);

  d.become_user(user);
  EXPECT_EQ(d.mkdir("locked/new"), EACCES);
  EXPECT_EQ(d.open("locked/new", O_CREAT | O_WRONLY), EACCES);
  EXPECT_EQ(d.symlink("x", "locked/link"), EACCES);
  EXPECT_EQ(d.mknod("locked/fifo", S_IFIFO | 0644), EACCES);
  EXPECT_EQ(d.unlink("locked/file"), EACCES);
  EXPECT_EQ(d.rmdir("locked/sub"), EACCES);
  EXPECT_EQ(d.rename("locked/file", "open/file"), EACCES);
  // fs.protected_hardlinks rejects linking another user's file first.
  EXPECT_EQ(d.link("locked/file", "locked/hard"), EPERM);
  EXPECT_EQ(d.mkdir("locked/file"), EEXIST);
  EXPECT_EQ(d.mkdir("open/new"), 0);
  EXPECT_EQ(d.mknod("open/device", S_IFCHR | 0644, makedev(1, 3)), EPERM);
}

TEST(VfsPermission, StickyDirectoryProtectsOthersEntries) {
  Dual d;
  ASSERT_EQ(d.mkdir("sticky", 01777), 0);
  ASSERT_EQ(d.create_file("sticky/roots"), 0);
  ASSERT_EQ(d.create_file("sticky/users"), 0);
  ASSERT_EQ(d.chown("sticky/users", user, user), 0);
  ASSERT_EQ(d.create_file("sticky/roots2"), 0);

  d.become_user(user);
  EXPECT_EQ(d.unlink("sticky/roots"), EPERM);
  EXPECT_EQ(d.rename("sticky/roots", "sticky/moved"), EPERM);
  EXPECT_EQ(d.rename("sticky/users", "sticky/roots2"), EPERM);
  EXPECT_EQ(d.unlink("sticky/users"), 0);
}

TEST(VfsPermission, StickyDirectoryOwnerMayRemove) {
  Dual d;
  ASSERT_EQ(d.mkdir("sticky", 01777), 0);
  ASSERT_EQ(d.chown("sticky", user, user), 0);
  ASSERT_EQ(d.create_file("sticky/roots"), 0);

  d.become_user(user);
  EXPECT_EQ(d.unlink("sticky/roots"), 0);
}

TEST(VfsPermission, MovingDirectoryNeedsWriteOnIt) {
  Dual d;
  ASSERT_EQ(d.mkdir("a", 0777), 0);
  ASSERT_EQ(d.mkdir("b", 0777), 0);
  ASSERT_EQ(d.mkdir("a/readonly", 0555), 0);
  ASSERT_EQ(d.chown("a/readonly", user, user), 0);

  d.become_user(user);
  EXPECT_EQ(d.rename("a/readonly", "b/readonly"), EACCES);
  EXPECT_EQ(d.rename("a/readonly", "a/renamed"), 0);
}

TEST(VfsPermission, ChmodNeedsOwnership) {
  Dual d;
  ASSERT_EQ(d.create_file("roots"), 0);
  ASSERT_EQ(d.create_file("mine"), 0);
  ASSERT_EQ(d.chown("mine", user, user), 0);
  ASSERT_EQ(d.create_file("foreign_group"), 0);
  ASSERT_EQ(d.chown("foreign_group", user, other_user), 0);

  d.become_user(user);
  EXPECT_EQ(d.chmod("roots", 0777), EPERM);
  EXPECT_EQ(d.chmod("mine", 04755), 0);
  EXPECT_EQ(d.chmod("foreign_group", 02755), 0);

  d.become_root();
  auto [sandbox_mine, native_mine] = d.stat_both("mine");
  EXPECT_EQ(sandbox_mine.mode, native_mine.st_mode);
  auto [sandbox_foreign, native_foreign] = d.stat_both("foreign_group");
  EXPECT_EQ(sandbox_foreign.mode, native_foreign.st_mode);
}

TEST(VfsPermission, ChmodOfSymlinkItselfIsRejected) {
  Dual d;
  ASSERT_EQ(d.create_file("file"), 0);
  ASSERT_EQ(d.symlink("file", "link"), 0);

  // fchmodat2(2), system call 452 on x86-64 since Linux 6.6.
  constexpr long fchmodat2_number = 452;
  fs::AttributeChange change;
  change.permissions = 0600;
  int sandbox = errno_of(
      d.vfs().change_attributes(d.context(), d.cwd(), "link", fs::at_symlink_nofollow, change));
  int native = d.compare("fchmodat2 link", sandbox, [&] {
    return ::syscall(fchmodat2_number, d.native_fd(), "link", 0600, AT_SYMLINK_NOFOLLOW);
  });
  EXPECT_EQ(native, EOPNOTSUPP);
}

TEST(VfsPermission, ChownRules) {
  Dual d;
  ASSERT_EQ(d.create_file("mine"), 0);
  ASSERT_EQ(d.chown("mine", user, user), 0);
  ASSERT_EQ(d.create_file("roots"), 0);

  d.become_user(user);
  EXPECT_EQ(d.chown("mine", other_user, static_cast<gid_t>(-1)), EPERM);
  EXPECT_EQ(d.chown("mine", user, static_cast<gid_t>(-1)), 0);
  EXPECT_EQ(d.chown("mine", static_cast<uid_t>(-1), other_user), EPERM);
  EXPECT_EQ(d.chown("mine", static_cast<uid_t>(-1), user), 0);
  EXPECT_EQ(d.chown("roots", static_cast<uid_t>(-1), 0), EPERM);
  EXPECT_EQ(d.chown("roots", static_cast<uid_t>(-1), static_cast<gid_t>(-1)), 0);
}

TEST(VfsPermission, ChownClearsSetIdBits) {
  Dual d;
  ASSERT_EQ(d.create_file("setid", "", 06755), 0);
  ASSERT_EQ(d.create_file("setgid_noexec", "", 02644), 0);
  ASSERT_EQ(d.mkdir("dir", 06755), 0);

  for (const char* name : {"setid", "setgid_noexec", "dir"}) {
    ASSERT_EQ(d.chown(name, user, user), 0);
    auto [sandbox, native] = d.stat_both(name);
    EXPECT_EQ(sandbox.mode, native.st_mode) << name;
  }
}

TEST(VfsPermission, TruncateNeedsWrite) {
  Dual d;
  ASSERT_EQ(d.create_file("readonly", "abc", 0644), 0);
  ASSERT_EQ(d.mkdir("dir"), 0);
  ASSERT_EQ(d.mknod("fifo", S_IFIFO | 0666), 0);

  EXPECT_EQ(d.truncate("dir", 0), EISDIR);
  EXPECT_EQ(d.truncate("fifo", 0), EINVAL);
  EXPECT_EQ(d.truncate("readonly", -1), EINVAL);
  d.become_user(user);
  EXPECT_EQ(d.truncate("readonly", 0), EACCES);
}

TEST(VfsPermission, UtimesRules) {
  Dual d;
  ASSERT_EQ(d.create_file("writable", "", 0666), 0);
  ASSERT_EQ(d.create_file("readonly", "", 0644), 0);
  d.become_user(user);

  auto set_times = [&](const std::string& path, bool now) {
    fs::AttributeChange change;
    change.access_time = fs::Timespec{1, 0};
    change.modify_time = fs::Timespec{2, 0};
    change.times_are_now = now;
    int sandbox = errno_of(d.vfs().change_attributes(d.context(), d.cwd(), path, 0, change));
    return d.compare("utimensat " + path, sandbox, [&] {
      struct timespec times[2] = {{1, 0}, {2, 0}};
      return ::utimensat(d.native_fd(), path.c_str(), now ? nullptr : times, 0);
    });
  };

  EXPECT_EQ(set_times("writable", true), 0);
  EXPECT_EQ(set_times("writable", false), EPERM);
  EXPECT_EQ(set_times("readonly", true), EACCES);
}

TEST(VfsPermission, ProtectedHardlinks) {
  Dual d;
  FILE* sysctl = fopen("/proc/sys/fs/protected_hardlinks", "r");
  int protected_hardlinks = sysctl ? fgetc(sysctl) - '0' : -1;
  if (sysctl) {
    fclose(sysctl);
  }
  if (protected_hardlinks != 1) {
    GTEST_SKIP() << "the host does not set fs.protected_hardlinks=1";
  }
  ASSERT_EQ(d.mkdir("open", 0777), 0);
  ASSERT_EQ(d.create_file("readable", "", 0644), 0);
  ASSERT_EQ(d.create_file("shared", "", 0666), 0);
  ASSERT_EQ(d.create_file("setuid", "", 04777), 0);

  d.become_user(user);
  EXPECT_EQ(d.link("readable", "open/a"), EPERM);
  EXPECT_EQ(d.link("setuid", "open/b"), EPERM);
  EXPECT_EQ(d.link("shared", "open/c"), 0);
}

}  // namespace
}  // namespace litebox::testing
