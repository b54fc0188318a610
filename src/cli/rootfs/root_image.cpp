#include "rootfs/root_image.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ranges>

namespace litebox::rootfs {
namespace {

// Linux gives up path resolution after this many symlinks (ELOOP).
constexpr int max_symlink_follows = 40;

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> components;
  for (auto part : std::views::split(path, '/')) {
    std::string component(part.begin(), part.end());
    if (!component.empty() && component != ".") {
      components.push_back(std::move(component));
    }
  }
  return components;
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string join(const std::string& directory, const std::string& name) {
  return directory == "/" ? "/" + name : directory + "/" + name;
}

std::expected<std::string, std::string> read_link(const std::string& path) {
  std::string target(4096, '\0');
  ssize_t length = readlink(path.c_str(), target.data(), target.size());
  if (length < 0) {
    return std::unexpected(path + ": readlink failed: " + std::strerror(errno));
  }
  target.resize(static_cast<size_t>(length));
  return target;
}

}  // namespace

std::expected<std::string, std::string> working_directory() {
  std::string directory(256, '\0');
  while (getcwd(directory.data(), directory.size()) == nullptr) {
    if (errno != ERANGE) {
      return std::unexpected(std::strerror(errno));
    }
    directory.resize(directory.size() * 2);
  }
  directory.resize(std::strlen(directory.c_str()));
  return directory;
}

std::expected<std::string, std::string> RootImage::add_path(const std::string& host_path) {
  if (host_path.starts_with('/')) {
    return add_path_from("/", split_path(host_path), 0);
  }
  auto directory = working_directory();
  if (!directory) {
    return std::unexpected(host_path + ": " + directory.error());
  }
  return add_path_from("/", split_path(*directory + "/" + host_path), 0);
}

// Walks `components` from the symlink-free directory `resolved_prefix`,
// recording each object met. A symlink restarts the walk at its target with
// the components that remain.
std::expected<std::string, std::string> RootImage::add_path_from(
    const std::string& resolved_prefix, std::vector<std::string> components,
    int symlinks_followed) {
  std::string current = resolved_prefix;
  for (size_t index = 0; index < components.size(); ++index) {
    const std::string& component = components[index];
    if (component == "..") {
      current = parent_of(current);
      continue;
    }

    std::string next = join(current, component);
    struct stat status {};
    if (lstat(next.c_str(), &status) != 0) {
      return std::unexpected(next + ": " + std::strerror(errno));
    }
    RootEntry entry{
        .path = next,
        .mode = static_cast<uint32_t>(status.st_mode) & 07777,
        .modification_time = status.st_mtim.tv_sec,
    };

    if (S_ISLNK(status.st_mode)) {
      if (symlinks_followed >= max_symlink_follows) {
        return std::unexpected(next + ": too many levels of symbolic links");
      }
      auto target = read_link(next);
      if (!target) {
        return std::unexpected(target.error());
      }
      entry.kind = EntryKind::symlink;
      entry.source = *target;
      entry.mode = 0777;
      entries_.try_emplace(next, std::move(entry));

      std::vector<std::string> rest = split_path(*target);
      rest.insert(rest.end(), components.begin() + static_cast<ptrdiff_t>(index) + 1,
                  components.end());
      std::string start = target->starts_with('/') ? "/" : current;
      return add_path_from(start, std::move(rest), symlinks_followed + 1);
    }

    if (S_ISDIR(status.st_mode)) {
      entry.kind = EntryKind::directory;
      entries_.try_emplace(next, std::move(entry));
      current = next;
      continue;
    }

    if (index + 1 != components.size()) {
      return std::unexpected(next + ": not a directory");
    }
    if (!S_ISREG(status.st_mode)) {
      return std::unexpected(next + ": not a regular file, directory or symlink");
    }
    entry.kind = EntryKind::regular_file;
    entry.source = next;
    entry.size = static_cast<uint64_t>(status.st_size);
    entries_.try_emplace(next, std::move(entry));
    return next;
  }
  return current;
}

std::expected<std::vector<std::string>, std::string> RootImage::add_tree(
    const std::string& host_path, std::vector<std::string>& warnings) {
  auto root = add_path(host_path);
  if (!root) {
    return std::unexpected(root.error());
  }

  std::vector<std::string> files;
  std::error_code error;
  if (!std::filesystem::is_directory(*root, error)) {
    files.push_back(*root);
    return files;
  }

  // Sorted traversal keeps the warnings deterministic.
  std::vector<std::string> pending{*root};
  while (!pending.empty()) {
    std::string directory = std::move(pending.back());
    pending.pop_back();

    std::vector<std::string> children;
    for (const auto& child : std::filesystem::directory_iterator(directory, error)) {
      children.push_back(child.path().string());
    }
    if (error) {
      return std::unexpected(directory + ": " + error.message());
    }
    std::ranges::sort(children);

    for (const std::string& child : children) {
      struct stat status {};
      if (lstat(child.c_str(), &status) != 0) {
        return std::unexpected(child + ": " + std::strerror(errno));
      }
      if (!S_ISDIR(status.st_mode) && !S_ISREG(status.st_mode) && !S_ISLNK(status.st_mode)) {
        warnings.push_back(child + ": skipped (not a regular file, directory or symlink)");
        continue;
      }

      auto added = add_path(child);
      if (!added && S_ISLNK(status.st_mode)) {
        // add_path recorded the symlink before it failed on the target.
        warnings.push_back(child + ": symlink target not found, kept dangling");
        continue;
      }
      if (!added) {
        return std::unexpected(added.error());
      }

      if (S_ISDIR(status.st_mode)) {
        pending.push_back(*added);
      } else if (std::filesystem::is_regular_file(*added, error)) {
        files.push_back(*added);
      }
    }
  }
  std::ranges::sort(files);
  return files;
}

void RootImage::add_directory(const std::string& path, uint32_t mode, int64_t modification_time) {
  entries_.try_emplace(path, RootEntry{.path = path,
                                       .kind = EntryKind::directory,
                                       .mode = mode,
                                       .modification_time = modification_time});
}

std::vector<RootEntry> RootImage::entries() const {
  std::vector<RootEntry> sorted;
  sorted.reserve(entries_.size());
  for (const auto& [path, entry] : entries_) {
    sorted.push_back(entry);
  }
  return sorted;
}

}  // namespace litebox::rootfs
