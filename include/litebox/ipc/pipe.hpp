// Pipe: the kernel object behind pipe(2), pipe2(2) and named fifos, a byte
// buffer between the open file descriptions that read and write it.
//
// It follows Linux. The default capacity is 64 KiB, and writes of at most
// PIPE_BUF bytes are atomic. A write with no reader left fails with EPIPE
// (the shim raises SIGPIPE). A read with no writer left and nothing
// buffered returns 0. O_NONBLOCK turns every wait into EAGAIN.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/file.hpp"
#include "litebox/fs/inode.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/sync/wait_queue.hpp"

namespace litebox::ipc {

// PIPE_BUF: the largest write that is never interleaved with other writes.
inline constexpr size_t pipe_buf = 4096;
inline constexpr size_t default_pipe_capacity = 65536;
// The largest capacity F_SETPIPE_SZ grants without CAP_SYS_RESOURCE, the
// default of /proc/sys/fs/pipe-max-size.
inline constexpr size_t max_pipe_capacity = 1048576;

class PipeEnd;

class Pipe {
 public:
  // Makes an empty pipe; `capacity` is rounded as set_capacity() rounds it.
  explicit Pipe(size_t capacity = default_pipe_capacity);
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  size_t capacity();

  // F_SETPIPE_SZ: rounds `size` up to a power-of-two number of 4 KiB pages
  // (at least one), as Linux does, and returns the new capacity. `einval`
  // above 2 GiB, `eperm` when growing past max_pipe_capacity without
  // `privileged` (CAP_SYS_RESOURCE), `ebusy` when the slots in use do not
  // fit.
  Result<size_t> set_capacity(size_t size, bool privileged = false);

  // Bytes buffered now (FIONREAD).
  size_t bytes_available();

  // Sets the owner that stat(2) of an anonymous pipe reports, on Linux the
  // creator's fsuid and fsgid. Call it before the pipe is shared.
  void set_owner(uint32_t uid, uint32_t gid) {
    owner_uid_ = uid;
    owner_gid_ = gid;
  }

 private:
  friend class PipeEnd;
  friend Result<size_t> tee_pipes(PipeEnd& input, PipeEnd& output, size_t length,
                                  bool non_blocking);
  friend Result<std::shared_ptr<fd::File>> open_fifo(const std::shared_ptr<fs::Inode>& inode,
                                                     uint32_t flags);

  // How many ends of one kind are open now, and how many opens of that
  // kind there have been since the pipe was made.
  struct PeerCount {
    uint32_t open = 0;
    uint64_t opens = 0;
  };
  struct PeerCounts {
    PeerCount readers;
    PeerCount writers;
  };

  // Adds or removes one reader and/or writer, waking everything that waits
  // for a peer to appear or vanish. attach returns both counts as the new
  // end joined, so a fifo open that waits for a peer compares against them:
  // a peer that opens and closes before the wait begins still ends it.
  PeerCounts attach(bool reader, bool writer);
  void detach(bool reader, bool writer);

  // Returns the reader counts now.
  PeerCount readers();

  // Blocks a fifo open until a peer of the other kind has opened since the
  // open count was `seen_opens`.
  Result<void> wait_for_writer(uint64_t seen_opens);
  Result<void> wait_for_reader(uint64_t seen_opens);

  Result<size_t> read(std::span<std::byte> buffer, bool non_blocking);
  Result<size_t> write(std::span<const std::byte> data, bool non_blocking);

  // One locked step of write(): moves what fits of `rest`, or else waits
  // once for room. Returns the bytes moved, or the error that ends the write.
  Result<size_t> write_step_locked(std::span<const std::byte> rest, bool first_step,
                                   bool non_blocking);

  // The waits of tee(2) and vmsplice(2), with lock_ held: for data while
  // the pipe is empty and has a writer, and for a free slot while the pipe
  // is full and has a reader. `eagain` instead of a wait if `non_blocking`;
  // wait_for_room_locked fails with `epipe` when no reader is left.
  Result<void> wait_for_data_locked(bool non_blocking);
  Result<void> wait_for_room_locked(bool non_blocking);
  static Result<size_t> copy_slots(Pipe& source, Pipe& target, size_t length);

  // Readiness of an end with `access` (the O_ACCMODE bits), see PipeEnd.
  uint32_t poll_events(uint32_t access, uint64_t writer_opens_seen);

  // Buffer helpers; the caller holds lock_.
  size_t slot_count_locked() const { return slots_.size(); }
  bool full_locked() const { return used_slots_ == slots_.size(); }
  size_t merge_locked(std::span<const std::byte> data);
  size_t fill_slot_locked(std::span<const std::byte> data);
  size_t drain_locked(std::span<std::byte> buffer);
  // Frees `count` bytes from the oldest slot on.
  void consume_locked(size_t count);

  // Wake the waiters of the other side and notify observers. Called
  // without lock_ held.
  void announce_data();
  void announce_space();

  // Lock order: lock_, then the Pollable's lock. Observers are notified
  // after lock_ is released.
  sync::Mutex lock_;
  sync::WaitQueue data_or_no_writers_;   // blocked readers
  sync::WaitQueue space_or_no_readers_;  // blocked writers
  sync::WaitQueue peer_opened_;          // fifo opens waiting for a peer
  event::Pollable pollable_;
  const uint64_t identity_;  // st_ino of an anonymous pipe
  uint32_t owner_uid_ = 0;
  uint32_t owner_gid_ = 0;

  // Guarded by lock_. The buffer is a ring of page-sized slots, the layout
  // Linux uses, so capacity, atomicity and POLLOUT match Linux. A write
  // fills whole free slots, except that its first (size % 4096) bytes join
  // the last used slot when they fit there.
  struct Slot {
    size_t offset = 0;  // first unread byte in the slot's page
    size_t length = 0;  // unread bytes
    // Whether a later small write may append to the slot. Linux clears it
    // for the slots that tee(2) and vmsplice(2) fill.
    bool mergeable = true;
  };
  std::vector<std::byte> pages_;
  std::vector<Slot> slots_;
  size_t first_slot_ = 0;
  size_t used_slots_ = 0;
  size_t size_ = 0;  // unread bytes in all slots
  uint32_t readers_ = 0;
  uint32_t writers_ = 0;
  // Opens of each kind since the pipe was made. A blocked fifo open waits
  // for this count to change, so a peer that opens and closes at once still
  // releases it.
  uint64_t reader_opens_ = 0;
  uint64_t writer_opens_ = 0;
};

// One open file description of a pipe: the read end, the write end, or
// both for a fifo opened O_RDWR, decided by the access mode in its flags.
class PipeEnd final : public fd::File {
 public:
  // Attaches a new end to `pipe`. `inode` is the fifo's inode, or null for
  // an anonymous pipe.
  PipeEnd(std::shared_ptr<Pipe> pipe, uint32_t flags, std::shared_ptr<fs::Inode> inode);
  ~PipeEnd() override;

  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> write(std::span<const std::byte> data) override;
  // read() and write() that wait only when `non_blocking` is false,
  // whatever the O_NONBLOCK flag of this end is, for splice(2).
  Result<size_t> read_waiting(std::span<std::byte> buffer, bool non_blocking);
  Result<size_t> write_waiting(std::span<const std::byte> data, bool non_blocking);
  // vmsplice(2) into the pipe: waits as write_waiting() does until a slot
  // is free, then fills free slots, each from one call of `fill`, until
  // `fill` returns 0. `fill` writes at most one page into the span it gets
  // and returns the bytes written. Returns the bytes added; `epipe` without
  // a reader, `ebadf` for a read end.
  using SlotFiller = std::function<size_t(std::span<std::byte>)>;
  Result<size_t> fill_slots(const SlotFiller& fill, bool non_blocking);
  // vmsplice(2) out of the pipe: waits as read_waiting() does, then offers
  // the buffered bytes, one slot at a time and at most `length` in all, to
  // `take`, which returns how many of them it copied. Consumes the bytes
  // taken and stops at the first offer that `take` does not take whole.
  // Returns the bytes consumed; `ebadf` for a write end.
  using SlotTaker = std::function<size_t(std::span<const std::byte>)>;
  Result<size_t> take_slots(const SlotTaker& take, size_t length, bool non_blocking);

  Result<fs::Stat> stat() override;
  std::shared_ptr<fs::Inode> inode() override { return inode_; }
  uint32_t poll_events() override;
  event::Pollable* pollable() override { return &pipe_->pollable_; }
  Result<size_t> bytes_available() override;

  // A new end of the same pipe with the access mode of `flags`, as Linux
  // opens /proc/<pid>/fd/<n> of an anonymous pipe: it never waits for a
  // peer and never fails for want of a reader.
  Result<std::shared_ptr<fd::File>> reopen(uint32_t flags) override;

  Pipe& pipe() { return *pipe_; }

 private:
  friend Result<std::shared_ptr<fd::File>> open_fifo(const std::shared_ptr<fs::Inode>& inode,
                                                     uint32_t flags);
  friend Result<size_t> tee_pipes(PipeEnd& input, PipeEnd& output, size_t length,
                                  bool non_blocking);

  bool is_reader() const { return fd::readable(flags()); }
  bool is_writer() const { return fd::writable(flags()); }
  bool is_non_blocking() const { return (flags() & fd::open_non_blocking) != 0; }

  std::shared_ptr<Pipe> pipe_;
  std::shared_ptr<fs::Inode> inode_;
  // The pipe's counts when this end attached.
  Pipe::PeerCounts peers_at_attach_;
  // A reader reports POLLHUP only while the pipe's writer open count
  // differs from this. It stays 0 except for a fifo opened O_RDONLY |
  // O_NONBLOCK with no writer, which (as on Linux) reports no hang-up until
  // a writer has come and gone.
  uint64_t writer_opens_seen_ = 0;
};

struct PipeEnds {
  std::shared_ptr<PipeEnd> read_end;
  std::shared_ptr<PipeEnd> write_end;
};

// pipe2(2): a new pipe and both its ends, owned by `owner`'s uid and gid.
// `flags` may contain open_non_blocking, which both ends get, and
// open_close_on_exec, which is a descriptor flag that the caller applies;
// anything else is `einval`.
Result<PipeEnds> create_pipe(uint32_t flags, const fs::Credentials& owner = {});

// tee(2): copies up to `length` buffered bytes of `input`'s pipe into
// `output`'s, which must be another pipe, without consuming them. Like
// Linux, it waits for data in the input and then for a free slot in the
// output, or fails with `eagain` if `non_blocking`. Each input slot fills
// one free output slot, the last one cut to `length`. Returns the bytes
// copied, which are 0 when the input has no writer and is empty. Fails
// with `epipe` when the output has no reader, and with `ebadf` unless
// `input` can read and `output` can write.
Result<size_t> tee_pipes(PipeEnd& input, PipeEnd& output, size_t length, bool non_blocking);

// open(2) of a fifo: returns a new end of the pipe that belongs to `inode`,
// creating the pipe when no end of it is open. A read-only open waits for a
// writer unless O_NONBLOCK is set. A write-only open waits for a reader, or
// fails with `enxio` under O_NONBLOCK when there is none. O_RDWR never
// waits. A blocked open returns `eintr` when interrupted.
Result<std::shared_ptr<fd::File>> open_fifo(const std::shared_ptr<fs::Inode>& inode,
                                            uint32_t flags);

}  // namespace litebox::ipc
