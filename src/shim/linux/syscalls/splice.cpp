// splice(2), tee(2) and vmsplice(2). splice moves data between a pipe and
// another file, or between two pipes, through a bounce buffer in the libOS.
// tee copies the buffered bytes of one pipe into another. vmsplice copies
// guest memory into a pipe, or the buffered bytes of a pipe into guest
// memory. Linux moves or shares pipe pages (vmsplice maps the guest's own
// pages into the pipe) instead of copying them, but the guest gets the same
// bytes, counts, slot use, offsets and errors. One difference remains: data
// that vmsplice put in a pipe is a copy, so a guest that changes its buffer
// afterwards does not change what the reader gets, as it does on Linux.
#include <algorithm>
#include <optional>

#include "litebox/event/pollable.hpp"
#include "litebox/ipc/pipe.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/syscalls/file_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

// splice(2) flags: SPLICE_F_MOVE, SPLICE_F_NONBLOCK, SPLICE_F_MORE and
// SPLICE_F_GIFT. Only SPLICE_F_NONBLOCK changes what the call does.
constexpr uint32_t splice_non_blocking = 0x02;
constexpr uint32_t splice_flags = 0x01 | splice_non_blocking | 0x04 | 0x08;

// One end of a splice: its file, the pipe behind it when it is one, and
// the offset that the guest passed for a file that is no pipe.
struct SpliceEnd {
  std::shared_ptr<fd::File> file;
  ipc::PipeEnd* pipe = nullptr;
  std::optional<uint64_t> offset;
};

Result<fs::FileType> file_type_of(fd::File& file) {
  fs::Stat status = TRY(file.stat());
  return fs::file_type_of(status.mode);
}

// Reads the loff_t at `address` for the end `end`: `espipe` for a pipe,
// as Linux checks before it reads guest memory.
Result<void> read_splice_offset(SpliceEnd& end, uint64_t address) {
  if (address == 0) {
    return {};
  }
  if (end.pipe != nullptr) {
    return fail(Errno::espipe);
  }
  end.offset = static_cast<uint64_t>(TRY(GuestPtr<int64_t>(address).read()));
  return {};
}

// The checks Linux makes on the end that is no pipe: an offset needs a
// file with positioned reads or writes (sockets have none) and must not be
// negative, and a directory has no data to splice.
Result<void> check_file_end(const SpliceEnd& end) {
  const fs::FileType type = TRY(file_type_of(*end.file));
  if (type == fs::FileType::directory) {
    return fail(Errno::einval);
  }
  if (end.offset && (type == fs::FileType::socket || static_cast<int64_t>(*end.offset) < 0)) {
    return fail(Errno::einval);
  }
  return {};
}

// Reads one chunk from the input end. A pipe is read without waiting once
// part of the request has moved, so the call returns what was there.
Result<size_t> read_chunk(SpliceEnd& input, std::span<std::byte> chunk, bool non_blocking,
                          bool moved_some) {
  if (input.pipe != nullptr) {
    return input.pipe->read_waiting(chunk, non_blocking || moved_some);
  }
  if (input.offset) {
    return input.file->pread(*input.offset, chunk);
  }
  return input.file->read(chunk);
}

// Writes one chunk to the output end.
Result<size_t> write_chunk(SpliceEnd& output, std::span<const std::byte> data, bool non_blocking,
                           uint64_t size_limit) {
  if (output.pipe != nullptr) {
    return output.pipe->write_waiting(data, non_blocking);
  }
  return output.file->write_limited(output.offset, data, size_limit);
}

// The bytes that one chunk of a splice read and wrote; 0 read means the
// input is at its end or has nothing more now.
struct ChunkCounts {
  size_t read = 0;
  size_t written = 0;
};

Result<ChunkCounts> move_chunk(SpliceEnd& input, SpliceEnd& output, std::span<std::byte> chunk,
                               bool non_blocking, bool moved_some, uint64_t size_limit) {
  const size_t read = TRY(read_chunk(input, chunk, non_blocking, moved_some));
  if (read == 0) {
    return ChunkCounts{};
  }
  const size_t written = TRY(write_chunk(output, chunk.first(read), non_blocking, size_limit));
  return ChunkCounts{.read = read, .written = written};
}

// Moves up to `length` bytes from `input` to `output` and advances the
// explicit offsets. Chunks into a pipe are at most PIPE_BUF bytes, which a
// pipe with room takes whole, so the room is checked before the input is
// read. Returns the bytes moved; an error after some bytes moved only ends
// the transfer.
// NOTE: when a write to a file that is no pipe (a full non-blocking socket)
// takes part of a chunk, the rest of the chunk, already read from the
// input, is lost. Linux leaves it in the input pipe.
Result<uint64_t> move_data(SpliceEnd& input, SpliceEnd& output, uint64_t length, bool non_blocking,
                           uint64_t size_limit) {
  const bool input_is_regular =
      input.pipe == nullptr && TRY(file_type_of(*input.file)) == fs::FileType::regular;
  BounceBuffer buffer;
  uint64_t total = 0;
  while (total < length) {
    std::span<std::byte> chunk = buffer.first(length - total);
    if (output.pipe != nullptr) {
      chunk = chunk.first(std::min(chunk.size(), ipc::pipe_buf));
      const bool has_room = (output.file->poll_events() & event::pollout) != 0;
      if (!has_room && total != 0) {
        break;
      }
      if (!has_room && non_blocking) {
        return fail(Errno::eagain);
      }
    }

    auto counts = move_chunk(input, output, chunk, non_blocking, total != 0, size_limit);
    if (!counts) {
      if (total != 0) {
        break;
      }
      return fail(counts.error());
    }
    total += counts->written;
    if (input.offset) {
      *input.offset += counts->written;
    }
    if (output.offset) {
      *output.offset += counts->written;
    }
    // A socket or a device gives what it has in one read; waiting for more
    // would block a call that has data to return.
    if (counts->read == 0 || counts->written < counts->read ||
        (input.pipe == nullptr && !input_is_regular)) {
      break;
    }
  }
  return total;
}

Result<uint64_t> sys_splice(Task& task, const SyscallArguments& arguments) {
  const uint64_t input_offset_address = arguments[1];
  const uint64_t output_offset_address = arguments[3];
  const uint64_t length = std::min(arguments[4], max_transfer);
  uint32_t flags = arguments.as_uint(5);
  if (length == 0) {
    return 0;
  }
  if ((flags & ~splice_flags) != 0) {
    return fail(Errno::einval);
  }

  SpliceEnd input{.file = TRY(file_of(task, arguments.as_int(0)))};
  SpliceEnd output{.file = TRY(file_of(task, arguments.as_int(2)))};
  input.pipe = dynamic_cast<ipc::PipeEnd*>(input.file.get());
  output.pipe = dynamic_cast<ipc::PipeEnd*>(output.file.get());
  TRY_VOID(read_splice_offset(input, input_offset_address));
  TRY_VOID(read_splice_offset(output, output_offset_address));

  if (!fd::readable(input.file->flags()) || !fd::writable(output.file->flags())) {
    return fail(Errno::ebadf);
  }
  if (input.pipe == nullptr && output.pipe == nullptr) {
    return fail(Errno::einval);
  }
  if (input.pipe != nullptr && output.pipe != nullptr &&
      &input.pipe->pipe() == &output.pipe->pipe()) {
    return fail(Errno::einval);
  }
  if (input.pipe == nullptr) {
    TRY_VOID(check_file_end(input));
  }
  if (output.pipe == nullptr) {
    TRY_VOID(check_file_end(output));
    if (output.file->flags() & fd::open_append) {
      return fail(Errno::einval);
    }
  }

  // A non-blocking pipe end makes the whole call non-blocking, as on Linux.
  for (const SpliceEnd* end : {&input, &output}) {
    if (end->pipe != nullptr && (end->file->flags() & fd::open_non_blocking)) {
      flags |= splice_non_blocking;
    }
  }
  const bool non_blocking = (flags & splice_non_blocking) != 0;

  const uint64_t moved = TRY(signal_file_size_limit(
      task, move_data(input, output, length, non_blocking, file_size_limit(task))));
  if (input.offset) {
    TRY_VOID(GuestPtr<int64_t>(input_offset_address).write(static_cast<int64_t>(*input.offset)));
  }
  if (output.offset) {
    TRY_VOID(GuestPtr<int64_t>(output_offset_address).write(static_cast<int64_t>(*output.offset)));
  }
  return moved;
}

// A pipe end for tee(2) and vmsplice(2), or null for any other file.
ipc::PipeEnd* pipe_end_of(const std::shared_ptr<fd::File>& file) {
  return dynamic_cast<ipc::PipeEnd*>(file.get());
}

// Whether the description may neither read nor write (O_PATH), which makes
// vmsplice(2) fail with `ebadf` as Linux does.
bool has_no_access(const fd::File& file) {
  return (file.flags() & fd::open_path) != 0 ||
         (!fd::readable(file.flags()) && !fd::writable(file.flags()));
}

Result<uint64_t> sys_tee(Task& task, const SyscallArguments& arguments) {
  const uint64_t length = std::min(arguments[2], max_transfer);
  uint32_t flags = arguments.as_uint(3);
  if ((flags & ~splice_flags) != 0) {
    return fail(Errno::einval);
  }
  if (length == 0) {
    return 0;
  }

  const std::shared_ptr<fd::File> input = TRY(file_of(task, arguments.as_int(0)));
  const std::shared_ptr<fd::File> output = TRY(file_of(task, arguments.as_int(1)));
  if (!fd::readable(input->flags()) || !fd::writable(output->flags())) {
    return fail(Errno::ebadf);
  }
  ipc::PipeEnd* input_pipe = pipe_end_of(input);
  ipc::PipeEnd* output_pipe = pipe_end_of(output);
  if (input_pipe == nullptr || output_pipe == nullptr ||
      &input_pipe->pipe() == &output_pipe->pipe()) {
    return fail(Errno::einval);
  }

  // As for splice, a non-blocking end makes the whole call non-blocking.
  if (((input->flags() | output->flags()) & fd::open_non_blocking) != 0) {
    flags |= splice_non_blocking;
  }
  return TRY(ipc::tee_pipes(*input_pipe, *output_pipe, length, (flags & splice_non_blocking) != 0));
}

// The guest iovecs of vmsplice(2), consumed in order as bytes move between
// them and the pipe. An address that cannot be accessed ends the transfer
// and sets `fault`.
class IovecCursor {
 public:
  explicit IovecCursor(std::vector<GuestIovec> vectors) : vectors_(std::move(vectors)) {}

  // Copies the next piece of guest memory into `slot` and returns its size,
  // 0 at the end. A piece ends at the end of its iovec or of its guest page,
  // because Linux gives each page of the guest's buffers a slot of its own.
  size_t fill(std::span<std::byte> slot) {
    constexpr uint64_t page_size = 4096;
    skip_finished();
    if (index_ == vectors_.size() || fault) {
      return 0;
    }
    const uint64_t address = vectors_[index_].base + offset_;
    const uint64_t page_rest = page_size - address % page_size;
    const size_t part = std::min({vectors_[index_].length - offset_, page_rest, slot.size()});
    if (!copy_from_guest(slot.first(part), address)) {
      fault = true;
      return 0;
    }
    offset_ += part;
    return part;
  }

  // Copies what fits of `data` into guest memory and returns the bytes
  // copied.
  size_t take(std::span<const std::byte> data) {
    size_t copied = 0;
    skip_finished();
    while (copied < data.size() && index_ < vectors_.size() && !fault) {
      const GuestIovec& vector = vectors_[index_];
      const size_t part = std::min<uint64_t>(vector.length - offset_, data.size() - copied);
      if (!copy_to_guest(vector.base + offset_, data.subspan(copied, part))) {
        fault = true;
        break;
      }
      copied += part;
      offset_ += part;
      skip_finished();
    }
    return copied;
  }

  bool fault = false;

 private:
  void skip_finished() {
    while (index_ < vectors_.size() && offset_ == vectors_[index_].length) {
      ++index_;
      offset_ = 0;
    }
  }

  std::vector<GuestIovec> vectors_;
  size_t index_ = 0;
  uint64_t offset_ = 0;
};

// NOTE: unlike splice and tee, vmsplice ignores O_NONBLOCK of the pipe end
// (Linux 6.18 does); only SPLICE_F_NONBLOCK keeps it from waiting.
Result<uint64_t> sys_vmsplice(Task& task, const SyscallArguments& arguments) {
  const uint32_t flags = arguments.as_uint(3);
  if ((flags & ~splice_flags) != 0) {
    return fail(Errno::einval);
  }
  const std::shared_ptr<fd::File> file = TRY(file_of(task, arguments.as_int(0)));
  if (has_no_access(*file)) {
    return fail(Errno::ebadf);
  }
  // A description open for writing is a source of pipe data even when it
  // can also read, as on Linux.
  const bool into_pipe = fd::writable(file->flags());

  std::vector<GuestIovec> vectors = TRY(read_guest_iovecs(arguments[1], arguments[2]));
  uint64_t total = 0;
  for (const GuestIovec& vector : vectors) {
    total += vector.length;
  }
  if (total == 0) {
    return 0;
  }
  ipc::PipeEnd* pipe = pipe_end_of(file);
  if (pipe == nullptr) {
    return fail(Errno::ebadf);
  }

  // On the write end the iovecs go into free slots after a wait for the
  // first one; on the read end the buffered bytes go into the iovecs as
  // read(2) would return them.
  const bool non_blocking = (flags & splice_non_blocking) != 0;
  IovecCursor cursor(std::move(vectors));
  const size_t moved =
      into_pipe
          ? TRY(pipe->fill_slots([&](std::span<std::byte> slot) { return cursor.fill(slot); },
                                 non_blocking))
          : TRY(pipe->take_slots([&](std::span<const std::byte> data) { return cursor.take(data); },
                                 total, non_blocking));
  if (moved == 0 && cursor.fault) {
    return fail(Errno::efault);
  }
  return moved;
}

}  // namespace

void register_splice_syscalls(SyscallTable& table) {
  table.add(nr::splice, sys_splice);
  table.add(nr::tee, sys_tee);
  table.add(nr::vmsplice, sys_vmsplice);
}

}  // namespace litebox::shim::linux_abi
