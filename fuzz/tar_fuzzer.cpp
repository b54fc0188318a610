// libFuzzer target for the tar reader: parses the input as an archive,
// builds a TarFileSystem from it and walks every inode, reading all file
// data and symlink targets. Any crash, sanitizer report or broken invariant
// (checked with __builtin_trap) is a bug.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "litebox/fs/tar_file_system.hpp"
#include "litebox/platform/platform.hpp"
#include "mock_platform.hpp"

namespace {

using litebox::fs::DirectoryEntry;
using litebox::fs::FileType;
using litebox::fs::Inode;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

// Reads the whole file in odd-sized pieces and checks the total against
// st_size.
void read_file(Inode& inode, int64_t size) {
  std::vector<std::byte> buffer(4093);
  uint64_t offset = 0;
  while (true) {
    auto count = inode.read(offset, buffer);
    check(count.has_value());
    if (*count == 0) {
      break;
    }
    offset += *count;
  }
  check(offset == static_cast<uint64_t>(size));
}

void walk(const std::shared_ptr<Inode>& root) {
  std::vector<std::shared_ptr<Inode>> pending{root};
  while (!pending.empty()) {
    std::shared_ptr<Inode> directory = pending.back();
    pending.pop_back();

    std::vector<DirectoryEntry> entries;
    auto listed = directory->read_directory(0, [&](const DirectoryEntry& entry, uint64_t) {
      entries.push_back(entry);
      return true;
    });
    check(listed.has_value());
    check(directory->lookup("..").has_value());

    for (const DirectoryEntry& entry : entries) {
      if (entry.name == "." || entry.name == "..") {
        continue;
      }
      auto child = directory->lookup(entry.name);
      check(child.has_value());
      auto status = (*child)->stat();
      check(status.has_value());
      check(status->inode == entry.inode);

      switch (entry.type) {
        case FileType::directory:
          pending.push_back(*child);
          break;
        case FileType::regular:
          read_file(**child, status->size);
          break;
        case FileType::symlink:
          check((*child)->read_link().has_value());
          break;
        default:
          break;
      }
    }
  }
}

}  // namespace

// The reader reports what it reads to the platform, which must exist.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static litebox::platform::mock::MockPlatform platform;
  litebox::platform::set_current(platform.platform());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Safety: libFuzzer's buffer holds `size` readable bytes for this call,
  // and std::byte has the size and alignment of uint8_t.
  std::span<const std::byte> archive(reinterpret_cast<const std::byte*>(data), size);

  auto file_system = litebox::fs::TarFileSystem::create(archive, [](std::string_view) {});
  if (!file_system) {
    check(!file_system.error().message.empty());
    return 0;
  }
  walk((*file_system)->root());
  return 0;
}
