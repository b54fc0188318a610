// File-related system calls of the Linux shim against the host kernel: each
// scenario runs once through raw host system calls in a scratch directory
// and once through Kernel::serve on a memfs root, and the two transcripts
// of results and errno names must be identical. Descriptor numbers are
// compared only as "a descriptor", because the test process has others open.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/stat.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "fake_execution.hpp"
#include "litebox/fs/memfs.hpp"
#include "shim/linux/kernel.hpp"

namespace litebox::shim::linux_abi {
namespace {

using testing::FakeExecution;

// An address no process maps: the first page.
constexpr uint64_t bad_address = 16;

// One way of making system calls: the host kernel or the shim.
class Side {
 public:
  virtual ~Side() = default;
  // Returns the result, or -errno.
  virtual int64_t invoke(long number, const std::array<uint64_t, 6>& arguments) = 0;
};

class HostSide final : public Side {
 public:
  int64_t invoke(long number, const std::array<uint64_t, 6>& arguments) override {
    long result = syscall(number, arguments[0], arguments[1], arguments[2], arguments[3],
                          arguments[4], arguments[5]);
    return result < 0 ? -errno : result;
  }
};

class ShimSide final : public Side {
 public:
  ShimSide(Kernel& kernel, Task& task) : kernel_(kernel), task_(task) {}

  int64_t invoke(long number, const std::array<uint64_t, 6>& arguments) override {
    platform::GuestRegisters registers{};
    registers.rax = static_cast<uint64_t>(number);
    registers.rdi = arguments[0];
    registers.rsi = arguments[1];
    registers.rdx = arguments[2];
    registers.r10 = arguments[3];
    registers.r8 = arguments[4];
    registers.r9 = arguments[5];
    kernel_.serve(task_, registers);
    return static_cast<int64_t>(registers.rax);
  }

 private:
  Kernel& kernel_;
  Task& task_;
};

// Records each call of a scenario as "label -> result" on one side. Strings
// and buffers live in the side's arena, which the shim side's guest memory
// allows.
class Transcript {
 public:
  Transcript(Side& side, std::vector<char>& arena, std::string base)
      : side_(side), arena_(arena), base_(std::move(base)) {}

  // Copies `text` with its NUL into the arena; returns its address.
  uint64_t text(std::string_view text) {
    uint64_t address = buffer(text.size() + 1);
    std::memcpy(pointer(address), text.data(), text.size());
    return address;
  }

  // Reserves `size` zeroed bytes, 16-byte aligned; returns the address.
  uint64_t buffer(size_t size) {
    used_ = (used_ + 15) & ~size_t{15};
    if (used_ + size > arena_.size()) {
      ADD_FAILURE() << "scenario arena exhausted";
      return bad_address;
    }
    char* start = arena_.data() + used_;
    std::memset(start, 0, size);
    used_ += size;
    // Safety: the address is passed to the side as a user pointer.
    return reinterpret_cast<uint64_t>(start);
  }

  // Safety: only addresses from text() and buffer() are turned back into
  // pointers, and they point into the arena.
  char* pointer(uint64_t address) { return reinterpret_cast<char*>(address); }

  template <typename... Arguments>
  int64_t call(const std::string& label, long number, Arguments... arguments) {
    int64_t result = raw(number, arguments...);
    record(label, result, false);
    return result;
  }

  // Like call(), for calls that return a new descriptor: a non-negative
  // result is recorded as "fd".
  template <typename... Arguments>
  int64_t call_fd(const std::string& label, long number, Arguments... arguments) {
    int64_t result = raw(number, arguments...);
    record(label, result, true);
    return result;
  }

  // Like call(), for results that differ legitimately between the sides
  // (such as path lengths): a non-negative result is recorded as "ok".
  template <typename... Arguments>
  int64_t call_ok(const std::string& label, long number, Arguments... arguments) {
    int64_t result = raw(number, arguments...);
    lines_.push_back(label + " -> " +
                     (result < 0 ? std::string(errno_name(static_cast<Errno>(-result))) : "ok"));
    return result;
  }

  void note(const std::string& line) { lines_.push_back(line); }

  // `path` with the side's scratch directory replaced by "<base>".
  std::string relative(std::string path) const {
    if (path.starts_with(base_)) {
      path = "<base>" + path.substr(base_.size());
    }
    return path;
  }

  std::string joined() const {
    std::string all;
    for (const std::string& line : lines_) {
      all += line + "\n";
    }
    return all;
  }

 private:
  template <typename... Arguments>
  int64_t raw(long number, Arguments... arguments) {
    std::array<uint64_t, 6> values{static_cast<uint64_t>(arguments)...};
    return side_.invoke(number, values);
  }

  void record(const std::string& label, int64_t result, bool descriptor) {
    std::string value;
    if (result < 0) {
      value = std::string(errno_name(static_cast<Errno>(-result)));
    } else if (descriptor) {
      value = "fd";
    } else {
      value = std::to_string(result);
    }
    lines_.push_back(label + " -> " + value);
  }

  Side& side_;
  std::vector<char>& arena_;
  std::string base_;
  size_t used_ = 0;
  std::vector<std::string> lines_;
};

// Prints the fields of a struct stat that do not depend on the file system
// type: file type, permissions, link count and, except for directories
// (whose size each file system defines), the size.
void note_stat(Transcript& transcript, const std::string& label, uint64_t address) {
  struct stat status;
  std::memcpy(&status, transcript.pointer(address), sizeof status);
  std::string size = S_ISDIR(status.st_mode) ? "" : " size " + std::to_string(status.st_size);
  transcript.note(label + ": mode " + std::to_string(status.st_mode) + size + " links " +
                  std::to_string(status.st_nlink));
}

void scenario_file_io(Transcript& t) {
  uint64_t name = t.text("data");
  uint64_t buffer = t.buffer(64);
  uint64_t status = t.buffer(sizeof(struct stat));

  int64_t fd = t.call_fd("open create", SYS_open, name, O_CREAT | O_RDWR, 0644);
  t.call("write", SYS_write, fd, t.text("hello world"), 11);
  t.call("lseek cur", SYS_lseek, fd, 0, SEEK_CUR);
  t.call("lseek set", SYS_lseek, fd, 6, SEEK_SET);
  t.call("read", SYS_read, fd, buffer, 64);
  t.note(std::string("read text: ") + t.pointer(buffer));
  t.call("read at end", SYS_read, fd, buffer, 64);
  t.call("lseek end", SYS_lseek, fd, -5, SEEK_END);
  t.call("lseek negative", SYS_lseek, fd, -100, SEEK_SET);
  t.call("lseek bad whence", SYS_lseek, fd, 0, 42);
  t.call("pwrite", SYS_pwrite64, fd, t.text("HELLO"), 5, 0);
  t.call("pread", SYS_pread64, fd, buffer, 5, 0);
  t.call("pread negative", SYS_pread64, fd, buffer, 5, -1);
  t.call("pwrite past end", SYS_pwrite64, fd, t.text("!"), 1, 20);
  t.call("fstat", SYS_fstat, fd, status);
  note_stat(t, "after hole", status);
  t.call("ftruncate", SYS_ftruncate, fd, 11);
  t.call("ftruncate negative", SYS_ftruncate, fd, -1);
  t.call("fsync", SYS_fsync, fd);
  t.call("fdatasync", SYS_fdatasync, fd);
  t.call("fallocate", SYS_fallocate, fd, 0, 0, 100);
  t.call("fallocate negative", SYS_fallocate, fd, 0, -1, 10);
  t.call("fstat", SYS_fstat, fd, status);
  note_stat(t, "after fallocate", status);
  t.call("read bad pointer", SYS_pread64, fd, bad_address, 4, 0);
  t.call("write bad pointer", SYS_write, fd, bad_address, 4);
  t.call("fstat bad pointer", SYS_fstat, fd, bad_address);
  t.call("close", SYS_close, fd);
  t.call("close again", SYS_close, fd);

  fd = t.call_fd("open append", SYS_open, name, O_WRONLY | O_APPEND);
  t.call("lseek", SYS_lseek, fd, 0, SEEK_SET);
  t.call("append write", SYS_write, fd, t.text("!!"), 2);
  t.call("offset after append", SYS_lseek, fd, 0, SEEK_CUR);
  t.call("read write-only", SYS_read, fd, buffer, 1);
  t.call("ftruncate append", SYS_ftruncate, fd, 0);
  t.call("close", SYS_close, fd);

  fd = t.call_fd("open read-only", SYS_open, name, O_RDONLY);
  t.call("write read-only", SYS_write, fd, buffer, 1);
  t.call("ftruncate read-only", SYS_ftruncate, fd, 0);
  int64_t copy = t.call_fd("open copy", SYS_open, t.text("copy"), O_CREAT | O_RDWR | O_TRUNC, 0600);
  uint64_t offset = t.buffer(8);
  t.call("sendfile with offset", SYS_sendfile, copy, fd, offset, 5);
  t.call("sendfile", SYS_sendfile, copy, fd, 0, 100);
  t.call("sendfile to read-only", SYS_sendfile, fd, copy, 0, 1);
  t.call("copy_file_range", SYS_copy_file_range, fd, 0, copy, 0, 100, 0);
  t.call("copy_file_range flags", SYS_copy_file_range, fd, 0, copy, 0, 100, 1);
  t.call("fstat copy", SYS_fstat, copy, status);
  note_stat(t, "copy", status);
  t.call("pread copy", SYS_pread64, copy, buffer, 64, 0);
  t.note(std::string("copy text: ") + t.pointer(buffer));
  t.call("close", SYS_close, fd);
  t.call("close", SYS_close, copy);

  fd = t.call_fd("open truncate", SYS_open, name, O_WRONLY | O_TRUNC);
  t.call("fstat", SYS_fstat, fd, status);
  note_stat(t, "after O_TRUNC", status);
  t.call("close", SYS_close, fd);
  t.call_fd("open exclusive existing", SYS_open, name, O_CREAT | O_EXCL | O_WRONLY, 0644);
  fd = t.call_fd("creat", SYS_creat, t.text("made"), 0640);
  t.call("close", SYS_close, fd);

  uint64_t vectors = t.buffer(3 * 16);
  uint64_t pieces[3] = {t.text("abc"), t.text(""), t.text("defgh")};
  uint64_t lengths[3] = {3, 0, 5};
  for (int index = 0; index < 3; ++index) {
    std::memcpy(t.pointer(vectors + 16 * index), &pieces[index], 8);
    std::memcpy(t.pointer(vectors + 16 * index + 8), &lengths[index], 8);
  }
  fd = t.call_fd("open vectors", SYS_open, t.text("vectors"), O_CREAT | O_RDWR, 0644);
  t.call("writev", SYS_writev, fd, vectors, 3);
  t.call("writev negative count", SYS_writev, fd, vectors, -1);
  t.call("writev bad vector", SYS_writev, fd, bad_address, 1);
  t.call("lseek", SYS_lseek, fd, 0, SEEK_SET);
  t.call("readv", SYS_readv, fd, vectors, 3);
  t.call("close", SYS_close, fd);

  t.call("read closed", SYS_read, 999, buffer, 1);
  t.call("open bad path pointer", SYS_open, bad_address, O_RDONLY);
  t.call("open empty path", SYS_open, t.text(""), O_RDONLY);
  t.call("open directory for writing", SYS_open, t.text("."), O_WRONLY);
  t.call("open file as directory", SYS_open, name, O_RDONLY | O_DIRECTORY);
  t.call("open through file", SYS_open, t.text("data/x"), O_RDONLY);
  t.call("open create directory", SYS_open, t.text("new"), O_CREAT | O_DIRECTORY | O_RDWR, 0644);
  for (const char* file : {"data", "copy", "made", "vectors"}) {
    t.call(std::string("unlink ") + file, SYS_unlink, t.text(file));
  }
}

void scenario_stat(Transcript& t) {
  uint64_t status = t.buffer(sizeof(struct stat));
  uint64_t extended = t.buffer(sizeof(struct statx));
  uint64_t file = t.text("file");
  uint64_t link = t.text("link");

  int64_t fd = t.call_fd("open", SYS_open, file, O_CREAT | O_WRONLY, 0640);
  t.call("write", SYS_write, fd, t.text("0123456789"), 10);
  t.call("mkdir", SYS_mkdir, t.text("dir"), 0750);
  t.call("symlink", SYS_symlink, file, link);

  t.call("stat", SYS_stat, file, status);
  note_stat(t, "file", status);
  t.call("stat dir", SYS_stat, t.text("dir"), status);
  note_stat(t, "dir", status);
  t.call("lstat link", SYS_lstat, link, status);
  note_stat(t, "link", status);
  t.call("stat link", SYS_stat, link, status);
  note_stat(t, "link target", status);
  t.call("newfstatat nofollow", SYS_newfstatat, AT_FDCWD, link, status, AT_SYMLINK_NOFOLLOW);
  note_stat(t, "link again", status);
  t.call("newfstatat empty path", SYS_newfstatat, fd, t.text(""), status, AT_EMPTY_PATH);
  note_stat(t, "by descriptor", status);
  t.call("newfstatat empty without flag", SYS_newfstatat, fd, t.text(""), status, 0);
  t.call("newfstatat bad flags", SYS_newfstatat, AT_FDCWD, file, status, 0x1);
  t.call("newfstatat bad dirfd", SYS_newfstatat, 555, file, status, 0);
  t.call("newfstatat file as dirfd", SYS_newfstatat, fd, file, status, 0);
  t.call("stat missing", SYS_stat, t.text("missing"), status);
  t.call("stat through file", SYS_stat, t.text("file/x"), status);
  t.call("stat bad buffer", SYS_stat, file, bad_address);

  t.call("statx", SYS_statx, AT_FDCWD, file, 0, STATX_BASIC_STATS, extended);
  struct statx result;
  std::memcpy(&result, t.pointer(extended), sizeof result);
  t.note("statx: basic " +
         std::to_string((result.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS) + " mode " +
         std::to_string(result.stx_mode) + " size " + std::to_string(result.stx_size) + " links " +
         std::to_string(result.stx_nlink));
  t.call("statx reserved mask", SYS_statx, AT_FDCWD, file, 0, 0x80000000u, extended);
  t.call("statx both sync flags", SYS_statx, AT_FDCWD, file, 0x6000, STATX_BASIC_STATS, extended);
  t.call("statx bad flags", SYS_statx, AT_FDCWD, file, 0x1, STATX_BASIC_STATS, extended);

  t.call("access", SYS_access, file, R_OK | W_OK);
  t.call("access missing", SYS_access, t.text("missing"), F_OK);
  t.call("access bad mode", SYS_access, file, 8);
  t.call("faccessat2 bad flags", SYS_faccessat2, AT_FDCWD, file, R_OK, 0x1);

  t.call("chmod", SYS_chmod, file, 0604);
  t.call("fchmod", SYS_fchmod, fd, 0600);
  t.call("fchmodat", SYS_fchmodat, AT_FDCWD, t.text("dir"), 0700);
  t.call("stat", SYS_stat, file, status);
  note_stat(t, "after chmod", status);
  t.call("chown to self", SYS_chown, file, geteuid(), getegid());
  t.call("fchownat bad flags", SYS_fchownat, AT_FDCWD, file, -1, -1, 0x1);
  t.call("truncate", SYS_truncate, file, 3);
  t.call("truncate negative", SYS_truncate, file, -1);
  t.call("truncate directory", SYS_truncate, t.text("dir"), 0);
  t.call("stat", SYS_stat, file, status);
  note_stat(t, "after truncate", status);

  uint64_t times = t.buffer(32);
  int64_t values[4] = {1000, 5, 2000, 7};
  std::memcpy(t.pointer(times), values, sizeof values);
  t.call("utimensat", SYS_utimensat, AT_FDCWD, file, times, 0);
  t.call("stat", SYS_stat, file, status);
  struct stat after;
  std::memcpy(&after, t.pointer(status), sizeof after);
  t.note("times: " + std::to_string(after.st_atim.tv_sec) + "." +
         std::to_string(after.st_atim.tv_nsec) + " " + std::to_string(after.st_mtim.tv_sec) + "." +
         std::to_string(after.st_mtim.tv_nsec));
  values[1] = UTIME_OMIT;
  values[2] = 3000;
  std::memcpy(t.pointer(times), values, sizeof values);
  t.call("utimensat omit", SYS_utimensat, fd, 0, times, 0);
  t.call("stat", SYS_stat, file, status);
  std::memcpy(&after, t.pointer(status), sizeof after);
  t.note("times: " + std::to_string(after.st_atim.tv_sec) + " " +
         std::to_string(after.st_mtim.tv_sec));
  values[1] = 1'000'000'000;
  std::memcpy(t.pointer(times), values, sizeof values);
  t.call("utimensat bad nanoseconds", SYS_utimensat, AT_FDCWD, file, times, 0);
  t.call("utimensat bad flags", SYS_utimensat, AT_FDCWD, file, 0, 0x1);

  t.call("umask", SYS_umask, 077);
  t.call("umask", SYS_umask, 022);
  t.call("close", SYS_close, fd);
  t.call("unlink link", SYS_unlink, link);
  t.call("unlink file", SYS_unlink, file);
  t.call("rmdir", SYS_rmdir, t.text("dir"));
}

// Lists a directory through getdents64 as sorted "name/type" words.
void note_directory(Transcript& t, const std::string& label, const char* path) {
  int64_t fd = t.call_fd("open " + label, SYS_open, t.text(path), O_RDONLY | O_DIRECTORY);
  uint64_t buffer = t.buffer(4096);
  std::vector<std::string> names;
  while (true) {
    int64_t count = t.call("getdents64", SYS_getdents64, fd, buffer, 4096);
    if (count <= 0) {
      break;
    }
    for (int64_t offset = 0; offset < count;) {
      char* record = t.pointer(buffer) + offset;
      uint16_t length;
      std::memcpy(&length, record + 16, 2);
      names.push_back(std::string(record + 19) + "/" + std::to_string(record[18]));
      offset += length;
    }
  }
  std::ranges::sort(names);
  std::string line = "listing " + label + ":";
  for (const std::string& name : names) {
    line += " " + name;
  }
  t.note(line);
  t.call("getdents64 small buffer", SYS_getdents64, fd, buffer, 8);
  t.call("close", SYS_close, fd);
}

void scenario_directories(Transcript& t) {
  uint64_t buffer = t.buffer(256);

  t.call("mkdir", SYS_mkdir, t.text("a"), 0755);
  t.call("mkdir again", SYS_mkdir, t.text("a"), 0755);
  t.call("mkdirat", SYS_mkdirat, AT_FDCWD, t.text("a/b"), 0755);
  t.call("mkdir missing parent", SYS_mkdir, t.text("missing/b"), 0755);
  int64_t fd = t.call_fd("create", SYS_open, t.text("a/file"), O_CREAT | O_WRONLY, 0644);
  t.call("close", SYS_close, fd);
  note_directory(t, "a", "a");
  t.call("getdents64 on a file", SYS_getdents64, 999, buffer, 256);

  int64_t directory = t.call_fd("open a", SYS_open, t.text("a"), O_RDONLY | O_DIRECTORY);
  t.call("renameat", SYS_renameat, directory, t.text("file"), directory, t.text("b/moved"));
  t.call("rename missing", SYS_rename, t.text("a/missing"), t.text("a/other"));
  t.call("rename into itself", SYS_rename, t.text("a/b"), t.text("a/b/c"));
  t.call("linkat", SYS_linkat, directory, t.text("b/moved"), AT_FDCWD, t.text("a/hard"), 0);
  t.call("link directory", SYS_link, t.text("a/b"), t.text("a/dirlink"));
  t.call("linkat bad flags", SYS_linkat, AT_FDCWD, t.text("a/hard"), AT_FDCWD, t.text("x"), 0x1);
  t.call("symlinkat", SYS_symlinkat, t.text("b/moved"), directory, t.text("soft"));
  t.call("symlink exists", SYS_symlink, t.text("x"), t.text("a/soft"));
  t.call("readlink", SYS_readlink, t.text("a/soft"), buffer, 256);
  t.note(std::string("target: ") + t.pointer(buffer));
  t.call("readlink short", SYS_readlink, t.text("a/soft"), buffer, 3);
  t.call("readlink zero size", SYS_readlink, t.text("a/soft"), buffer, 0);
  t.call("readlink not a link", SYS_readlink, t.text("a/hard"), buffer, 256);
  t.call("readlinkat", SYS_readlinkat, directory, t.text("soft"), buffer, 256);
  note_directory(t, "a after links", "a");

  t.call("renameat2 noreplace", SYS_renameat2, AT_FDCWD, t.text("a/hard"), AT_FDCWD,
         t.text("a/soft"), RENAME_NOREPLACE);
  t.call("renameat2 exchange", SYS_renameat2, AT_FDCWD, t.text("a/hard"), AT_FDCWD,
         t.text("a/soft"), RENAME_EXCHANGE);
  t.call("renameat2 both", SYS_renameat2, AT_FDCWD, t.text("a/hard"), AT_FDCWD, t.text("a/soft"),
         RENAME_EXCHANGE | RENAME_NOREPLACE);
  t.call("renameat2 unknown flag", SYS_renameat2, AT_FDCWD, t.text("a/hard"), AT_FDCWD,
         t.text("a/soft"), 0x100);
  t.call("lstat after exchange", SYS_lstat, t.text("a/hard"), buffer);
  note_stat(t, "a/hard", buffer);
  t.call("mkdir empty", SYS_mkdir, t.text("a/empty"), 0755);
  t.call("rename onto non-empty", SYS_rename, t.text("a/empty"), t.text("a/b"));
  t.call("rename file onto directory", SYS_rename, t.text("a/soft"), t.text("a/empty"));
  t.call("rename directory onto empty", SYS_rename, t.text("a/b"), t.text("a/empty"));

  t.call_ok("getcwd", SYS_getcwd, buffer, 256);
  t.note("cwd: " + t.relative(t.pointer(buffer)));
  t.call("getcwd small", SYS_getcwd, buffer, 2);
  t.call("getcwd bad pointer", SYS_getcwd, bad_address, 256);
  t.call("chdir", SYS_chdir, t.text("a/empty"));
  t.call_ok("getcwd", SYS_getcwd, buffer, 256);
  t.note("cwd: " + t.relative(t.pointer(buffer)));
  t.call("chdir file", SYS_chdir, t.text("moved"));
  t.call("chdir missing", SYS_chdir, t.text("missing"));
  t.call("fchdir", SYS_fchdir, directory);
  t.call_ok("getcwd", SYS_getcwd, buffer, 256);
  t.note("cwd: " + t.relative(t.pointer(buffer)));
  t.call("fchdir bad", SYS_fchdir, 999);
  t.call("chdir parent", SYS_chdir, t.text(".."));

  t.call("rmdir non-empty", SYS_rmdir, t.text("a/empty"));
  t.call("unlink directory", SYS_unlink, t.text("a/empty"));
  t.call("rmdir file", SYS_rmdir, t.text("a/soft"));
  t.call("rmdir dot", SYS_rmdir, t.text("a/."));
  t.call("unlinkat bad flags", SYS_unlinkat, AT_FDCWD, t.text("a/soft"), 0x1);
  t.call("unlink", SYS_unlink, t.text("a/soft"));
  t.call("unlink", SYS_unlink, t.text("a/hard"));
  t.call("unlink", SYS_unlink, t.text("a/empty/moved"));
  t.call("unlinkat dir", SYS_unlinkat, directory, t.text("empty"), AT_REMOVEDIR);
  t.call("close", SYS_close, directory);
  t.call("rmdir", SYS_rmdir, t.text("a"));
}

void scenario_descriptors(Transcript& t) {
  uint64_t buffer = t.buffer(64);
  uint64_t ends = t.buffer(8);
  uint64_t lock = t.buffer(32);

  int64_t fd = t.call_fd("open", SYS_open, t.text("file"), O_CREAT | O_RDWR | O_TRUNC, 0644);
  t.call("write", SYS_write, fd, t.text("abcdef"), 6);
  t.call("lseek", SYS_lseek, fd, 0, SEEK_SET);
  int64_t copy = t.call_fd("dup", SYS_dup, fd);
  t.call("read through dup", SYS_read, copy, buffer, 2);
  t.call("shared offset", SYS_lseek, fd, 0, SEEK_CUR);
  t.call("dup bad", SYS_dup, 777);
  t.call("dup2 to 200", SYS_dup2, fd, 200);
  t.call("dup2 same", SYS_dup2, 200, 200);
  t.call("dup2 bad target", SYS_dup2, fd, -1);
  t.call("dup3 cloexec", SYS_dup3, fd, 201, O_CLOEXEC);
  t.call("dup3 same", SYS_dup3, fd, fd, 0);
  t.call("dup3 bad flags", SYS_dup3, fd, 202, O_APPEND);
  t.call("F_GETFD cloexec", SYS_fcntl, 201, F_GETFD);
  t.call("F_GETFD plain", SYS_fcntl, 200, F_GETFD);
  t.call("F_SETFD", SYS_fcntl, 200, F_SETFD, FD_CLOEXEC);
  t.call("F_GETFD after set", SYS_fcntl, 200, F_GETFD);
  t.call("F_DUPFD", SYS_fcntl, fd, F_DUPFD, 210);
  t.call("F_DUPFD next", SYS_fcntl, fd, F_DUPFD, 210);
  t.call("F_DUPFD_CLOEXEC", SYS_fcntl, fd, F_DUPFD_CLOEXEC, 220);
  t.call("F_GETFD of it", SYS_fcntl, 220, F_GETFD);
  t.call("F_DUPFD negative", SYS_fcntl, fd, F_DUPFD, -1);
  t.call("F_GETFL", SYS_fcntl, fd, F_GETFL);
  t.call("F_SETFL", SYS_fcntl, copy, F_SETFL, O_APPEND | O_NONBLOCK | O_RDONLY);
  t.call("F_GETFL shared", SYS_fcntl, fd, F_GETFL);
  t.call("unknown command", SYS_fcntl, fd, 0x7fff);
  t.call("unknown command bad fd", SYS_fcntl, 999, 0x7fff);

  struct flock request = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  std::memcpy(t.pointer(lock), &request, sizeof request);
  t.call("F_SETLK", SYS_fcntl, fd, F_SETLK, lock);
  t.call("F_GETLK", SYS_fcntl, fd, F_GETLK, lock);
  std::memcpy(&request, t.pointer(lock), sizeof request);
  t.note("F_GETLK type " + std::to_string(request.l_type));
  request.l_type = 9;
  std::memcpy(t.pointer(lock), &request, sizeof request);
  t.call("F_SETLK bad type", SYS_fcntl, fd, F_SETLK, lock);
  t.call("F_SETLK bad pointer", SYS_fcntl, fd, F_SETLK, bad_address);

  t.call("close_range", SYS_close_range, 210, 211, 0);
  t.call("close 210", SYS_close, 210);
  t.call("close_range cloexec", SYS_close_range, 200, 200, 4);
  t.call("F_GETFD after close_range", SYS_fcntl, 200, F_GETFD);
  t.call("close_range reversed", SYS_close_range, 5, 4, 0);
  t.call("close_range bad flags", SYS_close_range, 200, 200, 1);
  for (int number : {200, 201, 220}) {
    t.call("close " + std::to_string(number), SYS_close, number);
  }
  t.call("close", SYS_close, copy);
  t.call("close", SYS_close, fd);
  t.call("unlink", SYS_unlink, t.text("file"));

  t.call("pipe2 bad flags", SYS_pipe2, ends, 0x1);
  t.call("pipe bad pointer", SYS_pipe, bad_address);
  t.call("pipe2", SYS_pipe2, ends, O_NONBLOCK);
  int32_t pipe_ends[2];
  std::memcpy(pipe_ends, t.pointer(ends), sizeof pipe_ends);
  t.call("F_GETFL read end", SYS_fcntl, pipe_ends[0], F_GETFL);
  t.call("F_GETFL write end", SYS_fcntl, pipe_ends[1], F_GETFL);
  t.call("read empty", SYS_read, pipe_ends[0], buffer, 8);
  t.call("write", SYS_write, pipe_ends[1], t.text("ping"), 4);
  uint64_t count = t.buffer(4);
  t.call("FIONREAD", SYS_ioctl, pipe_ends[0], FIONREAD, count);
  int32_t available;
  std::memcpy(&available, t.pointer(count), 4);
  t.note("available " + std::to_string(available));
  t.call("TCGETS on pipe", SYS_ioctl, pipe_ends[0], TCGETS, buffer);
  t.call("FIOCLEX", SYS_ioctl, pipe_ends[0], FIOCLEX);
  t.call("F_GETFD", SYS_fcntl, pipe_ends[0], F_GETFD);
  t.call("FIONCLEX", SYS_ioctl, pipe_ends[0], FIONCLEX);
  t.call("F_GETFD", SYS_fcntl, pipe_ends[0], F_GETFD);
  uint64_t zero = t.buffer(4);
  t.call("FIONBIO off", SYS_ioctl, pipe_ends[0], FIONBIO, zero);
  t.call("F_GETFL", SYS_fcntl, pipe_ends[0], F_GETFL);
  t.call("lseek pipe", SYS_lseek, pipe_ends[0], 0, SEEK_SET);
  t.call("fsync pipe", SYS_fsync, pipe_ends[0]);

  uint64_t poll_set = t.buffer(16);
  struct pollfd entries[2] = {{static_cast<int>(pipe_ends[0]), POLLIN, 0},
                              {static_cast<int>(pipe_ends[1]), POLLOUT, 0}};
  std::memcpy(t.pointer(poll_set), entries, sizeof entries);
  t.call("poll", SYS_poll, poll_set, 2, 0);
  std::memcpy(entries, t.pointer(poll_set), sizeof entries);
  t.note("revents " + std::to_string(entries[0].revents) + " " +
         std::to_string(entries[1].revents));

  uint64_t read_set = t.buffer(sizeof(fd_set));
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(pipe_ends[0], &readable);
  std::memcpy(t.pointer(read_set), &readable, sizeof readable);
  uint64_t timeout = t.buffer(16);
  t.call("select", SYS_select, pipe_ends[0] + 1, read_set, 0, 0, timeout);
  std::memcpy(&readable, t.pointer(read_set), sizeof readable);
  t.note(std::string("select readable ") + (FD_ISSET(pipe_ends[0], &readable) ? "yes" : "no"));
  t.call("select negative", SYS_select, -1, 0, 0, 0, timeout);

  t.call("read", SYS_read, pipe_ends[0], buffer, 64);
  std::memcpy(t.pointer(poll_set), entries, sizeof entries);
  t.call("ppoll empty", SYS_ppoll, poll_set, 1, timeout, 0, 8);
  t.call("close write end", SYS_close, pipe_ends[1]);
  t.call("ppoll after close", SYS_ppoll, poll_set, 1, timeout, 0, 8);
  std::memcpy(entries, t.pointer(poll_set), sizeof entries);
  t.note("revents " + std::to_string(entries[0].revents));
  t.call("read at end", SYS_read, pipe_ends[0], buffer, 64);
  t.call("close read end", SYS_close, pipe_ends[0]);
}

class FileSyscallsMatchHost : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "litebox-shim-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    host_base_ = pattern;
    previous_directory_ = std::filesystem::current_path();
    std::filesystem::current_path(host_base_);
    previous_umask_ = umask(022);

    fs::PathContext paths{.root = vfs_.root(), .working_directory = vfs_.root(), .umask = 022};
    task_ = kernel_.create_first_task(paths);
    execution_.allow(shim_arena_.data(), shim_arena_.size());
    ShimSide shim(kernel_, *task_);
    Transcript setup(shim, shim_arena_, "");
    ASSERT_EQ(setup.call("mkdir", SYS_mkdir, setup.text("/work"), 0755), 0);
    ASSERT_EQ(setup.call("chdir", SYS_chdir, setup.text("/work")), 0);
  }

  void TearDown() override {
    umask(previous_umask_);
    std::filesystem::current_path(previous_directory_);
    std::error_code error;
    std::filesystem::remove_all(host_base_, error);
  }

  void expect_same(void (*scenario)(Transcript&)) {
    HostSide host;
    Transcript host_transcript(host, host_arena_, host_base_);
    scenario(host_transcript);

    ShimSide shim(kernel_, *task_);
    Transcript shim_transcript(shim, shim_arena_, "/work");
    scenario(shim_transcript);

    EXPECT_EQ(shim_transcript.joined(), host_transcript.joined());
  }

  FakeExecution execution_;
  fs::Vfs vfs_{fs::memfs::create()};
  Kernel kernel_{execution_, &vfs_};
  std::unique_ptr<Task> task_;
  std::vector<char> host_arena_ = std::vector<char>(64 * 1024);
  std::vector<char> shim_arena_ = std::vector<char>(64 * 1024);
  std::string host_base_;
  std::filesystem::path previous_directory_;
  mode_t previous_umask_ = 022;
};

TEST_F(FileSyscallsMatchHost, FileInputOutput) { expect_same(scenario_file_io); }

TEST_F(FileSyscallsMatchHost, StatAndAttributes) { expect_same(scenario_stat); }

TEST_F(FileSyscallsMatchHost, DirectoryOperations) { expect_same(scenario_directories); }

TEST_F(FileSyscallsMatchHost, DescriptorsAndPipes) { expect_same(scenario_descriptors); }

}  // namespace
}  // namespace litebox::shim::linux_abi
