// The South interface on the real host: futexes, interrupts, clocks, pages,
// standard streams and randomness. The expected values come from the host
// itself (gettid, isatty, clock_gettime) in the same run.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>

#include "file_views.hpp"
#include "test_support.hpp"

namespace litebox::testing {
namespace {

using platform::FutexScope;
using namespace std::chrono_literals;

// Returns the scheduler state letter of a thread of this process ('S' while
// it sleeps in a futex wait), or '?' once it is gone.
char thread_state(platform::ThreadId thread) {
  std::ifstream stat("/proc/self/task/" + std::to_string(thread) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) {
    return '?';
  }
  const size_t name_end = line.rfind(')');
  return name_end + 2 < line.size() ? line[name_end + 2] : '?';
}

// Waits (bounded) until `thread` sleeps, so an interrupt finds it blocked.
bool wait_until_sleeping(platform::ThreadId thread) {
  for (int attempt = 0; attempt < 10'000; ++attempt) {
    if (thread_state(thread) == 'S') {
      return true;
    }
    host_platform().yield();
  }
  return false;
}

struct Waiter {
  std::atomic<uint32_t> word{0};
  std::atomic<uint32_t> done{0};
  std::atomic<int32_t> result{-1};  // 0 for success, else the errno value
  std::atomic<platform::ThreadId> thread{0};
};

void wait_on_word(void* argument) {
  auto* waiter = static_cast<Waiter*>(argument);
  waiter->thread.store(host_platform().current());
  Result<void> waited = host_platform().wait(waiter->word, 0, 10s, FutexScope::process_private);
  waiter->result.store(waited ? 0 : errno_value(waited.error()));
  waiter->done.store(1);
  host_platform().wake(waiter->done, 1, FutexScope::process_private);
}

// Waits (bounded) for the waiter thread to finish.
bool join(Waiter& waiter) {
  const auto deadline = host_platform().monotonic_now() + 10s;
  while (waiter.done.load() == 0) {
    const auto remaining = deadline - host_platform().monotonic_now();
    if (remaining.count() <= 0) {
      return false;
    }
    (void)host_platform().wait(waiter.done, 0, remaining, FutexScope::process_private);
  }
  return true;
}

TEST(LinuxFutex, WaitTimesOut) {
  std::atomic<uint32_t> word{0};
  Result<void> waited = host_platform().wait(word, 0, 1ms, FutexScope::process_private);
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error(), Errno::etimedout);
}

TEST(LinuxFutex, WaitOnChangedWordFails) {
  std::atomic<uint32_t> word{1};
  Result<void> waited = host_platform().wait(word, 0, 1s, FutexScope::shared);
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error(), Errno::eagain);
}

TEST(LinuxFutex, WakeReleasesWaiter) {
  Waiter waiter;
  Result<platform::ThreadId> thread = host_platform().spawn(wait_on_word, &waiter);
  ASSERT_TRUE(thread);
  ASSERT_TRUE(wait_until_sleeping(*thread));

  waiter.word.store(1);
  EXPECT_EQ(host_platform().wake(waiter.word, 1, FutexScope::process_private), 1u);
  ASSERT_TRUE(join(waiter));
  EXPECT_EQ(waiter.result.load(), 0);
}

TEST(LinuxFutex, WakeWithoutWaitersReturnsZero) {
  std::atomic<uint32_t> word{0};
  EXPECT_EQ(host_platform().wake(word, 5, FutexScope::shared), 0u);
}

TEST(LinuxThreads, SpawnReturnsThreadId) {
  Waiter waiter;
  Result<platform::ThreadId> thread = host_platform().spawn(wait_on_word, &waiter);
  ASSERT_TRUE(thread);
  ASSERT_TRUE(wait_until_sleeping(*thread));
  EXPECT_EQ(waiter.thread.load(), *thread);
  EXPECT_NE(*thread, host_platform().current());

  waiter.word.store(1);
  host_platform().wake(waiter.word, 1, FutexScope::process_private);
  ASSERT_TRUE(join(waiter));
}

TEST(LinuxThreads, CurrentIsGettid) {
  EXPECT_EQ(host_platform().current(), static_cast<platform::ThreadId>(gettid()));
}

TEST(LinuxThreads, InterruptEndsBlockedWait) {
  Waiter waiter;
  Result<platform::ThreadId> thread = host_platform().spawn(wait_on_word, &waiter);
  ASSERT_TRUE(thread);
  ASSERT_TRUE(wait_until_sleeping(*thread));

  host_platform().interrupt(*thread);
  ASSERT_TRUE(join(waiter));
  EXPECT_EQ(waiter.result.load(), errno_value(Errno::eintr));
}

TEST(LinuxThreads, InterruptBeforeWaitEndsNextWait) {
  std::atomic<uint32_t> word{0};
  host_platform().interrupt(host_platform().current());

  Result<void> first = host_platform().wait(word, 0, 10s, FutexScope::process_private);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error(), Errno::eintr);
  // The interrupt is consumed: the next wait runs to its timeout.
  Result<void> second = host_platform().wait(word, 0, 1ms, FutexScope::process_private);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), Errno::etimedout);
}

TEST(LinuxThreads, InterruptWorksInForkedChild) {
  // A wait in the parent first, so the forking thread has a cached flag.
  std::atomic<uint32_t> word{0};
  (void)host_platform().wait(word, 0, 1ms, FutexScope::process_private);

  const ChildOutcome outcome = run_in_child([&] {
    host_platform().interrupt(host_platform().current());
    Result<void> waited = host_platform().wait(word, 0, 10s, FutexScope::process_private);
    _exit(waited ? 0 : errno_value(waited.error()));
  });
  ASSERT_TRUE(outcome.exited);
  EXPECT_EQ(outcome.exit_status, errno_value(Errno::eintr));
}

TEST(LinuxThreads, InterruptExitedThreadIsNoOp) {
  Waiter waiter;
  Result<platform::ThreadId> thread = host_platform().spawn(wait_on_word, &waiter);
  ASSERT_TRUE(thread);
  ASSERT_TRUE(wait_until_sleeping(*thread));
  waiter.word.store(1);
  host_platform().wake(waiter.word, 1, FutexScope::process_private);
  ASSERT_TRUE(join(waiter));
  for (int attempt = 0; attempt < 10'000 && thread_state(*thread) != '?'; ++attempt) {
    host_platform().yield();
  }
  ASSERT_EQ(thread_state(*thread), '?');

  host_platform().interrupt(*thread);
  EXPECT_EQ(waiter.result.load(), 0);
}

TEST(LinuxClock, MonotonicMatchesHost) {
  timespec before = {};
  clock_gettime(CLOCK_MONOTONIC, &before);
  const std::chrono::nanoseconds now = host_platform().monotonic_now();
  timespec after = {};
  clock_gettime(CLOCK_MONOTONIC, &after);

  EXPECT_GE(now, std::chrono::seconds(before.tv_sec) + std::chrono::nanoseconds(before.tv_nsec));
  EXPECT_LE(now, std::chrono::seconds(after.tv_sec) + std::chrono::nanoseconds(after.tv_nsec));
}

TEST(LinuxClock, RealtimeMatchesHost) {
  timespec before = {};
  clock_gettime(CLOCK_REALTIME, &before);
  const platform::Timespec now = host_platform().realtime_now();
  timespec after = {};
  clock_gettime(CLOCK_REALTIME, &after);

  EXPECT_GE(now, (platform::Timespec{before.tv_sec, before.tv_nsec}));
  EXPECT_LE(now, (platform::Timespec{after.tv_sec, after.tv_nsec}));
}

TEST(LinuxClock, ResolutionMatchesHost) {
  timespec resolution = {};
  clock_getres(CLOCK_MONOTONIC, &resolution);
  EXPECT_EQ(host_platform().resolution(), std::chrono::nanoseconds(resolution.tv_nsec));
}

TEST(LinuxPages, CommitGivesZeroedWritableMemory) {
  Result<void*> reserved = host_platform().reserve(nullptr, 4 * platform::page_size, false);
  ASSERT_TRUE(reserved);
  auto* bytes = static_cast<unsigned char*>(*reserved);

  ASSERT_TRUE(
      host_platform().commit(bytes, platform::page_size, platform::prot_read | platform::prot_write,
                             platform::Replace::reservation, platform::Accounting::charged));
  EXPECT_EQ(bytes[0], 0);
  bytes[0] = 7;
  EXPECT_EQ(bytes[0], 7);

  // The uncommitted rest faults, which the guest copy routine reports.
  std::byte target{};
  Result<void> copied = host_platform().execution().copy_from_guest(
      &target, reinterpret_cast<uint64_t>(bytes + platform::page_size), 1);
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error(), Errno::efault);

  EXPECT_TRUE(host_platform().release(bytes, 4 * platform::page_size));
}

TEST(LinuxPages, UnalignedCommitFails) {
  Result<void> committed =
      host_platform().commit(reinterpret_cast<void*>(0x1001), 100, platform::prot_read,
                             platform::Replace::reservation, platform::Accounting::charged);
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error(), Errno::einval);
}

TEST(LinuxPages, CommitReplacingNothingFillsFreeRange) {
  Result<void*> reserved = host_platform().reserve(nullptr, platform::page_size, false);
  ASSERT_TRUE(reserved);
  ASSERT_TRUE(host_platform().release(*reserved, platform::page_size));
  auto* bytes = static_cast<unsigned char*>(*reserved);

  ASSERT_TRUE(host_platform().commit(bytes, platform::page_size,
                                     platform::prot_read | platform::prot_write,
                                     platform::Replace::nothing, platform::Accounting::charged));
  bytes[0] = 7;

  EXPECT_EQ(bytes[0], 7);
  EXPECT_TRUE(host_platform().release(bytes, platform::page_size));
}

TEST(LinuxPages, CommitReplacingNothingKeepsMapping) {
  void* existing = mmap(nullptr, 2 * platform::page_size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(existing, MAP_FAILED);
  auto* bytes = static_cast<unsigned char*>(existing);
  bytes[platform::page_size] = 9;

  Result<void> committed =
      host_platform().commit(bytes + platform::page_size, platform::page_size, platform::prot_read,
                             platform::Replace::nothing, platform::Accounting::charged);

  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error(), Errno::eexist);
  EXPECT_EQ(bytes[platform::page_size], 9);
  bytes[platform::page_size] = 10;
  EXPECT_EQ(bytes[platform::page_size], 10);
  munmap(existing, 2 * platform::page_size);
}

TEST(LinuxPages, AliasSharesStores) {
  constexpr size_t length = 2 * platform::page_size;
  void* source = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(source, MAP_FAILED);
  Result<void*> reserved = host_platform().reserve(nullptr, length, false);
  ASSERT_TRUE(reserved);

  ASSERT_TRUE(
      host_platform().alias(*reserved, length, source, platform::prot_read | platform::prot_write));
  static_cast<char*>(source)[platform::page_size] = 's';
  static_cast<char*>(*reserved)[0] = 'a';

  EXPECT_EQ(static_cast<char*>(*reserved)[platform::page_size], 's');
  EXPECT_EQ(static_cast<char*>(source)[0], 'a');
  EXPECT_TRUE(host_platform().release(*reserved, length));
  munmap(source, length);
}

TEST(LinuxPages, AliasOfPrivateMemoryFails) {
  void* source = mmap(nullptr, platform::page_size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(source, MAP_FAILED);
  Result<void*> reserved = host_platform().reserve(nullptr, platform::page_size, false);
  ASSERT_TRUE(reserved);

  Result<void> aliased =
      host_platform().alias(*reserved, platform::page_size, source, platform::prot_read);

  ASSERT_FALSE(aliased);
  EXPECT_EQ(aliased.error(), Errno::einval);
  EXPECT_TRUE(host_platform().release(*reserved, platform::page_size));
  munmap(source, platform::page_size);
}

// Writes `length` bytes of a pattern to a new unlinked host file and maps it
// read-only as a file view. Returns the mapping, or nullptr.
const unsigned char* make_file_view(size_t length) {
  char path[] = "/tmp/litebox-file-view-XXXXXX";
  const int descriptor = mkstemp(path);
  if (descriptor < 0) {
    return nullptr;
  }
  unlink(path);
  std::string contents(length, '\0');
  for (size_t i = 0; i < length; ++i) {
    contents[i] = static_cast<char>('a' + i % 26);
  }
  if (write(descriptor, contents.data(), length) != static_cast<ssize_t>(length)) {
    close(descriptor);
    return nullptr;
  }
  void* mapping = mmap(nullptr, length, PROT_READ, MAP_PRIVATE, descriptor, 0);
  if (mapping == MAP_FAILED) {
    close(descriptor);
    return nullptr;
  }
  platform::linux_userland::keep_file_view(mapping, length, descriptor);
  return static_cast<const unsigned char*>(mapping);
}

TEST(LinuxPages, MapCopyOnWriteKeepsStoresPrivate) {
  constexpr size_t length = 3 * platform::page_size;
  const unsigned char* view = make_file_view(length);
  ASSERT_NE(view, nullptr);
  Result<void*> reserved = host_platform().reserve(nullptr, 2 * platform::page_size, false);
  ASSERT_TRUE(reserved);
  auto* guest = static_cast<unsigned char*>(*reserved);

  ASSERT_TRUE(host_platform().map_copy_on_write(
      guest, 2 * platform::page_size, view + platform::page_size,
      platform::prot_read | platform::prot_write, platform::Replace::reservation));
  EXPECT_EQ(std::memcmp(guest, view + platform::page_size, 2 * platform::page_size), 0);
  const unsigned char before = view[platform::page_size];
  guest[0] = static_cast<unsigned char>(before + 1);

  EXPECT_EQ(guest[0], before + 1);
  EXPECT_EQ(view[platform::page_size], before);
  EXPECT_TRUE(host_platform().release(guest, 2 * platform::page_size));
  close(platform::linux_userland::forget_file_view(view));
  munmap(const_cast<unsigned char*>(view), length);
}

TEST(LinuxPages, MapCopyOnWriteReplacingNothingKeepsMapping) {
  const unsigned char* view = make_file_view(platform::page_size);
  ASSERT_NE(view, nullptr);
  void* existing = mmap(nullptr, platform::page_size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(existing, MAP_FAILED);
  static_cast<unsigned char*>(existing)[0] = 9;

  Result<void> mapped = host_platform().map_copy_on_write(
      existing, platform::page_size, view, platform::prot_read, platform::Replace::nothing);

  ASSERT_FALSE(mapped);
  EXPECT_EQ(mapped.error(), Errno::eexist);
  EXPECT_EQ(static_cast<unsigned char*>(existing)[0], 9);
  munmap(existing, platform::page_size);
  close(platform::linux_userland::forget_file_view(view));
  munmap(const_cast<unsigned char*>(view), platform::page_size);
}

// Returns the resident size in KiB of the mapping that starts at `address`,
// from /proc/self/smaps, or -1 if there is no such mapping.
long resident_kib(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  char start[32];
  std::snprintf(start, sizeof start, "%lx-", reinterpret_cast<unsigned long>(address));
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    if (line.starts_with(start)) {
      inside = true;
    } else if (inside && line.starts_with("Rss:")) {
      return std::stol(line.substr(4));
    }
  }
  return -1;
}

TEST(LinuxPages, NoteFileReadUnmapsReadPages) {
  constexpr size_t length = size_t{1} << 20;
  const unsigned char* view = make_file_view(length);
  ASSERT_NE(view, nullptr);
  const volatile unsigned char* touched = view;
  for (size_t offset = 0; offset < length; offset += platform::page_size) {
    (void)touched[offset];
  }
  ASSERT_EQ(resident_kib(view), static_cast<long>(length / 1024));

  // Reports of a budget's worth of reads unmap what they covered.
  for (size_t reported = 0; reported < platform::linux_userland::file_view_read_budget;
       reported += length) {
    host_platform().note_file_read(view, length);
  }

  EXPECT_EQ(resident_kib(view), 0);
  // A later read maps the file's bytes again.
  EXPECT_EQ(view[0], 'a');
  EXPECT_EQ(view[length - 1], 'a' + (length - 1) % 26);
  close(platform::linux_userland::forget_file_view(view));
  munmap(const_cast<unsigned char*>(view), length);
}

TEST(LinuxPages, MapCopyOnWriteAnonymousIsEnodev) {
  void* source = mmap(nullptr, platform::page_size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(source, MAP_FAILED);
  Result<void*> reserved = host_platform().reserve(nullptr, platform::page_size, false);
  ASSERT_TRUE(reserved);

  Result<void> mapped = host_platform().map_copy_on_write(
      *reserved, platform::page_size, source, platform::prot_read, platform::Replace::reservation);

  ASSERT_FALSE(mapped);
  EXPECT_EQ(mapped.error(), Errno::enodev);
  EXPECT_TRUE(host_platform().release(*reserved, platform::page_size));
  munmap(source, platform::page_size);
}

TEST(LinuxPages, MapCopyOnWritePastViewIsEnodev) {
  const unsigned char* view = make_file_view(platform::page_size);
  ASSERT_NE(view, nullptr);
  Result<void*> reserved = host_platform().reserve(nullptr, 2 * platform::page_size, false);
  ASSERT_TRUE(reserved);

  Result<void> mapped =
      host_platform().map_copy_on_write(*reserved, 2 * platform::page_size, view,
                                        platform::prot_read, platform::Replace::reservation);

  ASSERT_FALSE(mapped);
  EXPECT_EQ(mapped.error(), Errno::enodev);
  EXPECT_TRUE(host_platform().release(*reserved, 2 * platform::page_size));
  close(platform::linux_userland::forget_file_view(view));
  munmap(const_cast<unsigned char*>(view), platform::page_size);
}

TEST(LinuxPages, AllocateSharedGivesZeroedMemory) {
  constexpr size_t length = 16 * platform::page_size;
  Result<void*> memory = host_platform().allocate_shared(length);
  ASSERT_TRUE(memory);

  EXPECT_EQ(static_cast<char*>(*memory)[0], 0);
  EXPECT_EQ(static_cast<char*>(*memory)[length - 1], 0);
  host_platform().free_shared(*memory, length);
}

TEST(LinuxStdio, IsattyMatchesHost) {
  EXPECT_EQ(host_platform().isatty(platform::StdioStream::input), ::isatty(0) == 1);
  EXPECT_EQ(host_platform().isatty(platform::StdioStream::output), ::isatty(1) == 1);
  EXPECT_EQ(host_platform().isatty(platform::StdioStream::error), ::isatty(2) == 1);
}

TEST(LinuxRandom, FillChangesBuffer) {
  std::array<std::byte, 64> first{};
  std::array<std::byte, 64> second{};
  host_platform().fill(first);
  host_platform().fill(second);
  EXPECT_NE(first, second);
}

TEST(LinuxPackets, SendFailsWithoutNetwork) {
  std::array<std::byte, 20> packet{};
  Result<void> sent = host_platform().send(packet);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error(), Errno::enetdown);
}

TEST(LinuxPunchthrough, UnknownRequestFails) {
  Result<uint64_t> result = host_platform().invoke("no-such-request", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), Errno::enosys);
}

}  // namespace
}  // namespace litebox::testing
