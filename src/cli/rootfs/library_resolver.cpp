#include "rootfs/library_resolver.hpp"

#include <sys/stat.h>

#include <cctype>
#include <deque>
#include <filesystem>
#include <map>
#include <ranges>
#include <set>

#include "rootfs/elf_file.hpp"

namespace litebox::rootfs {
namespace {

// One object of the closure, with what the search for its own DT_NEEDED
// entries uses.
struct LoadedObject {
  std::string path;
  std::string origin;  // directory for $ORIGIN
  ElfDependencies dependencies;
  int loader = -1;  // index of the object whose DT_NEEDED loaded this one
};

std::vector<std::string> split_search_path(const std::string& value) {
  std::vector<std::string> entries;
  for (auto part : std::views::split(value, ':')) {
    entries.emplace_back(part.begin(), part.end());
  }
  return entries;
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The file identity the loader uses to notice that two paths name the same
// object.
std::optional<std::pair<dev_t, ino_t>> file_identity(const std::string& path) {
  struct stat status {};
  if (stat(path.c_str(), &status) != 0) {
    return std::nullopt;
  }
  return std::pair{status.st_dev, status.st_ino};
}

// True if `path` is a loadable x86-64 ELF file; the loader skips files of
// another class or machine and keeps searching.
bool is_loadable(const std::string& path) {
  auto kind = classify_elf(path);
  return kind && *kind == ElfKind::x86_64;
}

}  // namespace

const std::vector<std::string>& LibraryResolver::default_directories() {
  static const std::vector<std::string> directories{
      "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/lib", "/usr/lib",
  };
  return directories;
}

std::optional<std::string> expand_dynamic_string_tokens(const std::string& entry,
                                                        const std::string& origin) {
  static const std::vector<std::pair<std::string, std::string>> tokens{
      {"ORIGIN", ""}, {"LIB", "lib/x86_64-linux-gnu"}, {"PLATFORM", "x86_64"}};

  std::string expanded;
  size_t position = 0;
  while (position < entry.size()) {
    if (entry[position] != '$') {
      expanded.push_back(entry[position++]);
      continue;
    }

    bool braced = position + 1 < entry.size() && entry[position + 1] == '{';
    size_t name_start = position + (braced ? 2 : 1);
    bool matched = false;
    for (const auto& [name, value] : tokens) {
      if (entry.compare(name_start, name.size(), name) != 0) {
        continue;
      }
      size_t name_end = name_start + name.size();
      if (braced) {
        if (name_end >= entry.size() || entry[name_end] != '}') {
          continue;
        }
        ++name_end;
      } else if (name_end < entry.size() &&
                 (std::isalnum(static_cast<unsigned char>(entry[name_end])) ||
                  entry[name_end] == '_')) {
        continue;  // a longer name such as $ORIGINAL is not this token
      }
      expanded += name == "ORIGIN" ? origin : value;
      position = name_end;
      matched = true;
      break;
    }
    if (!matched) {
      return std::nullopt;
    }
  }
  return expanded;
}

std::expected<LibraryClosure, std::string> LibraryResolver::resolve(const std::string& path) const {
  auto main_dependencies = read_elf_dependencies(path);
  if (!main_dependencies) {
    return std::unexpected(main_dependencies.error());
  }
  return resolve(path, *main_dependencies);
}

std::expected<LibraryClosure, std::string> LibraryResolver::resolve(
    const std::string& path, const ElfDependencies& main_dependencies) const {
  // A program that needs no library (a static one) has no closure to
  // follow, and none of the lookups below.
  if (main_dependencies.needed.empty()) {
    LibraryClosure closure;
    closure.interpreter = main_dependencies.interpreter;
    return closure;
  }

  if (!cache_) {
    auto cache = LdSoCache::load(ld_so_cache_path_);
    if (!cache) {
      return std::unexpected(cache.error());
    }
    cache_ = std::move(*cache);
  }

  // The loader takes $ORIGIN of the main program from /proc/self/exe, a path
  // without symlinks.
  std::error_code error;
  auto canonical = std::filesystem::canonical(path, error);
  if (error) {
    return std::unexpected(path + ": " + error.message());
  }

  LibraryClosure closure;
  closure.interpreter = main_dependencies.interpreter;

  std::vector<LoadedObject> objects;
  objects.push_back(LoadedObject{
      .path = path,
      .origin = directory_of(canonical.string()),
      .dependencies = main_dependencies,
  });

  std::set<std::string> loaded_names;
  std::set<std::pair<dev_t, ino_t>> loaded_files;
  if (auto identity = file_identity(path)) {
    loaded_files.insert(*identity);
  }

  // Searches one directory list for `name` and returns the first loadable
  // candidate.
  auto search_directories = [&](const std::string& search_path, const std::string& origin,
                                const std::string& name) -> std::optional<std::string> {
    for (const std::string& entry : split_search_path(search_path)) {
      // TODO: glibc treats an empty entry as the working directory; the
      // image builder skips it because the guest's working directory is
      // unknown here.
      if (entry.empty()) {
        continue;
      }
      auto directory = expand_dynamic_string_tokens(entry, origin);
      if (!directory) {
        continue;
      }
      std::string candidate = *directory + "/" + name;
      if (is_loadable(candidate)) {
        return candidate;
      }
    }
    return std::nullopt;
  };

  auto find_library = [&](size_t requester, const std::string& name) -> std::optional<std::string> {
    const LoadedObject& object = objects[requester];
    if (name.find('/') != std::string::npos) {
      auto expanded = expand_dynamic_string_tokens(name, object.origin);
      if (expanded && is_loadable(*expanded)) {
        return expanded;
      }
      return std::nullopt;
    }

    if (!object.dependencies.runpath) {
      for (int index = static_cast<int>(requester); index >= 0; index = objects[index].loader) {
        const LoadedObject& loader = objects[static_cast<size_t>(index)];
        if (loader.dependencies.rpath) {
          if (auto found = search_directories(*loader.dependencies.rpath, loader.origin, name)) {
            return found;
          }
        }
      }
    } else if (auto found = search_directories(*object.dependencies.runpath, object.origin, name)) {
      return found;
    }

    if (auto cached = cache_->find(name); cached && is_loadable(*cached)) {
      return cached;
    }

    for (const std::string& directory : default_directories()) {
      std::string candidate = directory + "/" + name;
      if (is_loadable(candidate)) {
        return candidate;
      }
    }
    return std::nullopt;
  };

  // The loader maps DT_NEEDED entries breadth first, and a name it has
  // already loaded (by DT_NEEDED name or by soname) is not searched again.
  std::deque<size_t> queue{0};
  while (!queue.empty()) {
    size_t requester = queue.front();
    queue.pop_front();

    std::vector<std::string> needed = objects[requester].dependencies.needed;
    for (const std::string& name : needed) {
      if (loaded_names.contains(name)) {
        continue;
      }
      auto found = find_library(requester, name);
      if (!found) {
        closure.missing.push_back({name, objects[requester].path});
        loaded_names.insert(name);
        continue;
      }
      loaded_names.insert(name);
      // The guest's loader opens this path even when it names a file that is
      // already loaded, so the image needs the path itself.
      closure.libraries.push_back(*found);

      auto identity = file_identity(*found);
      if (identity && !loaded_files.insert(*identity).second) {
        continue;
      }
      auto dependencies = read_elf_dependencies(*found);
      if (!dependencies) {
        return std::unexpected(dependencies.error());
      }
      if (dependencies->soname) {
        loaded_names.insert(*dependencies->soname);
      }

      objects.push_back(LoadedObject{
          .path = *found,
          .origin = directory_of(*found),
          .dependencies = std::move(*dependencies),
          .loader = static_cast<int>(requester),
      });
      queue.push_back(objects.size() - 1);
    }
  }
  return closure;
}

}  // namespace litebox::rootfs
