#include "mock_platform.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace litebox::platform::mock {

namespace {

// Mock thread ids are small integers handed out per thread; the thread that
// constructed the platform is 1. Zero means "not assigned yet".
thread_local ThreadId this_thread_id = 0;

int host_protection(uint32_t protection) {
  int result = PROT_NONE;
  if (protection & prot_read) {
    result |= PROT_READ;
  }
  if (protection & prot_write) {
    result |= PROT_WRITE;
  }
  if (protection & prot_exec) {
    result |= PROT_EXEC;
  }
  return result;
}

}  // namespace

MockPlatform::MockPlatform()
    : platform_{*this, *this, *this, *this, *this, *this, *this, *this, *this} {
  this_thread_id = 1;
}

MockPlatform::~MockPlatform() = default;

void MockPlatform::advance(std::chrono::nanoseconds duration) {
  std::lock_guard guard(lock_);
  now_ += duration;
  changed_.notify_all();
}

void MockPlatform::set_input(std::string input) {
  std::lock_guard guard(lock_);
  input_ = std::move(input);
  input_position_ = 0;
}

std::string MockPlatform::output() {
  std::lock_guard guard(lock_);
  return output_;
}

std::string MockPlatform::error_output() {
  std::lock_guard guard(lock_);
  return error_output_;
}

std::vector<std::string> MockPlatform::log_lines() {
  std::lock_guard guard(lock_);
  return log_lines_;
}

size_t MockPlatform::futex_waiters() {
  std::lock_guard guard(lock_);
  return waiters_.size();
}

bool MockPlatform::await_futex_waiters(size_t count, std::chrono::milliseconds bound) {
  std::unique_lock guard(lock_);
  return changed_.wait_for(guard, bound, [&] { return waiters_.size() >= count; });
}

Result<void> MockPlatform::wait(std::atomic<uint32_t>& word, uint32_t expected,
                                std::optional<std::chrono::nanoseconds> timeout, FutexScope) {
  std::unique_lock guard(lock_);
  ThreadId self = current();

  // Checking the word under lock_ makes check-and-sleep atomic with respect
  // to wake(), which also takes lock_: no wake-up can slip in between.
  if (word.load(std::memory_order_seq_cst) != expected) {
    return fail(Errno::eagain);
  }
  if (pending_interrupts_.erase(self) != 0) {
    return fail(Errno::eintr);
  }

  Waiter waiter{&word, self};
  waiters_.push_back(&waiter);
  changed_.notify_all();
  std::optional<std::chrono::nanoseconds> deadline;
  if (timeout) {
    deadline = now_ + *timeout;
  }

  Result<void> result;
  while (true) {
    if (waiter.woken) {
      break;
    }
    if (pending_interrupts_.erase(self) != 0) {
      result = fail(Errno::eintr);
      break;
    }
    if (deadline && now_ >= *deadline) {
      result = fail(Errno::etimedout);
      break;
    }
    changed_.wait(guard);
  }

  std::erase(waiters_, &waiter);
  return result;
}

uint32_t MockPlatform::wake(std::atomic<uint32_t>& word, uint32_t count, FutexScope) {
  std::lock_guard guard(lock_);
  uint32_t woken = 0;
  for (Waiter* waiter : waiters_) {
    if (woken == count) {
      break;
    }
    if (waiter->word == &word && !waiter->woken) {
      waiter->woken = true;
      ++woken;
    }
  }
  if (woken != 0) {
    changed_.notify_all();
  }
  return woken;
}

std::chrono::nanoseconds MockPlatform::monotonic_now() {
  std::lock_guard guard(lock_);
  return now_;
}

Timespec MockPlatform::realtime_now() {
  // The virtual wall clock starts at 2000-01-01T00:00:00Z.
  constexpr int64_t start_seconds = 946684800;
  std::lock_guard guard(lock_);
  int64_t total = now_.count();
  return Timespec{start_seconds + total / 1'000'000'000, total % 1'000'000'000};
}

Result<ThreadId> MockPlatform::spawn(Entry entry, void* argument) {
  ThreadId id = next_thread_id_.fetch_add(1);
  std::thread([entry, argument, id] {
    this_thread_id = id;
    entry(argument);
  }).detach();
  return id;
}

ThreadId MockPlatform::current() {
  // Threads that tests start with std::thread get their id here; giving them
  // all the same id would make interrupt() hit the wrong thread.
  if (this_thread_id == 0) {
    this_thread_id = next_thread_id_.fetch_add(1);
  }
  return this_thread_id;
}

void MockPlatform::interrupt(ThreadId thread) {
  std::lock_guard guard(lock_);
  pending_interrupts_.insert(thread);
  changed_.notify_all();
}

void MockPlatform::yield() { std::this_thread::yield(); }

Result<void*> MockPlatform::reserve(void* hint, size_t length, bool fixed) {
  if (length == 0 || length % page_size != 0) {
    return fail(Errno::einval);
  }
  int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
  if (fixed) {
    flags |= MAP_FIXED;
  }
  void* address = mmap(hint, length, PROT_NONE, flags, -1, 0);
  if (address == MAP_FAILED) {
    return fail(Errno::enomem);
  }
  return address;
}

Result<void> MockPlatform::commit(void* address, size_t length, uint32_t protection,
                                  Replace replace, Accounting accounting) {
  if (reinterpret_cast<uintptr_t>(address) % page_size != 0) {
    return fail(Errno::einval);
  }
  const int placement = replace == Replace::reservation ? MAP_FIXED : MAP_FIXED_NOREPLACE;
  const int no_reserve = accounting == Accounting::no_reserve ? MAP_NORESERVE : 0;
  void* result = mmap(address, length, host_protection(protection),
                      MAP_PRIVATE | MAP_ANONYMOUS | placement | no_reserve, -1, 0);
  if (result == MAP_FAILED) {
    return fail(errno == EEXIST ? Errno::eexist : Errno::enomem);
  }
  if (result != address) {
    // A kernel before 4.17 reads MAP_FIXED_NOREPLACE as a hint.
    munmap(result, length);
    return fail(Errno::eexist);
  }
  return {};
}

Result<void> MockPlatform::protect(void* address, size_t length, uint32_t protection) {
  if (mprotect(address, length, host_protection(protection)) != 0) {
    return fail(Errno::einval);
  }
  return {};
}

Result<void> MockPlatform::release(void* address, size_t length) {
  if (munmap(address, length) != 0) {
    return fail(Errno::einval);
  }
  return {};
}

Result<void*> MockPlatform::allocate_shared(size_t length) {
  if (length == 0 || length % page_size != 0) {
    return fail(Errno::einval);
  }
  void* memory = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    return fail(Errno::enomem);
  }
  return memory;
}

void MockPlatform::free_shared(void* memory, size_t length) { munmap(memory, length); }

Result<void> MockPlatform::alias(void* address, size_t length, void* source, uint32_t protection) {
  // Safety: only the numeric values of the addresses are tested.
  if (length == 0 || length % page_size != 0 ||
      reinterpret_cast<uintptr_t>(address) % page_size != 0 ||
      reinterpret_cast<uintptr_t>(source) % page_size != 0) {
    return fail(Errno::einval);
  }
  if (mremap(source, 0, length, MREMAP_MAYMOVE | MREMAP_FIXED, address) == MAP_FAILED) {
    return fail(Errno::einval);
  }
  if (mprotect(address, length, host_protection(protection)) != 0) {
    return fail(Errno::einval);
  }
  return {};
}

Result<size_t> MockPlatform::read(std::span<std::byte> buffer) {
  std::lock_guard guard(lock_);
  size_t count = std::min(buffer.size(), input_.size() - input_position_);
  std::copy_n(reinterpret_cast<const std::byte*>(input_.data()) + input_position_, count,
              buffer.begin());
  input_position_ += count;
  return count;
}

Result<size_t> MockPlatform::write(StdioStream stream, std::span<const std::byte> data) {
  std::lock_guard guard(lock_);
  std::string& target = stream == StdioStream::error ? error_output_ : output_;
  target.append(reinterpret_cast<const char*>(data.data()), data.size());
  return data.size();
}

void MockPlatform::fill(std::span<std::byte> buffer) {
  std::lock_guard guard(lock_);
  for (std::byte& byte : buffer) {
    random_state_ ^= random_state_ << 13;
    random_state_ ^= random_state_ >> 7;
    random_state_ ^= random_state_ << 17;
    byte = static_cast<std::byte>(random_state_ & 0xff);
  }
}

void MockPlatform::write(LogLevel, std::string_view line) {
  std::lock_guard guard(lock_);
  log_lines_.emplace_back(line);
}

}  // namespace litebox::platform::mock
