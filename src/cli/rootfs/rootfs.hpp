// Root images from host files: the programs a sandbox should run, the
// libraries the host's dynamic loader would load for them, and any extra
// host trees, at the same absolute paths as on the host.
//
// `litebox rootfs` writes such a root as a tar image; `litebox run` without
// --rootfs builds the same root in memory from build_root().
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rootfs/root_image.hpp"

namespace litebox::rootfs {

struct RootRequest {
  // Programs: host paths, or names looked up in `search_path`. Each gets its
  // PT_INTERP and library closure; a script gets its #! interpreter.
  std::vector<std::string> programs;
  // Host files or directory trees copied whole, plus the library closure of
  // every ELF file in them.
  std::vector<std::string> includes;
  // The PATH used to find programs given by name.
  std::string search_path;
  // The PATH that the sandbox's `env` searches for NAME of a script's
  // "#!/usr/bin/env NAME", when it differs from `search_path`.
  std::optional<std::string> env_search_path;
  std::string ld_so_cache = "/etc/ld.so.cache";
  // When set, every entry gets this modification time (seconds since the
  // epoch) instead of the host's, so images of the same files are identical
  // across machines.
  std::optional<int64_t> fixed_modification_time;
  // When set, a program whose ELF headers are foreign (another machine,
  // class or byte order) or cannot be read is added as a plain file without
  // a warning, and a #! interpreter that is missing, not executable or
  // nested too deep is left as it is, so that the loader which then runs
  // the program reports the problem with execve's errno (`litebox run`).
  // Otherwise foreign programs get a warning and the other problems fail
  // the build.
  bool defer_program_errors = false;
  // When set, the programs are absolute, normalized paths of executable
  // regular files that the caller has already found and checked, so they are
  // not looked up or checked again. #! interpreters still are.
  bool programs_found = false;
  // When set, each program (not its #! interpreters or libraries) is read
  // through this function, which returns the whole file, instead of being
  // opened here. `litebox run` maps the program once and serves the mapping
  // to the sandbox.
  std::function<std::expected<std::span<const std::byte>, std::string>(const std::string& path)>
      read_program;
  // When set, `ld_so_cache` is added only if a program or included file
  // has an ELF interpreter or needs a library, so that the root of a static
  // program contains no cache that nothing reads.
  bool ld_so_cache_only_when_used = false;
  // When set, the host's merged-/usr symlinks (/bin -> usr/bin and the
  // like) are added, so that a program that runs /bin/sh finds sh, given as
  // /usr/bin/sh, at the path it uses.
  bool merged_usr_links = false;
};

struct Root {
  std::vector<RootEntry> entries;          // sorted by path
  std::vector<std::string> program_paths;  // the sandbox path of each requested program
  std::vector<std::string> warnings;       // one line each, for the user
};

// Finds `program` as execvp(3) does: a name with a slash is a path, any other
// name is searched in the colon-separated `search_path`. Returns the path of
// an executable regular file, or a one-line error that names the program.
std::expected<std::string, std::string> find_program(const std::string& program,
                                                     const std::string& search_path);

// Makes `path` absolute against the working directory and normalizes it:
// "." and empty components go, and so does a trailing slash. ".." removes
// the component before it, after the host's symlinks in the path so far
// are resolved, so the result names the file that the kernel would find
// ("/a/link/.." is the parent of the link's target). Symlinks that no
// ".." follows stay in the result.
std::expected<std::string, std::string> absolute_path(const std::string& path);

// Collects the root for `request`. Errors are one line naming the missing
// or unreadable path and the fix.
std::expected<Root, std::string> build_root(const RootRequest& request);

// Writes `root` as a tar image to `image_path`, replacing it atomically.
std::expected<void, std::string> write_image(const Root& root, const std::string& image_path);

}  // namespace litebox::rootfs
