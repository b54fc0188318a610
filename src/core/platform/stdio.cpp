#include "litebox/platform/stdio.hpp"

#include "litebox/event/pollable.hpp"

namespace litebox::platform {

Result<size_t> Stdio::read(StdioStream stream, std::span<std::byte> buffer) {
  if (stream != StdioStream::input) {
    return fail(Errno::ebadf);
  }
  return read(buffer);
}

Result<uint64_t> Stdio::seek(StdioStream, int64_t, int) { return fail(Errno::espipe); }

Result<StreamStatus> Stdio::stream_status(StdioStream) { return fail(Errno::enosys); }

Result<uint32_t> Stdio::stream_flags(StdioStream) { return fail(Errno::enosys); }

Result<void> Stdio::set_stream_flags(StdioStream, uint32_t) { return fail(Errno::enosys); }

Result<TerminalAttributes> Stdio::terminal_attributes(StdioStream) { return fail(Errno::enotty); }

Result<void> Stdio::set_terminal_attributes(StdioStream, const TerminalAttributes&,
                                            TerminalChange) {
  return fail(Errno::enotty);
}

Result<WindowSize> Stdio::window_size(StdioStream) { return fail(Errno::enotty); }

Result<size_t> Stdio::read_at(StdioStream, uint64_t, std::span<std::byte>) {
  return fail(Errno::espipe);
}

Result<size_t> Stdio::write_at(StdioStream, uint64_t, std::span<const std::byte>) {
  return fail(Errno::espipe);
}

Result<void> Stdio::truncate(StdioStream, uint64_t) { return fail(Errno::einval); }

Result<void> Stdio::allocate(StdioStream, uint32_t, uint64_t, uint64_t) {
  return fail(Errno::espipe);
}

Result<void> Stdio::sync(StdioStream, bool) { return {}; }

std::string Stdio::stream_path(StdioStream) { return {}; }

uint32_t Stdio::stream_events(StdioStream stream) {
  if (stream == StdioStream::input) {
    return event::pollin | event::pollrdnorm;
  }
  return event::pollout | event::pollwrnorm;
}

void Stdio::wait_for_events(StdioStream, uint32_t) {}

}  // namespace litebox::platform
