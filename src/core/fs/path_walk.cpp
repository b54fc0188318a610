// Path resolution: the component walk, "." and "..", symlinks and mount
// crossings.
#include "path_walk.hpp"

#include "litebox/fd/open_file_inode.hpp"

namespace litebox::fs {

Result<void> validate_path(std::string_view path) {
  if (path.size() >= path_max) {
    return fail(Errno::enametoolong);
  }
  if (path.empty()) {
    return fail(Errno::enoent);
  }
  return {};
}

bool is_directory(const Stat& status) { return file_type_of(status.mode) == FileType::directory; }
bool is_symlink(const Stat& status) { return file_type_of(status.mode) == FileType::symlink; }

Result<ParentPath> PathWalker::walk_to_parent(const Location& start, std::string_view path) {
  Location current = path.starts_with('/') ? context_.root : start;

  size_t end = path.find_last_not_of('/');
  if (end == std::string_view::npos) {
    return ParentPath{.parent = current, .name = {}, .kind = LastComponent::root};
  }
  bool trailing_slash = end + 1 < path.size();
  std::string_view body = path.substr(0, end + 1);
  size_t last_slash = body.rfind('/');
  std::string_view last = last_slash == std::string_view::npos ? body : body.substr(last_slash + 1);
  std::string_view directories =
      last_slash == std::string_view::npos ? std::string_view{} : body.substr(0, last_slash);

  while (!directories.empty()) {
    size_t slash = directories.find('/');
    std::string_view component = directories.substr(0, slash);
    directories =
        slash == std::string_view::npos ? std::string_view{} : directories.substr(slash + 1);
    if (component.empty()) {
      continue;
    }
    current = TRY(step(current, component));
  }

  // Linux checks search permission on the directory before looking up the
  // last component, whatever the call does with it.
  TRY_VOID(check_searchable(current));

  LastComponent kind = LastComponent::normal;
  if (last == ".") {
    kind = LastComponent::dot;
  } else if (last == "..") {
    kind = LastComponent::dot_dot;
  } else if (last.size() > name_max) {
    return fail(Errno::enametoolong);
  }
  return ParentPath{.parent = std::move(current),
                    .name = std::string(last),
                    .kind = kind,
                    .trailing_slash = trailing_slash};
}

Result<Location> PathWalker::resolve_last(const ParentPath& path, bool follow) {
  Location result;
  switch (path.kind) {
    case LastComponent::root:
    case LastComponent::dot:
      result = path.parent;
      final_entry_ = FinalEntry{.directory = result, .name = {}, .magic_link_file = nullptr};
      break;
    case LastComponent::dot_dot:
      result = TRY(parent_of(path.parent));
      final_entry_ = FinalEntry{.directory = result, .name = {}, .magic_link_file = nullptr};
      break;
    case LastComponent::normal:
      result = TRY(lookup_child(path.parent, path.name));
      // A symlink followed below records its own final entry.
      final_entry_ =
          FinalEntry{.directory = path.parent, .name = path.name, .magic_link_file = nullptr};
      if (follow || path.trailing_slash) {
        Stat status = TRY(status_of(result));
        if (is_symlink(status)) {
          result = TRY(follow_symlink(path.parent, result));
        }
      }
      break;
  }

  if (path.trailing_slash) {
    Stat status = TRY(status_of(result));
    if (!is_directory(status)) {
      return fail(Errno::enotdir);
    }
  }
  return result;
}

Result<Location> PathWalker::resolve(const Location& start, std::string_view path, bool follow) {
  ParentPath parent_path = TRY(walk_to_parent(start, path));
  return resolve_last(parent_path, follow);
}

Result<void> PathWalker::count_follow() {
  if (++follows_ > max_symlink_follows) {
    return fail(Errno::eloop);
  }
  return {};
}

Result<Location> PathWalker::follow_symlink(const Location& directory, const Location& link) {
  TRY_VOID(count_follow());

  std::shared_ptr<fd::File> file = TRY(link.inode->magic_link_file());
  if (file) {
    final_entry_ = FinalEntry{.directory = {}, .name = {}, .magic_link_file = file};
    return location_of_open_file(file);
  }

  std::string target = TRY(link.inode->read_link());
  if (target.empty()) {
    return fail(Errno::enoent);
  }

  // An absolute target starts again from the process root.
  return resolve(directory, target, true);
}

Location location_of_open_file(const std::shared_ptr<fd::File>& file) {
  if (std::shared_ptr<Inode> inode = file->inode()) {
    return Location{file->mount(), std::move(inode)};
  }
  return Location{nullptr, std::make_shared<fd::OpenFileInode>(file)};
}

Result<Location> PathWalker::parent_of(Location directory) {
  while (!same_location(directory, context_.root)) {
    const std::shared_ptr<Mount>& mount = directory.mount;
    if (!mount->parent() || !same_inode(*directory.inode, *mount->root())) {
      break;
    }
    directory = mount->mount_point();
  }
  if (same_location(directory, context_.root)) {
    return directory;
  }

  std::shared_ptr<Inode> parent = TRY(directory.inode->lookup(".."));
  return enter_mounts(Location{directory.mount, std::move(parent)});
}

Result<Location> PathWalker::lookup_child(const Location& directory, std::string_view name) {
  Location child = TRY(lookup_entry(directory, name));
  return enter_mounts(std::move(child));
}

Result<Location> PathWalker::lookup_entry(const Location& directory, std::string_view name) {
  std::shared_ptr<Inode> child = TRY(directory.inode->lookup(name));
  return Location{directory.mount, std::move(child)};
}

Result<void> PathWalker::check_searchable(const Location& directory) {
  Stat status = TRY(status_of(directory));
  if (!is_directory(status)) {
    return fail(Errno::enotdir);
  }
  return Vfs::check_permission(context_.credentials, status, access_execute);
}

Result<Location> PathWalker::step(const Location& directory, std::string_view component) {
  TRY_VOID(check_searchable(directory));

  if (component == ".") {
    return directory;
  }
  if (component == "..") {
    return parent_of(directory);
  }
  if (component.size() > name_max) {
    return fail(Errno::enametoolong);
  }

  Location child = TRY(lookup_child(directory, component));
  Stat status = TRY(status_of(child));
  if (is_symlink(status)) {
    return follow_symlink(directory, child);
  }
  return child;
}

Result<Location> PathWalker::enter_mounts(Location location) {
  while (vfs_.may_have_mounts_below(location.mount)) {
    // Only a directory can be a mount point (Vfs::mount).
    auto status = status_of(location);
    if (!status || !is_directory(*status)) {
      break;
    }
    std::shared_ptr<Mount> mounted = vfs_.mount_at(location.mount, *status);
    if (!mounted) {
      break;
    }
    location = Location{mounted, mounted->root()};
  }
  return location;
}

Result<Stat> PathWalker::status_of(const Location& location) {
  if (status_inode_ != location.inode) {
    status_ = TRY(location.inode->stat());
    status_inode_ = location.inode;
  }
  return status_;
}

}  // namespace litebox::fs
