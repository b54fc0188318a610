#include "litebox/ipc/pipe.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>

#include "litebox/fs/file_system.hpp"

namespace litebox::ipc {

namespace {

constexpr size_t page_size = 4096;

// Readers wait for data or for the last writer to go; writers for space or
// for the last reader to go. Observers hear about both.
constexpr uint32_t readable_events = event::pollin | event::pollrdnorm | event::pollhup;
constexpr uint32_t writable_events = event::pollout | event::pollwrnorm | event::pollerr;

// Both are set during static initialization, so before any guest fork, and
// the counter is on the heap that forked guest processes share: pipe inode
// numbers stay unique and st_dev the same across the whole sandbox.
auto& next_pipe_identity_value = *new std::atomic<uint64_t>{1};
// The st_dev of anonymous pipes, one pseudo file system for all of them.
const uint64_t pipe_device_number = fs::allocate_device_number();

uint64_t next_pipe_identity() {
  return next_pipe_identity_value.fetch_add(1, std::memory_order_relaxed);
}

uint64_t pipe_device() { return pipe_device_number; }

// The number of page-sized slots for a capacity of `size` bytes: a power of
// two, at least one, as Linux's round_pipe_size() computes it.
size_t slot_count_for(size_t size) {
  return std::bit_ceil(std::max<size_t>(1, (size + page_size - 1) / page_size));
}

}  // namespace

Pipe::Pipe(size_t capacity)
    : identity_(next_pipe_identity()),
      pages_(slot_count_for(capacity) * page_size),
      slots_(slot_count_for(capacity)) {}

size_t Pipe::capacity() {
  sync::LockGuard guard(lock_);
  return slots_.size() * page_size;
}

Result<size_t> Pipe::set_capacity(size_t size, bool privileged) {
  if (size > (size_t{1} << 31)) {
    return fail(Errno::einval);
  }
  size_t slot_count = slot_count_for(size);

  {
    sync::LockGuard guard(lock_);
    if (!privileged && slot_count > slots_.size() && slot_count * page_size > max_pipe_capacity) {
      return fail(Errno::eperm);
    }
    if (used_slots_ > slot_count) {
      return fail(Errno::ebusy);
    }

    // Move the used slots, in order, to the front of the new ring.
    std::vector<std::byte> pages(slot_count * page_size);
    std::vector<Slot> slots(slot_count);
    for (size_t i = 0; i < used_slots_; ++i) {
      size_t old_index = (first_slot_ + i) % slots_.size();
      std::memcpy(pages.data() + i * page_size, pages_.data() + old_index * page_size, page_size);
      slots[i] = slots_[old_index];
    }
    pages_ = std::move(pages);
    slots_ = std::move(slots);
    first_slot_ = 0;
  }

  announce_space();
  return slot_count * page_size;
}

size_t Pipe::bytes_available() {
  sync::LockGuard guard(lock_);
  return size_;
}

// Appends the first (size % 4096) bytes of `data` to the last used slot if
// the pipe is not empty and they fit there, as Linux merges small writes.
// Returns the bytes taken.
size_t Pipe::merge_locked(std::span<const std::byte> data) {
  size_t part = data.size() % page_size;
  if (part == 0 || used_slots_ == 0) {
    return 0;
  }

  size_t last = (first_slot_ + used_slots_ - 1) % slots_.size();
  Slot& slot = slots_[last];
  if (!slot.mergeable || slot.offset + slot.length + part > page_size) {
    return 0;
  }
  std::memcpy(pages_.data() + last * page_size + slot.offset + slot.length, data.data(), part);
  slot.length += part;
  size_ += part;
  return part;
}

// Puts up to one page of `data` into the next free slot; the caller checked
// that one is free. Returns the bytes taken.
size_t Pipe::fill_slot_locked(std::span<const std::byte> data) {
  size_t index = (first_slot_ + used_slots_) % slots_.size();
  size_t part = std::min(data.size(), page_size);
  std::memcpy(pages_.data() + index * page_size, data.data(), part);
  slots_[index] = Slot{0, part};
  ++used_slots_;
  size_ += part;
  return part;
}

// Copies unread bytes into `buffer` from the oldest slot on, freeing each
// slot it empties. Returns the bytes copied.
size_t Pipe::drain_locked(std::span<std::byte> buffer) {
  size_t copied = 0;
  while (copied < buffer.size() && used_slots_ != 0) {
    const Slot& slot = slots_[first_slot_];
    size_t part = std::min(slot.length, buffer.size() - copied);
    std::memcpy(buffer.data() + copied, pages_.data() + first_slot_ * page_size + slot.offset,
                part);
    consume_locked(part);
    copied += part;
  }
  return copied;
}

void Pipe::consume_locked(size_t count) {
  while (count != 0 && used_slots_ != 0) {
    Slot& slot = slots_[first_slot_];
    const size_t part = std::min(slot.length, count);
    slot.offset += part;
    slot.length -= part;
    size_ -= part;
    count -= part;

    if (slot.length == 0) {
      slot = Slot{};
      first_slot_ = (first_slot_ + 1) % slots_.size();
      --used_slots_;
    }
  }
}

void Pipe::announce_data() {
  data_or_no_writers_.wake_all();
  pollable_.notify(readable_events);
}

void Pipe::announce_space() {
  space_or_no_readers_.wake_all();
  pollable_.notify(writable_events);
}

Pipe::PeerCounts Pipe::attach(bool reader, bool writer) {
  PeerCounts counts;
  {
    sync::LockGuard guard(lock_);
    if (reader) {
      ++readers_;
      ++reader_opens_;
    }
    if (writer) {
      ++writers_;
      ++writer_opens_;
    }
    counts = {.readers = {readers_, reader_opens_}, .writers = {writers_, writer_opens_}};
  }
  peer_opened_.wake_all();
  pollable_.notify(readable_events | writable_events);
  return counts;
}

void Pipe::detach(bool reader, bool writer) {
  {
    sync::LockGuard guard(lock_);
    if (reader) {
      --readers_;
    }
    if (writer) {
      --writers_;
    }
    // Like Linux, a pipe that loses its last end drops its contents, so a
    // fifo opened again later starts empty.
    if (readers_ == 0 && writers_ == 0) {
      std::fill(slots_.begin(), slots_.end(), Slot{});
      first_slot_ = 0;
      used_slots_ = 0;
      size_ = 0;
    }
  }
  announce_data();
  announce_space();
}

Result<void> Pipe::wait_for_writer(uint64_t seen_opens) {
  sync::LockGuard guard(lock_);
  return peer_opened_.wait(lock_, [&] { return writer_opens_ != seen_opens; });
}

Result<void> Pipe::wait_for_reader(uint64_t seen_opens) {
  sync::LockGuard guard(lock_);
  return peer_opened_.wait(lock_, [&] { return reader_opens_ != seen_opens; });
}

Pipe::PeerCount Pipe::readers() {
  sync::LockGuard guard(lock_);
  return PeerCount{readers_, reader_opens_};
}

Result<size_t> Pipe::read(std::span<std::byte> buffer, bool non_blocking) {
  if (buffer.empty()) {
    return size_t{0};
  }

  size_t count = 0;
  {
    sync::LockGuard guard(lock_);
    if (size_ == 0 && writers_ != 0 && non_blocking) {
      return fail(Errno::eagain);
    }
    TRY_VOID(data_or_no_writers_.wait(lock_, [&] { return size_ != 0 || writers_ == 0; }));

    // With nothing buffered here, the last writer has gone: end of file.
    count = drain_locked(buffer);
  }

  if (count != 0) {
    announce_space();
  }
  return count;
}

// A write of at most PIPE_BUF bytes either merges into the last slot or
// fills one free slot, so it is never split. A larger write moves what fits
// and goes on as readers drain the pipe. It stops when everything is
// written, the last reader goes or a wait ends early, and then reports the
// bytes already written in place of the error.
Result<size_t> Pipe::write(std::span<const std::byte> data, bool non_blocking) {
  // A zero-length write succeeds even without a reader, as on Linux.
  if (data.empty()) {
    return size_t{0};
  }

  size_t written = 0;
  bool first_step = true;
  while (written < data.size()) {
    Result<size_t> moved = fail(Errno::eio);
    {
      sync::LockGuard guard(lock_);
      moved = write_step_locked(data.subspan(written), first_step, non_blocking);
    }
    first_step = false;

    if (!moved) {
      // NOTE: Linux also raises SIGPIPE when the last reader goes after
      // part of the data went through; the caller sees only the count.
      if (written != 0) {
        return written;
      }
      return fail(moved.error());
    }
    if (*moved != 0) {
      written += *moved;
      announce_data();
    }
  }
  return written;
}

Result<size_t> Pipe::write_step_locked(std::span<const std::byte> rest, bool first_step,
                                       bool non_blocking) {
  if (readers_ == 0) {
    return fail(Errno::epipe);
  }

  size_t moved = 0;
  if (first_step) {
    moved += merge_locked(rest);
  }
  while (moved < rest.size() && !full_locked()) {
    moved += fill_slot_locked(rest.subspan(moved));
  }
  if (moved != 0) {
    return moved;
  }

  if (non_blocking) {
    return fail(Errno::eagain);
  }
  TRY_VOID(space_or_no_readers_.wait(lock_, [&] { return !full_locked() || readers_ == 0; }));
  return size_t{0};
}

Result<void> Pipe::wait_for_data_locked(bool non_blocking) {
  if (size_ == 0 && writers_ != 0 && non_blocking) {
    return fail(Errno::eagain);
  }
  return data_or_no_writers_.wait(lock_, [&] { return size_ != 0 || writers_ == 0; });
}

Result<void> Pipe::wait_for_room_locked(bool non_blocking) {
  while (true) {
    if (readers_ == 0) {
      return fail(Errno::epipe);
    }
    if (!full_locked()) {
      return {};
    }
    if (non_blocking) {
      return fail(Errno::eagain);
    }
    TRY_VOID(space_or_no_readers_.wait(lock_, [&] { return !full_locked() || readers_ == 0; }));
  }
}

uint32_t Pipe::poll_events(uint32_t access, uint64_t writer_opens_seen) {
  sync::LockGuard guard(lock_);
  uint32_t events = 0;

  if (fd::readable(access)) {
    if (size_ != 0) {
      events |= event::pollin | event::pollrdnorm;
    }
    if (writers_ == 0 && writer_opens_ != writer_opens_seen) {
      events |= event::pollhup;
    }
  }

  // Linux reports POLLOUT while a slot is free.
  if (fd::writable(access)) {
    if (!full_locked()) {
      events |= event::pollout | event::pollwrnorm;
    }
    if (readers_ == 0) {
      events |= event::pollerr;
    }
  }
  return events;
}

PipeEnd::PipeEnd(std::shared_ptr<Pipe> pipe, uint32_t flags, std::shared_ptr<fs::Inode> inode)
    : File(flags), pipe_(std::move(pipe)), inode_(std::move(inode)) {
  peers_at_attach_ = pipe_->attach(is_reader(), is_writer());
}

PipeEnd::~PipeEnd() { pipe_->detach(is_reader(), is_writer()); }

Result<size_t> PipeEnd::read(std::span<std::byte> buffer) {
  return read_waiting(buffer, is_non_blocking());
}

Result<size_t> PipeEnd::write(std::span<const std::byte> data) {
  return write_waiting(data, is_non_blocking());
}

Result<size_t> PipeEnd::read_waiting(std::span<std::byte> buffer, bool non_blocking) {
  if (!is_reader()) {
    return fail(Errno::ebadf);
  }
  return pipe_->read(buffer, non_blocking);
}

Result<size_t> PipeEnd::write_waiting(std::span<const std::byte> data, bool non_blocking) {
  if (!is_writer()) {
    return fail(Errno::ebadf);
  }
  return pipe_->write(data, non_blocking);
}

Result<size_t> PipeEnd::fill_slots(const SlotFiller& fill, bool non_blocking) {
  if (!is_writer()) {
    return fail(Errno::ebadf);
  }
  Pipe& pipe = *pipe_;
  size_t added = 0;
  {
    sync::LockGuard guard(pipe.lock_);
    TRY_VOID(pipe.wait_for_room_locked(non_blocking));
    while (!pipe.full_locked()) {
      const size_t index = (pipe.first_slot_ + pipe.used_slots_) % pipe.slots_.size();
      const size_t part = fill(std::span(pipe.pages_).subspan(index * page_size, page_size));
      if (part == 0) {
        break;
      }
      pipe.slots_[index] = Pipe::Slot{.offset = 0, .length = part, .mergeable = false};
      ++pipe.used_slots_;
      pipe.size_ += part;
      added += part;
    }
  }
  if (added != 0) {
    pipe.announce_data();
  }
  return added;
}

Result<size_t> PipeEnd::take_slots(const SlotTaker& take, size_t length, bool non_blocking) {
  if (!is_reader()) {
    return fail(Errno::ebadf);
  }
  Pipe& pipe = *pipe_;
  size_t taken = 0;
  {
    sync::LockGuard guard(pipe.lock_);
    TRY_VOID(pipe.wait_for_data_locked(non_blocking));
    while (taken < length && pipe.used_slots_ != 0) {
      const Pipe::Slot& slot = pipe.slots_[pipe.first_slot_];
      const size_t offered = std::min(slot.length, length - taken);
      const size_t accepted =
          take(std::span<const std::byte>(pipe.pages_)
                   .subspan(pipe.first_slot_ * page_size + slot.offset, offered));
      pipe.consume_locked(accepted);
      taken += accepted;
      if (accepted != offered) {
        break;
      }
    }
  }
  if (taken != 0) {
    pipe.announce_space();
  }
  return taken;
}

Result<fs::Stat> PipeEnd::stat() {
  if (inode_) {
    return inode_->stat();
  }

  fs::Stat status;
  status.device = pipe_device();
  status.inode = pipe_->identity_;
  status.uid = pipe_->owner_uid_;
  status.gid = pipe_->owner_gid_;
  status.mode = fs::mode_of(fs::FileType::fifo, 0600);
  status.link_count = 1;
  status.block_size = static_cast<int64_t>(page_size);
  return status;
}

uint32_t PipeEnd::poll_events() {
  return pipe_->poll_events(flags() & fd::open_access_mask, writer_opens_seen_);
}

Result<size_t> PipeEnd::bytes_available() { return pipe_->bytes_available(); }

Result<std::shared_ptr<fd::File>> PipeEnd::reopen(uint32_t flags) {
  // Close-on-exec belongs to the descriptor, not to the description.
  return std::make_shared<PipeEnd>(pipe_, flags & ~uint32_t{fd::open_close_on_exec}, inode_);
}

// The copy step of tee(2): each buffered slot of `source`, cut to the
// `length` left, goes to one free slot of `target` while one is free.
Result<size_t> Pipe::copy_slots(Pipe& source, Pipe& target, size_t length) {
  // Two pipe locks at once are taken in address order.
  const bool source_first = std::less<Pipe*>{}(&source, &target);
  sync::LockGuard first_guard(source_first ? source.lock_ : target.lock_);
  sync::LockGuard second_guard(source_first ? target.lock_ : source.lock_);
  if (target.readers_ == 0) {
    return fail(Errno::epipe);
  }
  size_t copied = 0;
  for (size_t index = 0; index < source.used_slots_ && copied < length && !target.full_locked();
       ++index) {
    const size_t from = (source.first_slot_ + index) % source.slots_.size();
    const Slot& slot = source.slots_[from];
    const size_t part = std::min(slot.length, length - copied);
    const size_t to = (target.first_slot_ + target.used_slots_) % target.slots_.size();
    std::memcpy(target.pages_.data() + to * page_size,
                source.pages_.data() + from * page_size + slot.offset, part);
    target.slots_[to] = Slot{.offset = 0, .length = part, .mergeable = false};
    ++target.used_slots_;
    target.size_ += part;
    copied += part;
  }
  return copied;
}

Result<size_t> tee_pipes(PipeEnd& input, PipeEnd& output, size_t length, bool non_blocking) {
  if (!input.is_reader() || !output.is_writer()) {
    return fail(Errno::ebadf);
  }
  Pipe& source = *input.pipe_;
  Pipe& target = *output.pipe_;
  {
    sync::LockGuard guard(source.lock_);
    TRY_VOID(source.wait_for_data_locked(non_blocking));
  }
  {
    sync::LockGuard guard(target.lock_);
    TRY_VOID(target.wait_for_room_locked(non_blocking));
  }

  size_t copied = TRY(Pipe::copy_slots(source, target, length));
  if (copied != 0) {
    target.announce_data();
  }
  return copied;
}

Result<PipeEnds> create_pipe(uint32_t flags, const fs::Credentials& owner) {
  // TODO: O_DIRECT (packet mode) pipes are not supported.
  if ((flags & ~uint32_t{fd::open_non_blocking | fd::open_close_on_exec}) != 0) {
    return fail(Errno::einval);
  }

  auto pipe = std::make_shared<Pipe>();
  pipe->set_owner(owner.uid, owner.gid);
  uint32_t status_flags = flags & fd::open_non_blocking;
  PipeEnds ends;
  ends.read_end = std::make_shared<PipeEnd>(pipe, fd::open_read_only | status_flags, nullptr);
  ends.write_end = std::make_shared<PipeEnd>(pipe, fd::open_write_only | status_flags, nullptr);
  return ends;
}

}  // namespace litebox::ipc
