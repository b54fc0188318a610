#include "linux_userland_platform.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>

#include "file_views.hpp"
#include "raw_syscall.hpp"
#include "signal_handlers.hpp"
#include "thread_block.hpp"

namespace litebox::platform::linux_userland {

namespace {

Errno last_errno() { return static_cast<Errno>(errno); }

// Pending interrupts, one flag per host thread. Threads::interrupt sets the
// flag before it signals the thread, and an interruptible futex wait checks
// it right before its syscall instruction (see entry.S), so an interrupt
// that lands just before the wait is not lost.
//
// The lock is a host mutex because this is host platform state, not a kernel
// object shared between sandbox processes.
class InterruptRegistry {
 public:
  uint32_t* flag_of(ThreadId thread) {
    std::lock_guard guard(lock_);
    std::unique_ptr<uint32_t>& flag = flags_[thread];
    if (!flag) {
      flag = std::make_unique<uint32_t>(0);
    }
    return flag.get();
  }

  void remove(ThreadId thread) {
    std::lock_guard guard(lock_);
    flags_.erase(thread);
  }

 private:
  std::mutex lock_;
  std::unordered_map<ThreadId, std::unique_ptr<uint32_t>> flags_;
};

// Never destroyed: threads may still exit while static destructors run. A
// forked child gets a fresh registry (see reset_interrupts_after_fork).
InterruptRegistry* registry = new InterruptRegistry;

InterruptRegistry& interrupt_registry() { return *registry; }

// The calling thread's interrupt flag, registered on first use and removed
// when the thread exits.
class ThreadInterruptFlag {
 public:
  uint32_t* get() {
    if (flag_ == nullptr) {
      thread_ = static_cast<ThreadId>(gettid());
      flag_ = interrupt_registry().flag_of(thread_);
    }
    return flag_;
  }

  // Drops the flag without unregistering it, for a forked child whose
  // thread id and registry are new.
  void forget() {
    thread_ = 0;
    flag_ = nullptr;
  }

  ~ThreadInterruptFlag() {
    if (flag_ != nullptr) {
      interrupt_registry().remove(thread_);
    }
  }

 private:
  ThreadId thread_ = 0;
  uint32_t* flag_ = nullptr;
};

thread_local ThreadInterruptFlag current_interrupt_flag;

// Runs in the child of a host fork, on the forking thread. The old registry
// is left alone (leaked) because a thread that does not exist in the child
// may have held its lock, and the cached flag belongs to the parent's tid.
void reset_interrupts_after_fork() {
  registry = new InterruptRegistry;
  current_interrupt_flag.forget();
}

timespec to_timespec(std::chrono::nanoseconds duration) {
  if (duration.count() < 0) {
    duration = std::chrono::nanoseconds(0);
  }
  timespec result = {};
  result.tv_sec = static_cast<time_t>(duration.count() / 1'000'000'000);
  result.tv_nsec = static_cast<long>(duration.count() % 1'000'000'000);
  return result;
}

// Shared blocks of at least this size are zeroed with MADV_REMOVE.
constexpr size_t large_shared_block = 64 * 1024;

bool is_page_aligned(const void* address, size_t length) {
  // Safety: only the numeric value of the address is tested.
  return reinterpret_cast<uintptr_t>(address) % page_size == 0 && length % page_size == 0;
}

// Maps at exactly `address` with MAP_FIXED, or with MAP_FIXED_NOREPLACE when
// `replace` allows replacing nothing. Returns MAP_FAILED with errno set on
// failure: EEXIST when the range is not free.
void* map_at(void* address, size_t length, int protection, int flags, int descriptor, off_t offset,
             Replace replace) {
  const int placement = replace == Replace::reservation ? MAP_FIXED : MAP_FIXED_NOREPLACE;
  void* mapped = mmap(address, length, protection, flags | placement, descriptor, offset);
  if (mapped != MAP_FAILED && mapped != address) {
    // A kernel before 4.17 reads MAP_FIXED_NOREPLACE as a hint and may put
    // the pages elsewhere when the range is taken.
    munmap(mapped, length);
    errno = EEXIST;
    return MAP_FAILED;
  }
  return mapped;
}

struct ThreadStart {
  Threads::Entry entry;
  void* argument;
  // 0 until the new thread reports its tid.
  std::atomic<uint32_t> thread_id{0};
};

void* run_thread(void* argument) {
  auto* start = static_cast<ThreadStart*>(argument);
  const Threads::Entry entry = start->entry;
  void* entry_argument = start->argument;
  // SIGCHLD and the relayed signals must reach a guest thread, which
  // reaps the child or passes the signal to the guest.
  sigset_t guest_signals;
  sigemptyset(&guest_signals);
  sigaddset(&guest_signals, SIGCHLD);
  for (int signal : relayed_signals) {
    sigaddset(&guest_signals, signal);
  }
  pthread_sigmask(SIG_BLOCK, &guest_signals, nullptr);
  // After this store the spawning thread may free `start`.
  start->thread_id.store(static_cast<uint32_t>(gettid()));
  syscall(SYS_futex, &start->thread_id, FUTEX_WAKE_PRIVATE, 1);
  entry(entry_argument);
  return nullptr;
}

[[noreturn]] void fail_start(const char* what, Errno error) {
  std::string message = std::string("platform start-up failed: ") + what + ": ";
  message += errno_name(error);
  write_diagnostic(message.c_str());
  _exit(127);
}

}  // namespace

LinuxUserlandPlatform::LinuxUserlandPlatform()
    : platform_{*this, *this, *this, *this, *this, *this, *this, *this, *this}, execution_(*this) {
  // A write to a closed pipe returns EPIPE instead of killing the sandbox.
  signal(SIGPIPE, SIG_IGN);

  signal_state.interrupt_signal = SIGRTMIN;
  signal_state.lifeline_signal = SIGRTMIN + 1;
  pthread_atfork(nullptr, nullptr, reset_interrupts_after_fork);
  if (Result<void> initialized = execution_.initialize(); !initialized) {
    fail_start("thread blocks", initialized.error());
  }
  if (int result = install_signal_handlers(); result < 0) {
    fail_start("signal handlers", static_cast<Errno>(-result));
  }
  read_stream_paths();
}

int LinuxUserlandPlatform::interrupt_signal() const { return signal_state.interrupt_signal; }

Result<void> LinuxUserlandPlatform::wait(std::atomic<uint32_t>& word, uint32_t expected,
                                         std::optional<std::chrono::nanoseconds> timeout,
                                         FutexScope scope) {
  // A guest thread waits on its thread block's flag, which the interrupt
  // handler sets for interrupts from any process. Other threads wait on the
  // flag that interrupt() sets.
  ThreadBlock* block = current_thread_block();
  uint32_t* pending = block != nullptr ? &block->interrupt_pending : current_interrupt_flag.get();
  timespec relative = {};
  if (timeout) {
    relative = to_timespec(*timeout);
  }
  const int operation =
      FUTEX_WAIT | (scope == FutexScope::process_private ? FUTEX_PRIVATE_FLAG : 0);

  // Safety: std::atomic<uint32_t> has the size and representation of
  // uint32_t, which is what the kernel reads.
  const int64_t result =
      litebox_interruptible_futex_wait(reinterpret_cast<uint32_t*>(&word), operation, expected,
                                       timeout ? &relative : nullptr, pending);
  switch (result) {
    case 0:
      return {};
    case -EINTR:
      // Another signal may interrupt the wait too; that is a spurious wake.
      if (__atomic_exchange_n(pending, 0, __ATOMIC_ACQ_REL) != 0) {
        return fail(Errno::eintr);
      }
      return {};
    case -EAGAIN:
      return fail(Errno::eagain);
    case -ETIMEDOUT:
      return fail(Errno::etimedout);
    default:
      return fail(static_cast<Errno>(-result));
  }
}

uint32_t LinuxUserlandPlatform::wake(std::atomic<uint32_t>& word, uint32_t count,
                                     FutexScope scope) {
  const int operation =
      FUTEX_WAKE | (scope == FutexScope::process_private ? FUTEX_PRIVATE_FLAG : 0);
  const auto limit = static_cast<int>(std::min<uint32_t>(count, INT_MAX));
  const long woken = syscall(SYS_futex, &word, operation, limit, nullptr, nullptr, 0);
  return woken < 0 ? 0 : static_cast<uint32_t>(woken);
}

std::chrono::nanoseconds LinuxUserlandPlatform::monotonic_now() {
  timespec now = {};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

Timespec LinuxUserlandPlatform::realtime_now() {
  timespec now = {};
  clock_gettime(CLOCK_REALTIME, &now);
  return Timespec{now.tv_sec, now.tv_nsec};
}

std::chrono::nanoseconds LinuxUserlandPlatform::resolution() {
  timespec resolution = {};
  clock_getres(CLOCK_MONOTONIC, &resolution);
  return std::chrono::seconds(resolution.tv_sec) + std::chrono::nanoseconds(resolution.tv_nsec);
}

std::chrono::nanoseconds LinuxUserlandPlatform::cpu_time(UsageScope scope) {
  timespec now = {};
  clock_gettime(scope == UsageScope::thread ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID,
                &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

ResourceUsage LinuxUserlandPlatform::resource_usage(UsageScope scope) {
  rusage host = {};
  if (getrusage(scope == UsageScope::thread ? RUSAGE_THREAD : RUSAGE_SELF, &host) != 0) {
    return {};
  }
  return usage_from_host(host);
}

Result<ThreadId> LinuxUserlandPlatform::spawn(Entry entry, void* argument) {
  ThreadStart start{entry, argument};
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  const int result = pthread_create(&thread, &attributes, run_thread, &start);
  pthread_attr_destroy(&attributes);
  if (result != 0) {
    return fail(Errno::eagain);
  }
  while (start.thread_id.load() == 0) {
    syscall(SYS_futex, &start.thread_id, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
  }
  return static_cast<ThreadId>(start.thread_id.load());
}

ThreadId LinuxUserlandPlatform::current() { return static_cast<ThreadId>(gettid()); }

void LinuxUserlandPlatform::interrupt(ThreadId thread) {
  uint32_t* pending = interrupt_registry().flag_of(thread);
  __atomic_store_n(pending, 1, __ATOMIC_RELEASE);
  if (syscall(SYS_tgkill, getpid(), static_cast<pid_t>(thread), signal_state.interrupt_signal) !=
          0 &&
      errno == ESRCH) {
    interrupt_registry().remove(thread);
  }
}

ProcessId LinuxUserlandPlatform::current_process() { return static_cast<ProcessId>(getpid()); }

void LinuxUserlandPlatform::interrupt(ProcessId process, ThreadId thread) {
  if (process == current_process()) {
    interrupt(thread);
    return;
  }
  // The flag of a thread in another process is out of reach; the interrupt
  // handler there sets the thread block's own flag instead.
  syscall(SYS_tgkill, static_cast<pid_t>(process), static_cast<pid_t>(thread),
          signal_state.interrupt_signal);
}

void LinuxUserlandPlatform::yield() { sched_yield(); }

Result<void*> LinuxUserlandPlatform::reserve(void* hint, size_t length, bool fixed) {
  if (length == 0 || !is_page_aligned(hint, length)) {
    return fail(Errno::einval);
  }
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (fixed ? MAP_FIXED : 0);
  void* address = mmap(hint, length, PROT_NONE, flags, -1, 0);
  if (address == MAP_FAILED) {
    return fail(Errno::enomem);
  }
  return address;
}

Result<void> LinuxUserlandPlatform::commit(void* address, size_t length, uint32_t protection,
                                           Replace replace, Accounting accounting) {
  if (length == 0 || !is_page_aligned(address, length)) {
    return fail(Errno::einval);
  }
  const int no_reserve = accounting == Accounting::no_reserve ? MAP_NORESERVE : 0;
  if (map_at(address, length, static_cast<int>(protection),
             MAP_PRIVATE | MAP_ANONYMOUS | no_reserve, -1, 0, replace) == MAP_FAILED) {
    return fail(last_errno());
  }
  return {};
}

Result<void> LinuxUserlandPlatform::protect(void* address, size_t length, uint32_t protection) {
  if (!is_page_aligned(address, length)) {
    return fail(Errno::einval);
  }
  if (mprotect(address, length, static_cast<int>(protection)) != 0) {
    return fail(last_errno());
  }
  return {};
}

Result<bool> LinuxUserlandPlatform::exchange_code(void* address,
                                                  const std::array<std::byte, 16>& expected,
                                                  const std::array<std::byte, 16>& replacement) {
  if ((reinterpret_cast<uintptr_t>(address) & 15) != 0) {
    return fail(Errno::einval);
  }
  if (!cpu_has_cmpxchg16b()) {
    return fail(Errno::enosys);
  }
  uint64_t expected_low = 0;
  uint64_t expected_high = 0;
  uint64_t replacement_low = 0;
  uint64_t replacement_high = 0;
  std::memcpy(&expected_low, expected.data(), 8);
  std::memcpy(&expected_high, expected.data() + 8, 8);
  std::memcpy(&replacement_low, replacement.data(), 8);
  std::memcpy(&replacement_high, replacement.data() + 8, 8);

  // __extension__ keeps -Wpedantic quiet about the GNU type.
  __extension__ using Uint128 = unsigned __int128;
  bool exchanged = false;
  // Safety: the caller passes 16 committed, writable, aligned bytes.
  asm volatile("lock cmpxchg16b %1"
               : "=@ccz"(exchanged), "+m"(*static_cast<Uint128*>(address)), "+a"(expected_low),
                 "+d"(expected_high)
               : "b"(replacement_low), "c"(replacement_high)
               : "memory");
  return exchanged;
}

Result<void> LinuxUserlandPlatform::release(void* address, size_t length) {
  if (!is_page_aligned(address, length)) {
    return fail(Errno::einval);
  }
  if (munmap(address, length) != 0) {
    return fail(last_errno());
  }
  return {};
}

Result<void*> LinuxUserlandPlatform::allocate_shared(size_t length) {
  if (length == 0 || length % page_size != 0) {
    return fail(Errno::einval);
  }
  // NOTE: the memory comes from the global operator new, which in the
  // litebox executable allocates from the kernel heap: one MAP_SHARED arena
  // mapped before the first guest process starts (src/cli/kernel_heap.cpp).
  // Elsewhere the memory is private and `alias` rejects it.
  void* memory = ::operator new (length, std::align_val_t{page_size}, std::nothrow);
  if (memory == nullptr) {
    return fail(Errno::enomem);
  }
  // A reused block may hold old data. Large blocks are zeroed by dropping
  // their pages from the shared memory object, which also frees them until
  // first use. MADV_REMOVE fails on private memory, and memset zeroes it then.
  if (length < large_shared_block || madvise(memory, length, MADV_REMOVE) != 0) {
    std::memset(memory, 0, length);
  }
  return memory;
}

void LinuxUserlandPlatform::free_shared(void* memory, size_t) {
  ::operator delete (memory, std::align_val_t{page_size});
}

Result<void> LinuxUserlandPlatform::alias(void* address, size_t length, void* source,
                                          uint32_t protection) {
  if (length == 0 || !is_page_aligned(address, length) || !is_page_aligned(source, 0)) {
    return fail(Errno::einval);
  }
  // An old size of 0 makes mremap create a second mapping of the same pages
  // of a shared mapping, replacing the reservation at `address`.
  void* mapped = mremap(source, 0, length, MREMAP_MAYMOVE | MREMAP_FIXED, address);
  if (mapped == MAP_FAILED) {
    return fail(last_errno());
  }
  if (mprotect(address, length, static_cast<int>(protection)) != 0) {
    const Errno error = last_errno();
    (void)mmap(address, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
               -1, 0);
    return fail(error);
  }
  return {};
}

Result<void> LinuxUserlandPlatform::map_copy_on_write(void* address, size_t length,
                                                      const void* source, uint32_t protection,
                                                      Replace replace) {
  if (length == 0 || !is_page_aligned(address, length) || !is_page_aligned(source, 0)) {
    return fail(Errno::einval);
  }
  std::optional<FileRange> file = find_file_view(source, length);
  if (!file) {
    return fail(Errno::enodev);
  }
  if (map_at(address, length, static_cast<int>(protection), MAP_PRIVATE, file->descriptor,
             static_cast<off_t>(file->offset), replace) != MAP_FAILED) {
    return {};
  }
  if (errno == EEXIST) {
    return fail(Errno::eexist);
  }
  // The host rejects some file mappings that a copy still serves, such as
  // PROT_EXEC from a file on a noexec mount. A failed MAP_FIXED may have
  // dropped the old mapping, so the reservation is made again for the copy.
  if (replace == Replace::reservation) {
    TRY(reserve(address, length, true));
  }
  return fail(Errno::enodev);
}

Result<void> LinuxUserlandPlatform::map_stream(void* address, size_t length, StdioStream stream,
                                               uint64_t offset, uint32_t protection, bool shared,
                                               Replace replace) {
  if (length == 0 || !is_page_aligned(address, length)) {
    return fail(Errno::einval);
  }
  if (map_at(address, length, static_cast<int>(protection), shared ? MAP_SHARED : MAP_PRIVATE,
             stream_descriptor(stream), static_cast<off_t>(offset), replace) != MAP_FAILED) {
    return {};
  }
  const Errno error = last_errno();
  // A failed MAP_FIXED may have dropped the reservation, which the caller
  // still owns.
  if (replace == Replace::reservation) {
    TRY(reserve(address, length, true));
  }
  return fail(error);
}

Result<void> LinuxUserlandPlatform::move_mapping(void* source, size_t source_length, void* address,
                                                 size_t length) {
  if (!is_page_aligned(source, source_length) || !is_page_aligned(address, length)) {
    return fail(Errno::einval);
  }
  void* moved = mremap(source, source_length, length, MREMAP_MAYMOVE | MREMAP_FIXED, address);
  if (moved == MAP_FAILED) {
    return fail(last_errno());
  }
  return {};
}

void LinuxUserlandPlatform::note_file_read(const void* source, size_t length) {
  note_file_view_read(source, length);
}

void LinuxUserlandPlatform::fill(std::span<std::byte> buffer) {
  size_t filled = 0;
  while (filled < buffer.size()) {
    const ssize_t count = getrandom(buffer.data() + filled, buffer.size() - filled, 0);
    if (count > 0) {
      filled += static_cast<size_t>(count);
    }
  }
}

void LinuxUserlandPlatform::write(LogLevel level, std::string_view line) {
  if (level < minimum_log_level_.load(std::memory_order_relaxed)) {
    return;
  }
  static constexpr const char* level_names[] = {"trace", "debug", "info", "warning", "error"};
  std::string message = "litebox [";
  message += level_names[static_cast<int>(level)];
  message += "] ";
  message += line;
  message += '\n';
  // One write(2) keeps lines from different threads whole.
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, message.data(), message.size());
}

Result<void> LinuxUserlandPlatform::send(std::span<const std::byte>) {
  // TODO: send packets through a TUN device when the user connects one.
  return fail(Errno::enetdown);
}

Result<size_t> LinuxUserlandPlatform::receive(std::span<std::byte>,
                                              std::optional<std::chrono::nanoseconds>) {
  // TODO: receive packets from a TUN device when the user connects one.
  return fail(Errno::enetdown);
}

Result<uint64_t> LinuxUserlandPlatform::invoke(std::string_view, std::span<const uint64_t>) {
  return fail(Errno::enosys);
}

}  // namespace litebox::platform::linux_userland
