// splice(2): moves data between a pipe and another file, or between two
// pipes, through a bounce buffer in the libOS. Linux moves pipe pages
// instead of copying them, but the guest gets the same bytes, counts,
// offsets and errors.
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

}  // namespace

void register_splice_syscalls(SyscallTable& table) { table.add(nr::splice, sys_splice); }

}  // namespace litebox::shim::linux_abi
