// /proc/<pid>/fd/<n> as a magic link: path resolution through it reaches
// the open file description's file, compared with the same steps on the
// host's /proc/self/fd.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>
#include <utility>

#include "litebox/fs/procfs.hpp"
#include "litebox/ipc/eventfd.hpp"
#include "litebox/ipc/pipe.hpp"
#include "vfs_test_support.hpp"

namespace litebox::testing {
namespace {

constexpr int32_t guest_pid = 7;

// The descriptors of one guest process, as the shim's provider reports
// them.
class DescriptorProvider final : public fs::procfs::Provider {
 public:
  std::optional<int32_t> current_pid() override { return guest_pid; }
  std::optional<int32_t> current_tid() override { return guest_pid; }
  std::vector<int32_t> pids() override { return {guest_pid}; }
  std::vector<int32_t> descriptors(int32_t) override {
    std::vector<int32_t> numbers;
    for (const auto& [number, file] : files) {
      numbers.push_back(number);
    }
    return numbers;
  }
  Result<fs::procfs::DescriptorView> descriptor(int32_t pid, int32_t number) override {
    auto found = files.find(number);
    if (pid != guest_pid || found == files.end()) {
      return fail(Errno::enoent);
    }
    fs::procfs::DescriptorView view;
    view.link = found->second->anonymous_name();
    view.readable = fd::readable(found->second->flags());
    view.writable = fd::writable(found->second->flags());
    view.file = found->second;
    return view;
  }
  std::vector<int32_t> threads(int32_t) override { return {guest_pid}; }
  Result<std::string> thread_file(int32_t, int32_t, std::string_view) override {
    return fail(Errno::enoent);
  }
  Result<std::string> process_file(int32_t, std::string_view) override {
    return fail(Errno::enoent);
  }
  Result<std::string> process_link(int32_t, std::string_view) override {
    return fail(Errno::enoent);
  }
  Result<std::string> system_file(std::string_view) override { return fail(Errno::enoent); }

  std::map<int32_t, std::shared_ptr<fd::File>> files;
};

// A Vfs with procfs on /proc, whose process 7 has the descriptors in
// `provider->files`.
class ProcSandbox {
 public:
  ProcSandbox() : sandbox_(native_.path()) {
    auto made = vfs().make_directory(context(), vfs().root(), "/proc", 0555);
    EXPECT_TRUE(made);
    auto mounted = vfs().mount(context(), "/proc", fs::procfs::create(provider));
    EXPECT_TRUE(mounted);
  }

  fs::Vfs& vfs() { return sandbox_.vfs(); }
  fs::PathContext& context() { return sandbox_.context; }

  Result<std::shared_ptr<fd::File>> open(int32_t number, uint32_t flags) {
    return vfs().open(context(), vfs().root(), link_path(number), flags, 0);
  }

  // Makes a pipe and gives process 7 its read end as descriptor 3.
  ipc::PipeEnds add_pipe(uint32_t flags = 0) {
    auto ends = ipc::create_pipe(flags);
    EXPECT_TRUE(ends);
    if (!ends) {
      return {};
    }
    provider->files[3] = ends->read_end;
    return *ends;
  }

  static std::string link_path(int32_t number) {
    return "/proc/" + std::to_string(guest_pid) + "/fd/" + std::to_string(number);
  }

  std::shared_ptr<DescriptorProvider> provider = std::make_shared<DescriptorProvider>();

 private:
  NativeDirectory native_;
  Sandbox sandbox_;
};

// A host pipe whose ends close with it; an end set to -1 is closed already.
struct NativePipe {
  explicit NativePipe(int flags = 0) { EXPECT_EQ(::pipe2(ends, flags), 0) << "errno " << errno; }
  ~NativePipe() {
    for (int end : ends) {
      if (end >= 0) {
        ::close(end);
      }
    }
  }
  NativePipe(const NativePipe&) = delete;
  NativePipe& operator=(const NativePipe&) = delete;

  int ends[2] = {-1, -1};
};

std::string native_link(int descriptor) { return "/proc/self/fd/" + std::to_string(descriptor); }

std::string read_text(fd::File& file) {
  std::string text(64, '\0');
  auto count = file.read(std::as_writable_bytes(std::span(text)));
  text.resize(count ? *count : 0);
  return text;
}

std::string native_read_text(int descriptor) {
  std::string text(64, '\0');
  ssize_t count = ::read(descriptor, text.data(), text.size());
  text.resize(count > 0 ? static_cast<size_t>(count) : 0);
  return text;
}

TEST(ProcfsMagicLink, ReadEndOpensSamePipe) {
  NativePipe native;
  ASSERT_EQ(::write(native.ends[1], "abc", 3), 3);
  int native_reader = ::open(native_link(native.ends[0]).c_str(), O_RDONLY);
  std::string native_text = native_reader < 0 ? "" : native_read_text(native_reader);
  ::close(native_reader);

  ProcSandbox sandbox;
  ipc::PipeEnds ends = sandbox.add_pipe();
  ASSERT_TRUE(ends.write_end);
  ASSERT_TRUE(ends.write_end->write(std::as_bytes(std::span("abc", 3))));
  auto reader = sandbox.open(3, fd::open_read_only);

  ASSERT_GE(native_reader, 0) << "errno " << errno;
  ASSERT_TRUE(reader) << static_cast<int>(reader.error());
  EXPECT_EQ(native_text, "abc");
  EXPECT_EQ(read_text(**reader), native_text);
}

TEST(ProcfsMagicLink, ReopenedWriterDelaysEndOfFile) {
  NativePipe native(O_NONBLOCK);
  int native_writer = ::open(native_link(native.ends[1]).c_str(), O_WRONLY);
  ::close(std::exchange(native.ends[1], -1));
  char byte = 0;
  int native_with_writer = ::read(native.ends[0], &byte, 1) < 0 ? errno : 0;
  ::close(native_writer);
  long native_without_writer = ::read(native.ends[0], &byte, 1);

  ProcSandbox sandbox;
  ipc::PipeEnds ends = sandbox.add_pipe(fd::open_non_blocking);
  ASSERT_TRUE(ends.write_end);
  sandbox.provider->files[4] = ends.write_end;
  auto writer = sandbox.open(4, fd::open_write_only);
  ASSERT_TRUE(writer);
  sandbox.provider->files.erase(4);
  ends.write_end.reset();
  std::byte buffer[1];
  int with_writer = errno_of(ends.read_end->read(buffer));
  writer->reset();
  auto without_writer = ends.read_end->read(buffer);

  EXPECT_EQ(native_with_writer, EAGAIN);
  EXPECT_EQ(with_writer, native_with_writer);
  EXPECT_EQ(native_without_writer, 0);
  ASSERT_TRUE(without_writer);
  EXPECT_EQ(static_cast<long>(*without_writer), native_without_writer);
}

TEST(ProcfsMagicLink, StatReachesPipe) {
  NativePipe native;
  struct stat native_through_link {};
  struct stat native_pipe {};
  ::stat(native_link(native.ends[0]).c_str(), &native_through_link);
  ::fstat(native.ends[0], &native_pipe);

  ProcSandbox sandbox;
  ipc::PipeEnds ends = sandbox.add_pipe();
  ASSERT_TRUE(ends.read_end);
  auto through_link =
      sandbox.vfs().stat(sandbox.context(), sandbox.vfs().root(), ProcSandbox::link_path(3), 0);
  auto pipe_status = ends.read_end->stat();

  ASSERT_TRUE(through_link);
  ASSERT_TRUE(pipe_status);
  EXPECT_EQ(native_through_link.st_ino, native_pipe.st_ino);
  EXPECT_EQ(native_through_link.st_mode, native_pipe.st_mode);
  EXPECT_EQ(through_link->inode, pipe_status->inode);
  EXPECT_EQ(through_link->mode, native_through_link.st_mode);
}

TEST(ProcfsMagicLink, EventfdReopenFails) {
  int native_counter = ::eventfd(0, 0);
  ASSERT_GE(native_counter, 0);
  int native_reopened = ::open(native_link(native_counter).c_str(), O_RDWR);
  int native_error = native_reopened < 0 ? errno : 0;
  ::close(native_reopened);
  ::close(native_counter);

  ProcSandbox sandbox;
  auto counter = ipc::EventFd::create(0, 0);
  ASSERT_TRUE(counter);
  sandbox.provider->files[5] = *counter;
  auto reopened = sandbox.open(5, fd::open_read_write);

  EXPECT_EQ(native_error, ENXIO);
  EXPECT_EQ(errno_of(reopened), native_error);
}

TEST(ProcfsMagicLink, NoFollowStopsAtLink) {
  NativePipe native;
  int native_reopened = ::open(native_link(native.ends[0]).c_str(), O_RDONLY | O_NOFOLLOW);
  int native_error = native_reopened < 0 ? errno : 0;
  ::close(native_reopened);

  ProcSandbox sandbox;
  sandbox.add_pipe();
  auto reopened = sandbox.open(3, fd::open_read_only | fd::open_no_follow);

  EXPECT_EQ(native_error, ELOOP);
  EXPECT_EQ(errno_of(reopened), native_error);
}

TEST(ProcfsMagicLink, UnmountOfPipeIsInvalid) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "umount2 needs root natively";
  }
  NativePipe native;
  int native_error = ::umount2(native_link(native.ends[0]).c_str(), 0) < 0 ? errno : 0;

  ProcSandbox sandbox;
  sandbox.add_pipe();
  auto unmounted = sandbox.vfs().unmount(sandbox.context(), ProcSandbox::link_path(3));

  EXPECT_EQ(native_error, EINVAL);
  EXPECT_EQ(errno_of(unmounted), native_error);
}

}  // namespace
}  // namespace litebox::testing
