// devfs: the standard character devices, compared with the host's /dev
// where the host's result does not depend on its state.
#include "litebox/fs/devfs.hpp"
#include "litebox/fs/memfs.hpp"
#include "vfs_test_support.hpp"

namespace litebox::testing {
namespace {

class Devfs : public ::testing::Test {
 protected:
  void SetUp() override {
    context_.root = vfs_.root();
    context_.working_directory = vfs_.root();
    ASSERT_TRUE(vfs_.make_directory(context_, vfs_.root(), "/dev", 0755));
    ASSERT_TRUE(vfs_.mount(context_, "/dev", fs::devfs::create()));
  }

  Result<std::shared_ptr<fd::File>> open(const std::string& path, uint32_t flags) {
    return vfs_.open(context_, vfs_.root(), path, flags, 0);
  }

  fs::Vfs vfs_{fs::memfs::create()};
  fs::PathContext context_;
};

TEST_F(Devfs, NodesMatchHostDeviceNumbersAndModes) {
  for (const char* name : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string path = std::string("/dev/") + name;
    struct stat native {};
    ASSERT_EQ(::stat(path.c_str(), &native), 0) << path;
    auto sandbox = vfs_.stat(context_, vfs_.root(), path, 0);
    ASSERT_TRUE(sandbox) << path;
    EXPECT_EQ(sandbox->rdev, native.st_rdev) << path;
    EXPECT_EQ(sandbox->mode, native.st_mode) << path;
  }
}

TEST_F(Devfs, StandardLinksMatchHost) {
  for (const char* name : {"fd", "stdin", "stdout", "stderr"}) {
    std::string path = std::string("/dev/") + name;
    std::error_code error;
    std::string native = std::filesystem::read_symlink(path, error).string();
    if (error) {
      GTEST_SKIP() << path << " is not a symlink on this host";
    }
    auto sandbox = vfs_.read_link(context_, vfs_.root(), path);
    ASSERT_TRUE(sandbox) << path;
    EXPECT_EQ(*sandbox, native) << path;
  }
}

TEST_F(Devfs, SharedMemoryDirectoryIsSticky) {
  struct stat native {};
  if (::stat("/dev/shm", &native) != 0) {
    GTEST_SKIP() << "the host has no /dev/shm";
  }
  auto sandbox = vfs_.stat(context_, vfs_.root(), "/dev/shm", 0);
  ASSERT_TRUE(sandbox);
  EXPECT_EQ(sandbox->mode, native.st_mode);
}

TEST_F(Devfs, MakeDeviceMatchesGlibc) {
  for (auto [major, minor] : {std::pair{1u, 3u}, {5u, 0u}, {259u, 70000u}, {4095u, 255u}}) {
    EXPECT_EQ(fs::devfs::make_device(major, minor), makedev(major, minor));
    EXPECT_EQ(fs::devfs::major_of(makedev(major, minor)), major);
    EXPECT_EQ(fs::devfs::minor_of(makedev(major, minor)), minor);
  }
}

TEST_F(Devfs, NullReadsEofAndAcceptsWrites) {
  auto file = open("/dev/null", O_RDWR);
  ASSERT_TRUE(file);
  std::byte buffer[16];
  auto count = (*file)->read(buffer);
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0u);
  auto written = (*file)->write(buffer);
  ASSERT_TRUE(written);
  EXPECT_EQ(*written, 16u);
}

TEST_F(Devfs, ZeroReadsZeros) {
  auto file = open("/dev/zero", O_RDWR);
  ASSERT_TRUE(file);
  std::vector<std::byte> buffer(10000, std::byte{0x55});
  auto count = (*file)->read(buffer);
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, buffer.size());
  EXPECT_EQ(std::count(buffer.begin(), buffer.end(), std::byte{0}), 10000);
  auto written = (*file)->write(buffer);
  ASSERT_TRUE(written);
  EXPECT_EQ(*written, buffer.size());
}

TEST_F(Devfs, FullReadsZerosAndRejectsWrites) {
  auto file = open("/dev/full", O_RDWR);
  ASSERT_TRUE(file);
  std::byte buffer[8] = {std::byte{1}};
  auto count = (*file)->read(buffer);
  ASSERT_TRUE(count);
  EXPECT_EQ(buffer[0], std::byte{0});

  int native_fd = ::open("/dev/full", O_WRONLY);
  ASSERT_GE(native_fd, 0);
  int native = native_errno(::write(native_fd, "x", 1));
  ::close(native_fd);
  EXPECT_EQ(errno_of((*file)->write(buffer)), native);
  EXPECT_EQ(native, ENOSPC);
}

TEST_F(Devfs, RandomDevicesReadPlatformBytes) {
  for (const char* path : {"/dev/random", "/dev/urandom"}) {
    auto file = open(path, O_RDONLY);
    ASSERT_TRUE(file) << path;
    std::vector<std::byte> buffer(64);
    auto count = (*file)->read(buffer);
    ASSERT_TRUE(count) << path;
    EXPECT_EQ(*count, 64u) << path;
    EXPECT_NE(std::count(buffer.begin(), buffer.end(), std::byte{0}), 64) << path;
  }
}

TEST_F(Devfs, AccessModeIsEnforced) {
  auto file = open("/dev/null", O_RDONLY);
  ASSERT_TRUE(file);
  std::byte buffer[1];
  EXPECT_EQ(errno_of((*file)->write(buffer)), EBADF);
}

TEST_F(Devfs, SeekReturnsZero) {
  auto file = open("/dev/zero", O_RDONLY);
  ASSERT_TRUE(file);
  auto position = (*file)->seek(100, fd::SeekOrigin::set);
  ASSERT_TRUE(position);
  EXPECT_EQ(*position, 0u);
}

TEST_F(Devfs, TtyWithoutTerminalIsEnxio) {
  // TODO: /dev/tty needs a controlling terminal, which the sandbox lacks.
  EXPECT_EQ(errno_of(open("/dev/tty", O_RDWR)), ENXIO);
}

TEST_F(Devfs, DeviceNodeOnTmpfsOpensDriver) {
  ASSERT_TRUE(vfs_.make_node(context_, vfs_.root(), "/mynull", S_IFCHR | 0666,
                             fs::devfs::make_device(1, 3)));
  auto file = open("/mynull", O_RDWR);
  ASSERT_TRUE(file);
  std::byte buffer[4];
  auto count = (*file)->read(buffer);
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0u);

  ASSERT_TRUE(vfs_.make_node(context_, vfs_.root(), "/unknown", S_IFCHR | 0666,
                             fs::devfs::make_device(240, 1)));
  EXPECT_EQ(errno_of(open("/unknown", O_RDWR)), ENXIO);
}

TEST_F(Devfs, FileSystemIsDevtmpfs) {
  auto location = vfs_.resolve(context_, vfs_.root(), "/dev", 0);
  ASSERT_TRUE(location);
  EXPECT_EQ(location->mount->file_system().type_name(), "devtmpfs");
  EXPECT_EQ(location->mount->file_system().stat_file_system().type, 0x01021994u);
}

}  // namespace
}  // namespace litebox::testing
