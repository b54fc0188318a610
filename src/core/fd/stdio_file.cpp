#include "litebox/fd/stdio_file.hpp"

#include "litebox/platform/platform.hpp"

namespace litebox::fd {

namespace {

uint32_t flags_for(platform::StdioStream stream) {
  return stream == platform::StdioStream::input ? open_read_only : open_write_only;
}

}  // namespace

StdioFile::StdioFile(platform::StdioStream stream) : File(flags_for(stream)), stream_(stream) {}

Result<size_t> StdioFile::read(std::span<std::byte> buffer) {
  if (stream_ != platform::StdioStream::input) {
    return fail(Errno::ebadf);
  }
  if (buffer.empty()) {
    return size_t{0};
  }
  return platform::current().stdio.read(buffer);
}

Result<size_t> StdioFile::write(std::span<const std::byte> data) {
  if (stream_ == platform::StdioStream::input) {
    return fail(Errno::ebadf);
  }
  if (data.empty()) {
    return size_t{0};
  }
  return platform::current().stdio.write(stream_, data);
}

Result<uint64_t> StdioFile::seek(int64_t offset, SeekOrigin origin) {
  return platform::current().stdio.seek(stream_, offset, static_cast<int>(origin));
}

bool StdioFile::is_terminal() const { return platform::current().stdio.isatty(stream_); }

Result<fs::Stat> StdioFile::stat() {
  fs::Stat status;
  // A terminal shows as a character device (the major of /dev/pts is 136);
  // anything else as a pipe, the common case for redirected output.
  if (is_terminal()) {
    status.mode = fs::mode_of(fs::FileType::character_device, 0620);
    status.rdev = (136u << 8) | 0;
  } else {
    status.mode = fs::mode_of(fs::FileType::fifo, 0600);
  }
  status.link_count = 1;
  status.block_size = 4096;
  // NOTE: the host file behind the stream is not inspected, so a regular
  // file redirected to standard output also reports itself as a pipe.
  status.inode = static_cast<uint64_t>(stream_) + 1;
  return status;
}

Result<std::shared_ptr<File>> StdioFile::reopen(uint32_t flags) {
  // TODO: Linux reopens the host file itself: a terminal also opens O_RDWR,
  // and a redirected regular file gets its own offset. A stream here has
  // one direction and one offset.
  bool input = stream_ == platform::StdioStream::input;
  if (input ? writable(flags) : readable(flags)) {
    return fail(Errno::enxio);
  }
  return std::make_shared<StdioFile>(stream_);
}

Result<uint64_t> StdioFile::ioctl(uint32_t, uint64_t) {
  // Terminal requests (TCGETS, TIOCGWINSZ) are answered by the shim, which
  // owns the termios layout; a non-terminal fails them with ENOTTY.
  return fail(Errno::enotty);
}

}  // namespace litebox::fd
