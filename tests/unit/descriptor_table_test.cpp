#include "litebox/fd/descriptor_table.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string>
#include <vector>

#include "litebox/fd/inode_file.hpp"
#include "memory_inode.hpp"
#include "test_threads.hpp"

namespace litebox::fd {
namespace {

using litebox::testing::bytes_of;
using litebox::testing::TestInode;
using litebox::testing::TestThread;

std::shared_ptr<File> make_file(uint32_t flags = open_read_write) {
  return std::make_shared<InodeFile>(std::make_shared<TestInode>(), flags);
}

TEST(DescriptorTable, AllocatesLowestFree) {
  DescriptorTable table;
  EXPECT_EQ(table.allocate(make_file(), false), 0);
  EXPECT_EQ(table.allocate(make_file(), false), 1);
  EXPECT_EQ(table.allocate(make_file(), false), 2);

  ASSERT_TRUE(table.close(1));
  EXPECT_EQ(table.allocate(make_file(), false), 1);
  EXPECT_EQ(table.allocate(make_file(), false, 10), 10);
  EXPECT_EQ(table.allocate(make_file(), false), 3);
}

TEST(DescriptorTable, LimitGivesEmfile) {
  DescriptorTable table(3);
  ASSERT_EQ(table.allocate(make_file(), false), 0);
  ASSERT_EQ(table.allocate(make_file(), false), 1);
  ASSERT_EQ(table.allocate(make_file(), false), 2);

  auto extra = table.allocate(make_file(), false);
  ASSERT_FALSE(extra);
  EXPECT_EQ(extra.error(), Errno::emfile);

  auto duplicate = table.dup(0);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error(), Errno::emfile);
}

TEST(DescriptorTable, HasFreeDescriptorFollowsLimit) {
  DescriptorTable table(2);
  EXPECT_TRUE(table.has_free_descriptor());
  ASSERT_EQ(table.allocate(make_file(), false), 0);
  ASSERT_EQ(table.allocate(make_file(), false), 1);
  EXPECT_FALSE(table.has_free_descriptor());

  ASSERT_TRUE(table.close(0));
  EXPECT_TRUE(table.has_free_descriptor());
  ASSERT_EQ(table.allocate(make_file(), false), 0);
  table.set_limit(3);
  EXPECT_TRUE(table.has_free_descriptor());
}

TEST(DescriptorTable, LoweringLimitKeepsOpenDescriptors) {
  DescriptorTable table;
  ASSERT_EQ(table.allocate(make_file(), false, 9), 9);

  table.set_limit(4);

  EXPECT_TRUE(table.get(9));
  EXPECT_EQ(table.limit(), 4u);
  auto beyond = table.allocate(make_file(), false, 5);
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error(), Errno::emfile);
}

TEST(DescriptorTable, DupSharesDescriptionAndClearsCloexec) {
  DescriptorTable table;
  int fd = *table.allocate(make_file(), true);

  auto copy = table.dup(fd);

  ASSERT_TRUE(copy);
  EXPECT_EQ(*copy, 1);
  EXPECT_EQ(table.get(fd)->get(), table.get(*copy)->get());
  EXPECT_EQ(table.close_on_exec(fd), true);
  EXPECT_EQ(table.close_on_exec(*copy), false);
}

// Descriptors from dup share the file offset and the status flags, because
// both name one open file description.
TEST(DescriptorTable, DupSharesOffsetAndStatusFlags) {
  DescriptorTable table;
  auto inode = std::make_shared<TestInode>();
  int fd = *table.allocate(std::make_shared<InodeFile>(inode, open_read_write), false);
  int copy = *table.dup(fd);

  ASSERT_EQ((*table.get(fd))->write(bytes_of("hello")), 5u);
  ASSERT_EQ((*table.get(copy))->write(bytes_of(" world")), 6u);
  EXPECT_EQ(inode->contents(), "hello world");
  EXPECT_EQ((*table.get(fd))->seek(0, SeekOrigin::current), 11u);

  (*table.get(copy))->set_status_flags(open_non_blocking);
  EXPECT_TRUE((*table.get(fd))->flags() & open_non_blocking);
}

fs::RecordLock write_lock_of(int32_t pid) {
  return fs::RecordLock{fs::LockOwner{fs::LockOwner::Kind::process, static_cast<uint64_t>(pid)},
                        fs::LockType::write, 0, 9, pid};
}

bool locked_against(fs::Inode& inode, int32_t other_pid) {
  fs::RecordLock probe = write_lock_of(other_pid);
  return inode.file_locks().find_conflict(probe).has_value();
}

// Closing any descriptor of a file drops the owner's POSIX locks on it,
// even when the lock was taken through another descriptor.
TEST(DescriptorTable, CloseReleasesRecordLocks) {
  DescriptorTable table;
  table.set_lock_owner(10);
  auto inode = std::make_shared<TestInode>();
  int locked = *table.allocate(std::make_shared<InodeFile>(inode, open_read_write), false);
  int other = *table.allocate(std::make_shared<InodeFile>(inode, open_read_only), false);
  ASSERT_TRUE(inode->file_locks().lock(write_lock_of(10), false));
  ASSERT_TRUE(locked_against(*inode, 11));

  ASSERT_TRUE(table.close(other));

  EXPECT_FALSE(locked_against(*inode, 11));
  EXPECT_TRUE(table.get(locked).has_value());
}

TEST(DescriptorTable, TryReleaseDropsRecordLocks) {
  DescriptorTable table;
  table.set_lock_owner(10);
  auto inode = std::make_shared<TestInode>();
  int fd = *table.allocate(std::make_shared<InodeFile>(inode, open_read_write), false);
  ASSERT_TRUE(inode->file_locks().lock(write_lock_of(10), false));

  EXPECT_TRUE(table.try_release_record_locks());

  EXPECT_FALSE(locked_against(*inode, 11));
  EXPECT_TRUE(table.get(fd).has_value());
}

// An inode gets its lock table only from the first lock request, so opening
// and closing a file leaves none behind.
TEST(DescriptorTable, CloseWithoutLocksMakesNoLockTable) {
  DescriptorTable table;
  table.set_lock_owner(10);
  auto inode = std::make_shared<TestInode>();
  int fd = *table.allocate(std::make_shared<InodeFile>(inode, open_read_write), false);

  ASSERT_TRUE(table.close(fd));

  EXPECT_EQ(inode->existing_file_locks(), nullptr);
  ASSERT_TRUE(inode->file_locks().lock(write_lock_of(10), false));
  EXPECT_EQ(inode->existing_file_locks(), &inode->file_locks());
}

TEST(DescriptorTable, Dup2SameDescriptorUnchanged) {
  DescriptorTable table;
  int fd = *table.allocate(make_file(), true);

  EXPECT_EQ(table.dup2(fd, fd), fd);
  // dup2 onto itself leaves the close-on-exec flag alone.
  EXPECT_EQ(table.close_on_exec(fd), true);

  auto closed = table.dup2(5, 5);
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error(), Errno::ebadf);
}

TEST(DescriptorTable, Dup2ReplacesTargetSilently) {
  DescriptorTable table;
  auto first = make_file();
  auto second = make_file();
  int fd = *table.allocate(first, false);
  int target = *table.allocate(second, true);
  std::weak_ptr<File> replaced = second;
  second.reset();

  EXPECT_EQ(table.dup2(fd, target), target);

  EXPECT_EQ(table.get(target)->get(), first.get());
  EXPECT_EQ(table.close_on_exec(target), false);
  EXPECT_TRUE(replaced.expired());
}

TEST(DescriptorTable, Dup3SetsCloexec) {
  DescriptorTable table;
  int fd = *table.allocate(make_file(), false);

  EXPECT_EQ(table.dup3(fd, 20, open_close_on_exec), 20);

  EXPECT_EQ(table.close_on_exec(20), true);
  EXPECT_EQ(table.allocate(make_file(), false), 1);
}

TEST(DescriptorTable, DuplicateFromFindsLowestAtLeast) {
  DescriptorTable table;
  int fd = *table.allocate(make_file(), false);
  ASSERT_EQ(table.allocate(make_file(), false, 5), 5);

  EXPECT_EQ(table.duplicate_from(fd, 5, true), 6);
  EXPECT_EQ(table.close_on_exec(6), true);
  EXPECT_EQ(table.duplicate_from(fd, 3, false), 3);
  EXPECT_EQ(table.close_on_exec(3), false);
}

TEST(DescriptorTable, CloseRangeClosesOnlyRange) {
  DescriptorTable table;
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(table.allocate(make_file(), false), i);
  }

  ASSERT_TRUE(table.close_range(2, 4, 0));

  EXPECT_EQ(table.open_descriptors(), (std::vector<int>{0, 1, 5}));
}

TEST(DescriptorTable, CloseRangeToMaxUnsigned) {
  DescriptorTable table;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(table.allocate(make_file(), false), i);
  }

  ASSERT_TRUE(table.close_range(1, ~0u, 0));

  EXPECT_EQ(table.open_descriptors(), (std::vector<int>{0}));
}

TEST(DescriptorTable, CloseRangeCloexecKeepsOpen) {
  DescriptorTable table;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(table.allocate(make_file(), false), i);
  }

  ASSERT_TRUE(table.close_range(1, 2, close_range_cloexec));

  EXPECT_EQ(table.open_descriptors(), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(table.close_on_exec(0), false);
  EXPECT_EQ(table.close_on_exec(1), true);
  EXPECT_EQ(table.close_on_exec(2), true);
}

TEST(DescriptorTable, ExecClosesCloexecDescriptors) {
  DescriptorTable table;
  ASSERT_EQ(table.allocate(make_file(), false), 0);
  ASSERT_EQ(table.allocate(make_file(), true), 1);
  ASSERT_EQ(table.allocate(make_file(), false), 2);
  ASSERT_TRUE(table.set_close_on_exec(2, true));
  ASSERT_TRUE(table.set_close_on_exec(0, false));

  table.close_on_exec_descriptors();

  EXPECT_EQ(table.open_descriptors(), (std::vector<int>{0}));
}

TEST(DescriptorTable, CopySharesDescriptionsNotSlots) {
  DescriptorTable table(100);
  int fd = *table.allocate(make_file(), true);

  std::unique_ptr<DescriptorTable> child = table.copy();
  ASSERT_TRUE(child->close(fd));
  ASSERT_EQ(child->allocate(make_file(), false, 3), 3);

  EXPECT_TRUE(table.get(fd));
  EXPECT_FALSE(table.get(3));
  EXPECT_EQ(child->limit(), 100u);

  std::unique_ptr<DescriptorTable> second_child = table.copy();
  EXPECT_EQ(second_child->get(fd)->get(), table.get(fd)->get());
  EXPECT_EQ(second_child->close_on_exec(fd), true);
}

// A description whose release touches the table (as a pipe end's release
// may wake threads that use it) must be released after the table lock.
class ReentrantFile final : public File {
 public:
  explicit ReentrantFile(DescriptorTable& table) : File(open_read_only), table_(table) {}
  ~ReentrantFile() override { descriptors_seen_at_release = table_.open_descriptors().size(); }
  Result<fs::Stat> stat() override { return fs::Stat{}; }

  static inline size_t descriptors_seen_at_release = 0;

 private:
  DescriptorTable& table_;
};

TEST(DescriptorTable, ReleasesOutsideTableLock) {
  DescriptorTable table;
  ASSERT_EQ(table.allocate(make_file(), false), 0);
  ASSERT_EQ(table.allocate(std::make_shared<ReentrantFile>(table), false), 1);
  ASSERT_EQ(table.allocate(std::make_shared<ReentrantFile>(table), true), 2);
  ASSERT_EQ(table.allocate(std::make_shared<ReentrantFile>(table), false), 3);
  ASSERT_EQ(table.allocate(std::make_shared<ReentrantFile>(table), false), 4);

  ASSERT_TRUE(table.close(1));
  EXPECT_EQ(ReentrantFile::descriptors_seen_at_release, 4u);
  table.close_on_exec_descriptors();
  EXPECT_EQ(ReentrantFile::descriptors_seen_at_release, 3u);
  ASSERT_EQ(table.dup2(0, 3), 3);
  EXPECT_EQ(ReentrantFile::descriptors_seen_at_release, 3u);
  ASSERT_TRUE(table.close_range(4, 4, 0));
  EXPECT_EQ(ReentrantFile::descriptors_seen_at_release, 2u);
}

TEST(DescriptorTable, ConcurrentAllocateNeverSharesNumbers) {
  DescriptorTable table;
  constexpr int per_thread = 200;
  std::vector<int> numbers[2];

  TestThread first([&] {
    for (int i = 0; i < per_thread; ++i) {
      numbers[0].push_back(*table.allocate(make_file(), false));
    }
  });
  TestThread second([&] {
    for (int i = 0; i < per_thread; ++i) {
      numbers[1].push_back(*table.allocate(make_file(), false));
    }
  });
  ASSERT_TRUE(first.join_within());
  ASSERT_TRUE(second.join_within());

  std::set<int> unique(numbers[0].begin(), numbers[0].end());
  unique.insert(numbers[1].begin(), numbers[1].end());
  EXPECT_EQ(unique.size(), size_t{2 * per_thread});
  EXPECT_EQ(*unique.rbegin(), 2 * per_thread - 1);
}

// The errno of each invalid call, compared with the host kernel running the
// same call. Descriptor numbers differ between the two, so cases name roles.
enum class Role { valid, other, negative, at_limit, unused };
enum class Call { dup, dup2, dup3, dupfd, close, close_range };

struct ErrorCase {
  const char* name;
  Call call;
  Role first;
  Role second;
  uint32_t flags;
};

const ErrorCase error_cases[] = {
    {"dup of negative", Call::dup, Role::negative, Role::valid, 0},
    {"dup of unused", Call::dup, Role::unused, Role::valid, 0},
    {"dup2 to negative", Call::dup2, Role::valid, Role::negative, 0},
    {"dup2 to limit", Call::dup2, Role::valid, Role::at_limit, 0},
    {"dup2 from unused", Call::dup2, Role::unused, Role::other, 0},
    {"dup2 unused onto itself", Call::dup2, Role::unused, Role::unused, 0},
    {"dup3 onto itself", Call::dup3, Role::valid, Role::valid, 0},
    {"dup3 with O_WRONLY", Call::dup3, Role::valid, Role::other, O_WRONLY},
    {"dup3 with O_NONBLOCK", Call::dup3, Role::valid, Role::other, O_NONBLOCK},
    {"dup3 to limit", Call::dup3, Role::valid, Role::at_limit, O_CLOEXEC},
    {"dup3 from unused", Call::dup3, Role::unused, Role::other, O_CLOEXEC},
    {"F_DUPFD negative minimum", Call::dupfd, Role::valid, Role::negative, 0},
    {"F_DUPFD minimum at limit", Call::dupfd, Role::valid, Role::at_limit, 0},
    {"F_DUPFD of unused", Call::dupfd, Role::unused, Role::at_limit, 0},
    {"close negative", Call::close, Role::negative, Role::valid, 0},
    {"close unused", Call::close, Role::unused, Role::valid, 0},
    {"close_range first above last", Call::close_range, Role::unused, Role::other, 0},
    {"close_range unknown flag", Call::close_range, Role::other, Role::unused, 1},
};

class DescriptorErrors : public ::testing::TestWithParam<ErrorCase> {};

int host_descriptor(Role role, int valid, int other, int limit) {
  switch (role) {
    case Role::valid:
      return valid;
    case Role::other:
      return other;
    case Role::negative:
      return -1;
    case Role::at_limit:
      return limit;
    case Role::unused:
      return limit - 1;
  }
  return -1;
}

int run_on_host(const ErrorCase& test_case, int valid, int other, int limit) {
  int first = host_descriptor(test_case.first, valid, other, limit);
  int second = host_descriptor(test_case.second, valid, other, limit);
  long result = 0;
  switch (test_case.call) {
    case Call::dup:
      result = ::dup(first);
      break;
    case Call::dup2:
      result = ::dup2(first, second);
      break;
    case Call::dup3:
      result = ::dup3(first, second, static_cast<int>(test_case.flags));
      break;
    case Call::dupfd:
      result = ::fcntl(first, F_DUPFD, second);
      break;
    case Call::close:
      result = ::close(first);
      break;
    case Call::close_range:
      result = ::syscall(SYS_close_range, static_cast<unsigned>(first),
                         static_cast<unsigned>(second), test_case.flags);
      break;
  }
  if (result >= 0) {
    ::close(static_cast<int>(result));
    return 0;
  }
  return errno;
}

int run_on_table(const ErrorCase& test_case, DescriptorTable& table, int valid, int other,
                 int limit) {
  int first = host_descriptor(test_case.first, valid, other, limit);
  int second = host_descriptor(test_case.second, valid, other, limit);
  Result<int> result = 0;
  switch (test_case.call) {
    case Call::dup:
      result = table.dup(first);
      break;
    case Call::dup2:
      result = table.dup2(first, second);
      break;
    case Call::dup3:
      result = table.dup3(first, second, test_case.flags);
      break;
    case Call::dupfd:
      result = table.duplicate_from(first, second, false);
      break;
    case Call::close: {
      Result<void> closed = table.close(first);
      result = closed ? Result<int>(0) : fail(closed.error());
      break;
    }
    case Call::close_range: {
      Result<void> closed = table.close_range(static_cast<unsigned>(first),
                                              static_cast<unsigned>(second), test_case.flags);
      result = closed ? Result<int>(0) : fail(closed.error());
      break;
    }
  }
  return result ? 0 : errno_value(result.error());
}

TEST_P(DescriptorErrors, MatchesHostErrno) {
  const ErrorCase& test_case = GetParam();
  rlimit limits{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limits), 0);
  int limit = static_cast<int>(limits.rlim_cur);
  int host_valid = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int host_other = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(host_valid, 0);
  ASSERT_GE(host_other, 0);
  ASSERT_EQ(::fcntl(limit - 1, F_GETFD), -1) << "the host's highest descriptor is in use";

  int expected = run_on_host(test_case, host_valid, host_other, limit);
  ::close(host_valid);
  ::close(host_other);

  DescriptorTable table(static_cast<size_t>(limit));
  int valid = *table.allocate(make_file(), false);
  int other = *table.allocate(make_file(), false);
  int actual = run_on_table(test_case, table, valid, other, limit);

  EXPECT_NE(expected, 0) << test_case.name << " succeeded on the host";
  EXPECT_EQ(actual, expected) << test_case.name;
}

INSTANTIATE_TEST_SUITE_P(HostComparison, DescriptorErrors, ::testing::ValuesIn(error_cases));

}  // namespace
}  // namespace litebox::fd
