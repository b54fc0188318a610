#include "rootfs/rootfs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <ext/stdio_filebuf.h>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <ranges>
#include <set>
#include <sstream>

#include "rootfs/elf_file.hpp"
#include "rootfs/library_resolver.hpp"
#include "rootfs/linker_script.hpp"
#include "rootfs/tar_writer.hpp"

namespace litebox::rootfs {
namespace {

// Linux runs at most this many nested #! scripts before the ELF program
// and fails a sixth with ELOOP (measured on Linux 6.18).
constexpr int max_interpreter_depth = 5;

// Mount points that `litebox run` fills with devfs, procfs and sysfs, and
// the directory /tmp.
struct MountPoint {
  const char* path;
  uint32_t mode;
};
constexpr MountPoint mount_points[] = {
    {"/dev", 0755}, {"/proc", 0555}, {"/sys", 0555}, {"/tmp", 01777}};

// Top-level directories that a merged-/usr host makes symlinks into /usr.
constexpr const char* merged_usr_links[] = {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"};

bool is_executable_file(const std::string& path, const struct stat& status) {
  return S_ISREG(status.st_mode) && access(path.c_str(), X_OK) == 0;
}

bool is_executable_file(const std::string& path) {
  struct stat status {};
  return stat(path.c_str(), &status) == 0 && is_executable_file(path, status);
}

// The interpreter line of a script: the interpreter path and the optional
// single argument, split as Linux splits it (at the first blank).
struct ScriptInterpreter {
  std::string path;
  std::string argument;
};

// Parses the first line of a file, without its newline, as a #! line.
std::optional<ScriptInterpreter> parse_script_interpreter(std::string_view line) {
  if (!line.starts_with("#!")) {
    return std::nullopt;
  }

  std::string_view rest(line);
  rest.remove_prefix(2);
  auto is_blank = [](char character) {
    return character == ' ' || character == '\t' || character == '\r';
  };
  while (!rest.empty() && is_blank(rest.front())) {
    rest.remove_prefix(1);
  }
  while (!rest.empty() && is_blank(rest.back())) {
    rest.remove_suffix(1);
  }
  if (rest.empty()) {
    return std::nullopt;
  }

  auto blank = std::ranges::find_if(rest, is_blank);
  ScriptInterpreter interpreter{.path = std::string(rest.begin(), blank)};
  std::string_view argument(blank, rest.end());
  while (!argument.empty() && is_blank(argument.front())) {
    argument.remove_prefix(1);
  }
  interpreter.argument = argument;
  return interpreter;
}

std::optional<ScriptInterpreter> read_script_interpreter(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::string line;
  if (!std::getline(file, line)) {
    return std::nullopt;
  }
  return parse_script_interpreter(line);
}

std::optional<ScriptInterpreter> read_script_interpreter(std::span<const std::byte> contents) {
  // Safety: the bytes of a file are read as characters.
  const std::string_view text(reinterpret_cast<const char*>(contents.data()), contents.size());
  if (text.empty()) {
    return std::nullopt;
  }
  return parse_script_interpreter(text.substr(0, text.find('\n')));
}

// The program that "#!/usr/bin/env NAME" or "#!/usr/bin/env -S NAME ARGS"
// runs, or empty if `interpreter` is no env or gives it other options.
std::string env_program(const ScriptInterpreter& interpreter) {
  if (std::filesystem::path(interpreter.path).filename() != "env") {
    return {};
  }
  std::string_view words = interpreter.argument;
  if (words.starts_with("-S")) {
    words.remove_prefix(2);
    words.remove_prefix(std::min(words.find_first_not_of(" \t"), words.size()));
  }
  if (words.empty() || words.starts_with('-')) {
    return {};
  }
  return std::string(words.substr(0, words.find_first_of(" \t")));
}

// Gathers the entries of one root, following programs, interpreters and
// libraries.
class RootBuilder {
 public:
  RootBuilder(const RootRequest& request, LibraryResolver resolver)
      : request_(request), resolver_(std::move(resolver)) {}

  // Adds the program `name` (found as execvp(3) finds it in `search_path`)
  // with what it needs, and returns its absolute host path.
  std::expected<std::string, std::string> add_program(const std::string& name, int depth,
                                                      const std::string& search_path);
  std::expected<void, std::string> add_include(const std::string& path);
  // Adds the files that the GNU ld script `script` names, if it is one,
  // with their libraries. `depth` counts scripts that name scripts.
  void add_linker_script_inputs(const std::string& script, int depth);
  std::expected<void, std::string> add_library_closure(const std::string& path,
                                                       const ElfDependencies& dependencies,
                                                       bool required);

  // Adds the #! interpreter `name` that find_program rejected, if the host
  // has something at that path, so that the loader reports the problem
  // (missing, a directory, not executable) with execve's errno. Returns
  // `name`.
  std::string add_unusable_interpreter(const std::string& name);

  RootImage& image() { return image_; }
  std::vector<std::string>& warnings() { return warnings_; }
  // True once an object with an ELF interpreter or a DT_NEEDED entry was
  // added: its loader reads the library cache.
  bool uses_dynamic_loader() const { return uses_dynamic_loader_; }

 private:
  const RootRequest& request_;
  LibraryResolver resolver_;
  RootImage image_;
  std::vector<std::string> warnings_;
  std::set<std::string> closures_done_;
  bool uses_dynamic_loader_ = false;
};

std::expected<void, std::string> RootBuilder::add_library_closure(
    const std::string& path, const ElfDependencies& dependencies, bool required) {
  if (dependencies.interpreter || !dependencies.needed.empty()) {
    uses_dynamic_loader_ = true;
  }
  if (!closures_done_.insert(path).second) {
    return {};
  }

  auto closure = resolver_.resolve(path, dependencies);
  if (!closure) {
    return std::unexpected(closure.error());
  }

  if (closure->interpreter) {
    auto added = image_.add_path(*closure->interpreter);
    if (!added) {
      return std::unexpected("ELF interpreter of " + path + " not found: " + added.error());
    }
  }
  for (const std::string& library : closure->libraries) {
    auto added = image_.add_path(library);
    if (!added) {
      return std::unexpected(added.error());
    }
  }

  for (const MissingLibrary& missing : closure->missing) {
    std::string message = "library " + missing.name + " needed by " + missing.needed_by +
                          " not found in its DT_RPATH/DT_RUNPATH, /etc/ld.so.cache or the "
                          "default directories";
    if (required) {
      return std::unexpected(message + "; install it or add its directory with --include");
    }
    warnings_.push_back(message);
  }
  return {};
}

std::string RootBuilder::add_unusable_interpreter(const std::string& name) {
  struct stat status {};
  if (name.find('/') != std::string::npos && lstat(name.c_str(), &status) == 0) {
    // A failure leaves the path out, and the loader then reports it missing.
    (void)image_.add_path(name);
  }
  return name;
}

std::expected<std::string, std::string> RootBuilder::add_program(const std::string& name, int depth,
                                                                 const std::string& search_path) {
  const bool requested = depth == 0;
  std::expected<std::string, std::string> path = name;
  if (!requested || !request_.programs_found) {
    path = find_program(name, search_path);
    if (!path && !requested && request_.defer_program_errors) {
      return add_unusable_interpreter(name);
    }
    if (!path) {
      return std::unexpected(path.error());
    }
  }

  auto added = image_.add_path(*path);
  if (!added) {
    return std::unexpected(added.error());
  }

  std::optional<std::span<const std::byte>> contents;
  if (requested && request_.read_program) {
    auto read = request_.read_program(*added);
    if (!read) {
      return std::unexpected(read.error());
    }
    contents = *read;
  }
  auto elf = contents ? read_elf_file(*contents, *added) : read_elf_file(*added);
  if (!elf) {
    if (request_.defer_program_errors) {
      return path;
    }
    return std::unexpected(elf.error());
  }
  if (elf->kind == ElfKind::x86_64) {
    if (auto closure = add_library_closure(*path, elf->dependencies, true); !closure) {
      return std::unexpected(closure.error());
    }
    return path;
  }
  if (elf->kind == ElfKind::incompatible) {
    if (request_.defer_program_errors) {
      return path;
    }
    warnings_.push_back(*path + ": not an x86-64 ELF file, included as a plain file");
    return path;
  }

  auto interpreter =
      contents ? read_script_interpreter(*contents) : read_script_interpreter(*added);
  if (!interpreter) {
    return path;  // a data file or a script without #!
  }
  if (depth >= max_interpreter_depth) {
    if (request_.defer_program_errors) {
      return path;
    }
    return std::unexpected(*path + ": too many nested #! interpreters");
  }
  if (auto nested = add_program(interpreter->path, depth + 1, request_.search_path); !nested) {
    return std::unexpected("#! interpreter of " + *path + ": " + nested.error());
  }

  // "#!/usr/bin/env NAME" and "#!/usr/bin/env -S NAME ARGS" start NAME
  // from the sandbox's PATH, so NAME belongs in the image too.
  const std::string program = env_program(*interpreter);
  if (!program.empty()) {
    const std::string& env_path = request_.env_search_path.value_or(request_.search_path);
    if (auto nested = add_program(program, depth + 1, env_path); !nested) {
      return std::unexpected("program run by #!" + interpreter->path + " in " + *path + ": " +
                             nested.error());
    }
  }
  return path;
}

std::expected<void, std::string> RootBuilder::add_include(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, error))) {
    return std::unexpected("--include " + path +
                           ": no such file or directory; give an existing host path");
  }

  auto files = image_.add_tree(path, warnings_);
  if (!files) {
    return std::unexpected("--include " + path + ": " + files.error());
  }

  for (const std::string& file : *files) {
    auto kind = classify_elf(file);
    if (!kind) {
      return std::unexpected(kind.error());
    }
    if (*kind == ElfKind::not_elf) {
      add_linker_script_inputs(file, 0);
      continue;
    }
    if (*kind != ElfKind::x86_64) {
      continue;
    }
    // Files in an included tree may be plugins that are never loaded, so a
    // library missing from their closure is a warning, not an error.
    auto dependencies = read_elf_dependencies(file);
    if (!dependencies) {
      warnings_.push_back(dependencies.error());
      continue;
    }
    if (auto closure = add_library_closure(file, *dependencies, false); !closure) {
      warnings_.push_back(closure.error());
    }
  }
  return {};
}

namespace {

// Directories where a name in an ld script that is not a path is looked
// for after the script's own directory: Debian's library directories on
// x86-64, which GNU ld searches by default.
constexpr std::array<const char*, 6> library_directories = {"/lib/x86_64-linux-gnu",
                                                            "/usr/lib/x86_64-linux-gnu",
                                                            "/lib64",
                                                            "/usr/lib64",
                                                            "/lib",
                                                            "/usr/lib"};

// Scripts larger than this are not library stand-ins.
constexpr std::uintmax_t max_linker_script_size = 64 * 1024;

// Returns the host file that the ld script input `input` of `script` names,
// or nothing. `-lNAME` becomes libNAME.so or libNAME.a.
std::optional<std::string> find_linker_script_input(const std::string& script,
                                                    const std::string& input) {
  std::vector<std::string> names;
  if (input.starts_with("-l")) {
    names = {"lib" + input.substr(2) + ".so", "lib" + input.substr(2) + ".a"};
  } else if (input.starts_with('/')) {
    return std::filesystem::exists(input) ? std::optional(input) : std::nullopt;
  } else {
    names = {input};
  }

  std::vector<std::filesystem::path> directories = {std::filesystem::path(script).parent_path()};
  directories.insert(directories.end(), library_directories.begin(), library_directories.end());
  for (const std::filesystem::path& directory : directories) {
    for (const std::string& name : names) {
      std::error_code error;
      const std::filesystem::path candidate = directory / name;
      if (std::filesystem::exists(candidate, error)) {
        return candidate.string();
      }
    }
  }
  return std::nullopt;
}

}  // namespace

void RootBuilder::add_linker_script_inputs(const std::string& script, int depth) {
  constexpr int max_depth = 4;
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(script, error);
  if (error || size > max_linker_script_size || depth > max_depth) {
    return;
  }
  const std::string name = std::filesystem::path(script).filename().string();
  if (name.find(".so") == std::string::npos && !name.ends_with(".a")) {
    return;
  }
  std::ifstream file(script, std::ios::binary);
  std::string text(static_cast<size_t>(size), '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  if (!is_linker_script(text)) {
    return;
  }

  for (const std::string& input : linker_script_inputs(text)) {
    const std::optional<std::string> found = find_linker_script_input(script, input);
    if (!found) {
      warnings_.push_back(script + ": the ld script names " + input +
                          ", which is not on the host; a link that uses the script fails");
      continue;
    }
    if (auto added = image_.add_path(*found); !added) {
      warnings_.push_back(added.error());
      continue;
    }
    auto kind = classify_elf(*found);
    if (kind && *kind == ElfKind::not_elf) {
      add_linker_script_inputs(*found, depth + 1);
      continue;
    }
    if (!kind || *kind != ElfKind::x86_64) {
      continue;
    }
    auto dependencies = read_elf_dependencies(*found);
    if (!dependencies) {
      warnings_.push_back(dependencies.error());
      continue;
    }
    if (auto closure = add_library_closure(*found, *dependencies, false); !closure) {
      warnings_.push_back(closure.error());
    }
  }
}

// Adds the library cache at `path` when the host has one. The guest's own
// loader reads the cache too, so libraries found through it on the host are
// found at the same paths in the sandbox.
std::expected<void, std::string> add_ld_so_cache(RootImage& image, const std::string& path) {
  struct stat status {};
  if (stat(path.c_str(), &status) != 0) {
    return {};
  }
  if (auto added = image.add_path(path); !added) {
    return std::unexpected(added.error());
  }
  return {};
}

// Replaces the absolute path `normal`, whose components begin at the
// offsets in `starts`, by its host realpath(3), so that a following ".."
// goes where the kernel's would. A path that cannot be resolved (it does
// not exist) stays as it is.
void resolve_symlinks(std::string& normal, std::vector<size_t>& starts) {
  char* resolved = realpath(normal.empty() ? "/" : normal.c_str(), nullptr);
  if (resolved == nullptr) {
    return;
  }
  const std::string real(resolved);
  std::free(resolved);
  normal.clear();
  starts.clear();
  if (real == "/") {
    return;
  }
  normal = real;
  for (size_t offset = 0; offset < normal.size(); offset = normal.find('/', offset + 1)) {
    starts.push_back(offset);
  }
}

// Adds each of merged_usr_links that is a symlink to a directory on the
// host, with its target directory but not the directory's contents.
std::expected<void, std::string> add_merged_usr_links(RootImage& image) {
  for (const char* link : merged_usr_links) {
    struct stat link_status {};
    struct stat target_status {};
    if (lstat(link, &link_status) != 0 || !S_ISLNK(link_status.st_mode) ||
        stat(link, &target_status) != 0 || !S_ISDIR(target_status.st_mode)) {
      continue;
    }
    if (auto added = image.add_path(link); !added) {
      return std::unexpected(added.error());
    }
  }
  return {};
}

}  // namespace

std::expected<std::string, std::string> absolute_path(const std::string& path) {
  std::string joined = path;
  if (!path.starts_with('/')) {
    auto directory = working_directory();
    if (!directory) {
      return std::unexpected(path + ": reading the working directory failed: " + directory.error());
    }
    joined = *directory + "/" + path;
  }

  // Each kept component is "/NAME" in `normal`, and `starts` records where
  // each one begins, so that ".." can drop the last one.
  std::string normal;
  std::vector<size_t> starts;
  size_t begin = 0;
  while (begin <= joined.size()) {
    size_t end = joined.find('/', begin);
    if (end == std::string::npos) {
      end = joined.size();
    }
    const std::string_view component(joined.data() + begin, end - begin);
    begin = end + 1;
    if (component.empty() || component == ".") {
      continue;
    }
    if (component == "..") {
      resolve_symlinks(normal, starts);
      if (!starts.empty()) {
        normal.resize(starts.back());
        starts.pop_back();
      }
      continue;
    }
    starts.push_back(normal.size());
    normal += '/';
    normal += component;
  }
  return normal.empty() ? "/" : normal;
}

std::expected<std::string, std::string> find_program(const std::string& program,
                                                     const std::string& search_path) {
  if (program.empty()) {
    return std::unexpected("empty program name; give a program name or path");
  }
  if (program.find('/') != std::string::npos) {
    struct stat status {};
    if (stat(program.c_str(), &status) != 0) {
      return std::unexpected("program " + program + " not found; check the path");
    }
    if (!is_executable_file(program, status)) {
      return std::unexpected("program " + program +
                             " is not an executable regular file; check the path and its mode");
    }
    return absolute_path(program);
  }

  for (auto part : std::views::split(search_path, ':')) {
    std::string directory(part.begin(), part.end());
    if (directory.empty()) {
      directory = ".";
    }
    std::string candidate = directory + "/" + program;
    if (is_executable_file(candidate)) {
      return absolute_path(candidate);
    }
  }
  return std::unexpected("program " + program +
                         " not found in PATH; give its path or install it on the host");
}

std::expected<Root, std::string> build_root(const RootRequest& request) {
  RootBuilder builder(request, LibraryResolver(request.ld_so_cache));
  // The mount points are new directories, as a freshly mounted file system
  // is, so they carry the time the root is built.
  const int64_t now = time(nullptr);
  for (const MountPoint& mount_point : mount_points) {
    builder.image().add_directory(mount_point.path, mount_point.mode, now);
  }

  if (!request.ld_so_cache_only_when_used) {
    if (auto added = add_ld_so_cache(builder.image(), request.ld_so_cache); !added) {
      return std::unexpected(added.error());
    }
  }
  if (request.merged_usr_links) {
    if (auto added = add_merged_usr_links(builder.image()); !added) {
      return std::unexpected(added.error());
    }
  }

  Root root;
  for (const std::string& program : request.programs) {
    auto added = builder.add_program(program, 0, request.search_path);
    if (!added) {
      return std::unexpected(added.error());
    }
    root.program_paths.push_back(std::move(*added));
  }
  for (const std::string& include : request.includes) {
    if (auto added = builder.add_include(include); !added) {
      return std::unexpected(added.error());
    }
  }

  if (request.ld_so_cache_only_when_used && builder.uses_dynamic_loader()) {
    if (auto added = add_ld_so_cache(builder.image(), request.ld_so_cache); !added) {
      return std::unexpected(added.error());
    }
  }

  root.entries = builder.image().entries();
  if (request.fixed_modification_time) {
    for (RootEntry& entry : root.entries) {
      entry.modification_time = *request.fixed_modification_time;
    }
  }
  root.warnings = std::move(builder.warnings());
  return root;
}

namespace {

// Writes the tar stream of `root` to `output`.
std::expected<void, std::string> write_tar(const Root& root, std::ostream& output,
                                           const std::string& image_path) {
  TarWriter writer(output);
  for (const RootEntry& entry : root.entries) {
    if (auto added = writer.add(entry); !added) {
      if (!output) {
        return std::unexpected(image_path + ": writing the image failed: " + std::strerror(errno));
      }
      return std::unexpected(added.error());
    }
  }
  if (auto finished = writer.finish(); !finished) {
    return std::unexpected(image_path + ": " + finished.error());
  }
  return {};
}

// Follows `path` while it is a symlink, as open(2) would, so that the image
// replaces the file a symlink names and not the symlink itself.
std::expected<std::filesystem::path, std::string> follow_symlinks(const std::string& path) {
  constexpr int max_symlinks = 40;
  std::filesystem::path current = path;
  for (int followed = 0; followed < max_symlinks; ++followed) {
    std::error_code error;
    if (!std::filesystem::is_symlink(std::filesystem::symlink_status(current, error))) {
      return current;
    }
    std::filesystem::path target = std::filesystem::read_symlink(current, error);
    if (error) {
      return std::unexpected(path + ": " + error.message());
    }
    current = target.is_absolute() ? target : current.parent_path() / target;
  }
  return std::unexpected(path + ": too many levels of symbolic links");
}

}  // namespace

std::expected<void, std::string> write_image(const Root& root, const std::string& image_path) {
  // "-" is standard output, as for tar -f -.
  // Not std::cout: including <iostream> would make every litebox process,
  // each `litebox run` too, build std::cout and the global locale at start
  // (about 40 us).
  if (image_path == "-") {
    __gnu_cxx::stdio_filebuf<char> standard_output_buffer(STDOUT_FILENO, std::ios::out);
    std::ostream standard_output(&standard_output_buffer);
    auto written = write_tar(root, standard_output, image_path);
    standard_output.flush();
    if (written && !standard_output) {
      return std::unexpected("-: writing standard output failed");
    }
    return written;
  }

  auto target = follow_symlinks(image_path);
  if (!target) {
    return std::unexpected(target.error());
  }
  std::error_code error;
  const auto status = std::filesystem::status(*target, error);
  if (std::filesystem::is_directory(status)) {
    return std::unexpected(image_path + ": is a directory; give the path of the image file");
  }

  // A device or a fifo gets the stream itself. Replacing it with a file, as
  // the rename below does for regular files, would destroy it.
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    std::ofstream output(*target, std::ios::binary);
    if (!output) {
      return std::unexpected(image_path + ": cannot open it for writing");
    }
    auto written = write_tar(root, output, image_path);
    output.flush();
    if (written && !output) {
      return std::unexpected(image_path + ": writing the image failed");
    }
    return written;
  }

  // A regular file is replaced only once the whole image is written.
  const std::string final_path = target->string();
  const std::string temporary_path = final_path + ".partial";
  {
    std::ofstream output(temporary_path, std::ios::binary | std::ios::trunc);
    if (!output) {
      return std::unexpected(temporary_path +
                             ": cannot create the image file; check the "
                             "directory exists and is writable");
    }
    if (auto written = write_tar(root, output, image_path); !written) {
      std::remove(temporary_path.c_str());
      return written;
    }
  }

  std::filesystem::rename(temporary_path, final_path, error);
  if (error) {
    std::remove(temporary_path.c_str());
    return std::unexpected(image_path + ": " + error.message());
  }
  return {};
}

}  // namespace litebox::rootfs
