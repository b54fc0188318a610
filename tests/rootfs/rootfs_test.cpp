// `litebox rootfs` against the host: every file that the host's ldd lists
// for a program must be in the image at the same path, with each symlink on
// the way stored as a symlink, as the host's tar reads the image.
#include <elf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "elf_header.hpp"
#include "host_command.hpp"
#include "rootfs/rootfs.hpp"

namespace litebox::rootfs {
namespace {

using testing::CommandResult;
using testing::run_command;
using testing::ScratchDirectory;

// One line of `tar -tvf`: the type letter and, for symlinks, the target.
struct ListedEntry {
  char type = '?';
  std::string link_target;
};

std::string quote(const std::string& text) { return "'" + text + "'"; }

CommandResult build_image(const std::string& arguments) {
  return run_command(std::string(LITEBOX_ROOTFS_TOOL) + " " + arguments + " 2>&1");
}

// Parses GNU tar's verbose listing: "lrwxrwxrwx root/root 0 DATE TIME name -> target".
std::map<std::string, ListedEntry> list_image(const std::filesystem::path& image) {
  CommandResult listing = run_command("tar -tvf " + quote(image.string()));
  EXPECT_EQ(listing.exit_status, 0) << listing.output;

  std::map<std::string, ListedEntry> entries;
  std::regex line_format(R"(^(\S)\S+\s+\S+\s+\d+\s+\S+\s+\S+\s+(.*)$)");
  std::istringstream lines(listing.output);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (!std::regex_match(line, match, line_format)) {
      ADD_FAILURE() << "unparsed tar line: " << line;
      continue;
    }
    ListedEntry entry{.type = match[1].str()[0]};
    std::string name = match[2].str();
    if (entry.type == 'l') {
      auto arrow = name.find(" -> ");
      entry.link_target = name.substr(arrow + 4);
      name = name.substr(0, arrow);
    }
    if (name.ends_with('/')) {
      name.pop_back();
    }
    entries["/" + name] = entry;
  }
  return entries;
}

// The files that the host's ldd reports for `program`: the "=> /path"
// libraries and the interpreter line.
std::vector<std::string> ldd_paths(const std::string& program) {
  CommandResult ldd = run_command("ldd " + quote(program));
  EXPECT_EQ(ldd.exit_status, 0) << ldd.output;

  std::vector<std::string> paths;
  std::regex library_line(R"(=>\s+(/\S+)\s+\(0x)");
  std::regex interpreter_line(R"(^\s+(/\S+)\s+\(0x)");
  std::istringstream lines(ldd.output);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_search(line, match, library_line) ||
        std::regex_search(line, match, interpreter_line)) {
      paths.push_back(match[1].str());
    }
  }
  return paths;
}

// Checks that `path` resolves inside the image as on the host: each
// directory is a directory, each symlink a symlink with the host's target
// (whose own path is checked too), and the final object a regular file.
void expect_path_reproduced(const std::map<std::string, ListedEntry>& image,
                            const std::string& path, int depth = 0) {
  ASSERT_LT(depth, 40) << "symlink loop at " << path;
  std::filesystem::path current = "/";
  std::filesystem::path remaining = std::filesystem::path(path).relative_path();
  for (auto component = remaining.begin(); component != remaining.end(); ++component) {
    current /= *component;
    auto found = image.find(current.string());
    ASSERT_NE(found, image.end()) << current << " (on the way to " << path << ") is missing";

    struct stat status {};
    ASSERT_EQ(lstat(current.c_str(), &status), 0) << current;
    if (S_ISLNK(status.st_mode)) {
      std::string host_target = std::filesystem::read_symlink(current).string();
      EXPECT_EQ(found->second.type, 'l') << current << " must be a symlink";
      EXPECT_EQ(found->second.link_target, host_target) << current;

      std::filesystem::path target = host_target;
      if (target.is_relative()) {
        target = current.parent_path() / target;
      }
      for (auto rest = std::next(component); rest != remaining.end(); ++rest) {
        target /= *rest;
      }
      expect_path_reproduced(image, target.lexically_normal().string(), depth + 1);
      return;
    }
    EXPECT_EQ(found->second.type, S_ISDIR(status.st_mode) ? 'd' : '-') << current;
  }
}

class RootfsLddClosure : public ::testing::TestWithParam<const char*> {};

TEST_P(RootfsLddClosure, ImageHoldsEveryLddPath) {
  const std::string program = GetParam();
  if (!std::filesystem::exists(program)) {
    GTEST_SKIP() << program << " is not installed on this host";
  }
  ScratchDirectory scratch;
  auto image = scratch.path() / "image.tar";

  CommandResult built = build_image("-o " + quote(image.string()) + " " + quote(program));
  ASSERT_EQ(built.exit_status, 0) << built.output;

  auto entries = list_image(image);
  expect_path_reproduced(entries, program);
  auto paths = ldd_paths(program);
  ASSERT_FALSE(paths.empty()) << "ldd listed nothing for " << program;
  for (const std::string& path : paths) {
    expect_path_reproduced(entries, path);
  }
}

INSTANTIATE_TEST_SUITE_P(HostPrograms, RootfsLddClosure,
                         ::testing::Values("/bin/ls", "/usr/bin/python3", "/usr/bin/sqlite3",
                                           "/usr/bin/node"));

TEST(Rootfs, MissingProgramFailsWithOneLine) {
  ScratchDirectory scratch;
  CommandResult built = build_image("-o " + quote((scratch.path() / "image.tar").string()) +
                                    " no-such-program-litebox");
  EXPECT_NE(built.exit_status, 0);
  EXPECT_EQ(std::count(built.output.begin(), built.output.end(), '\n'), 1) << built.output;
  EXPECT_NE(built.output.find("no-such-program-litebox"), std::string::npos) << built.output;
  EXPECT_FALSE(std::filesystem::exists(scratch.path() / "image.tar"));
}

TEST(Rootfs, MissingIncludeFailsWithOneLine) {
  ScratchDirectory scratch;
  std::string missing = (scratch.path() / "absent").string();
  CommandResult built = build_image("-o " + quote((scratch.path() / "image.tar").string()) +
                                    " --include " + quote(missing) + " /bin/ls");
  EXPECT_NE(built.exit_status, 0);
  EXPECT_EQ(std::count(built.output.begin(), built.output.end(), '\n'), 1) << built.output;
  EXPECT_NE(built.output.find(missing), std::string::npos) << built.output;
}

TEST(Rootfs, InvalidMtimeFailsWithOneLine) {
  ScratchDirectory scratch;
  auto image = scratch.path() / "image.tar";
  CommandResult built = build_image("--mtime yesterday -o " + quote(image.string()) + " /bin/ls");
  EXPECT_EQ(built.exit_status, 109);
  EXPECT_EQ(built.output,
            "litebox-rootfs: --mtime: expected a whole number of seconds since the epoch from 0 "
            "to 8589934591, got 'yesterday'\n");
  EXPECT_FALSE(std::filesystem::exists(image));
}

TEST(Rootfs, MtimeOutsideTarRangeFails) {
  // A ustar header stores 0 to 077777777777 seconds, so a time outside that
  // range is rejected instead of clamped or cut to an unrelated date.
  ScratchDirectory scratch;
  auto image = scratch.path() / "image.tar";
  for (const std::string seconds : {"-5", "8589934592", "99999999999"}) {
    CommandResult built =
        build_image("--mtime=" + seconds + " -o " + quote(image.string()) + " /bin/ls");

    EXPECT_EQ(built.exit_status, 109) << seconds;
    EXPECT_EQ(built.output,
              "litebox-rootfs: --mtime: expected a whole number of seconds since the epoch from "
              "0 to 8589934591, got '" +
                  seconds + "'\n");
    EXPECT_FALSE(std::filesystem::exists(image));
  }
}

TEST(Rootfs, MtimeAtTarRangeEndIsKept) {
  ScratchDirectory scratch;
  auto image = scratch.path() / "image.tar";
  CommandResult built = build_image("--mtime 8589934591 -o " + quote(image.string()) + " /bin/ls");
  ASSERT_EQ(built.exit_status, 0) << built.output;

  CommandResult listing =
      run_command("TZ=UTC tar -tv --full-time -f " + quote(image.string()) + " usr/bin/ls");

  EXPECT_EQ(listing.exit_status, 0) << listing.output;
  EXPECT_NE(listing.output.find("2242-03-16 12:56:31 usr/bin/ls"), std::string::npos)
      << listing.output;
}

TEST(Rootfs, IncludeTakesOneValue) {
  // The word after --include's value is a program, not a second tree.
  ScratchDirectory scratch;
  auto tree = scratch.path() / "tree";
  std::filesystem::create_directories(tree);
  std::ofstream(tree / "data.txt") << "payload\n";
  auto image = scratch.path() / "image.tar";

  CommandResult built = build_image("-o " + quote(image.string()) + " --include " +
                                    quote(tree.string()) + " /bin/true");
  ASSERT_EQ(built.exit_status, 0) << built.output;

  auto entries = list_image(image);
  expect_path_reproduced(entries, (tree / "data.txt").string());
  expect_path_reproduced(entries, "/bin/true");
}

TEST(Rootfs, ImageKeepsMergedUsrLinks) {
  // The program is given by its /usr path, yet /bin/sh must resolve in the
  // image as on the host, because programs run sh by that path.
  struct stat status {};
  if (lstat("/bin", &status) != 0 || !S_ISLNK(status.st_mode) ||
      std::filesystem::read_symlink("/bin") != "usr/bin") {
    GTEST_SKIP() << "the host's /bin is no symlink to usr/bin";
  }
  ScratchDirectory scratch;
  auto image = scratch.path() / "image.tar";
  const std::string shell = "/usr/bin/sh";

  CommandResult built = build_image("-o " + quote(image.string()) + " " + quote(shell));
  ASSERT_EQ(built.exit_status, 0) << built.output;

  auto entries = list_image(image);
  expect_path_reproduced(entries, "/bin/sh");
}

TEST(Rootfs, ScriptBringsItsInterpreter) {
  ScratchDirectory scratch;
  auto script = scratch.path() / "hello.sh";
  std::ofstream(script) << "#!/bin/sh\necho hello\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  auto image = scratch.path() / "image.tar";

  CommandResult built = build_image("-o " + quote(image.string()) + " " + quote(script.string()));
  ASSERT_EQ(built.exit_status, 0) << built.output;

  auto entries = list_image(image);
  expect_path_reproduced(entries, script.string());
  expect_path_reproduced(entries, "/bin/sh");
  for (const std::string& path : ldd_paths("/bin/sh")) {
    expect_path_reproduced(entries, path);
  }
}

TEST(Rootfs, IncludeKeepsTreeAndLongNames) {
  ScratchDirectory scratch;
  auto tree = scratch.path() / "tree";
  auto deep = tree / std::string(120, 'd') / std::string(90, 'e');
  std::filesystem::create_directories(deep);
  std::ofstream(deep / "data.txt") << "payload\n";
  std::filesystem::create_symlink("data.txt", deep / "link.txt");
  std::filesystem::copy_file("/bin/true", tree / "true");
  auto image = scratch.path() / "image.tar";

  CommandResult built = build_image("-o " + quote(image.string()) + " --include " +
                                    quote(tree.string()) + " /bin/ls");
  ASSERT_EQ(built.exit_status, 0) << built.output;

  auto entries = list_image(image);
  expect_path_reproduced(entries, (deep / "data.txt").string());
  expect_path_reproduced(entries, (deep / "link.txt").string());
  for (const std::string& path : ldd_paths("/bin/true")) {
    expect_path_reproduced(entries, path);
  }

  std::filesystem::path extracted = scratch.path() / "extracted";
  std::filesystem::create_directory(extracted);
  CommandResult extract = run_command("tar -xf " + quote(image.string()) + " -C " +
                                      quote(extracted.string()) + " 2>&1");
  ASSERT_EQ(extract.exit_status, 0) << extract.output;
  std::ifstream copied(extracted / deep.relative_path() / "data.txt");
  std::ostringstream contents;
  contents << copied.rdbuf();
  EXPECT_EQ(contents.str(), "payload\n");
}

TEST(Rootfs, IncludeBringsLinkerScriptInputs) {
  ScratchDirectory scratch;
  auto tree = scratch.path() / "tree";
  std::filesystem::create_directories(tree);
  std::ofstream(tree / "libfake.so")
      << "/* GNU ld script */\nGROUP ( /usr/lib/x86_64-linux-gnu/libm.so.6 AS_NEEDED ( "
         "libmvec.so.1 ) )\n";
  auto image = scratch.path() / "image.tar";

  CommandResult built = build_image("-o " + quote(image.string()) + " --include " +
                                    quote(tree.string()) + " /bin/true");
  ASSERT_EQ(built.exit_status, 0) << built.output;

  auto entries = list_image(image);
  expect_path_reproduced(entries, (tree / "libfake.so").string());
  expect_path_reproduced(entries, "/usr/lib/x86_64-linux-gnu/libm.so.6");
  expect_path_reproduced(entries, "/usr/lib/x86_64-linux-gnu/libmvec.so.1");
}

// GNU tar's `-R` listing gives the block number of each member's header,
// so its data starts one block later.
TEST(Rootfs, ElfDataStartsOnPageBoundary) {
  ScratchDirectory scratch;
  auto image = scratch.path() / "image.tar";
  ASSERT_EQ(build_image("-o " + quote(image.string()) + " /bin/ls").exit_status, 0);

  CommandResult listing = run_command("tar -tvR -f " + quote(image.string()));
  ASSERT_EQ(listing.exit_status, 0) << listing.output;
  std::istringstream lines(listing.output);
  std::string line;
  int elf_files = 0;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (!std::regex_match(line, match,
                          std::regex(R"(block (\d+): -\S+ \S+ +(\d+) \S+ \S+ (.*))"))) {
      continue;
    }
    const std::string path = "/" + match[3].str();
    std::ifstream host_file(path, std::ios::binary);
    char magic[4] = {};
    host_file.read(magic, sizeof magic);
    if (std::stoull(match[2].str()) < 4096 || std::string(magic, 4) != "\177ELF") {
      continue;
    }
    ++elf_files;
    EXPECT_EQ((std::stoull(match[1].str()) + 1) * 512 % 4096, 0U) << line;
  }
  EXPECT_GE(elf_files, 2) << listing.output;
}

TEST(Rootfs, FixedTimeImagesAreIdentical) {
  ScratchDirectory scratch;
  auto first = scratch.path() / "first.tar";
  auto second = scratch.path() / "second.tar";
  ASSERT_EQ(build_image("--mtime 0 -o " + quote(first.string()) + " /bin/ls").exit_status, 0);
  ASSERT_EQ(build_image("--mtime 0 -o " + quote(second.string()) + " /bin/ls").exit_status, 0);

  CommandResult compare =
      run_command("cmp " + quote(first.string()) + " " + quote(second.string()));
  EXPECT_EQ(compare.exit_status, 0) << compare.output;
}

// The image goes where the symlink points, and the symlink stays.
TEST(Rootfs, OutputThroughSymlinkWritesItsTarget) {
  ScratchDirectory scratch;
  auto target = scratch.path() / "real.tar";
  auto link = scratch.path() / "link.tar";
  std::filesystem::create_symlink("real.tar", link);
  CommandResult built = build_image("--mtime 0 -o " + quote(link.string()) + " /bin/ls");
  ASSERT_EQ(built.exit_status, 0) << built.output;

  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_TRUE(list_image(target).contains("/usr/bin/ls"));
}

// A fifo gets the stream and stays a fifo, as with tar -cf FIFO.
TEST(Rootfs, OutputToFifoWritesTheStream) {
  ScratchDirectory scratch;
  auto fifo = scratch.path() / "fifo";
  auto copy = scratch.path() / "copy.tar";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  CommandResult built =
      run_command("cat " + quote(fifo.string()) + " > " + quote(copy.string()) + " & " +
                  std::string(LITEBOX_ROOTFS_TOOL) + " --mtime 0 -o " + quote(fifo.string()) +
                  " /bin/ls 2>&1; status=$?; wait; exit $status");
  ASSERT_EQ(built.exit_status, 0) << built.output;

  EXPECT_TRUE(std::filesystem::is_fifo(fifo));
  EXPECT_TRUE(list_image(copy).contains("/usr/bin/ls"));
}

// "-" is standard output.
TEST(Rootfs, OutputDashWritesStandardOutput) {
  ScratchDirectory scratch;
  auto copy = scratch.path() / "copy.tar";
  CommandResult built = run_command(std::string(LITEBOX_ROOTFS_TOOL) +
                                    " --mtime 0 -o - /bin/ls > " + quote(copy.string()));
  ASSERT_EQ(built.exit_status, 0) << built.output;

  EXPECT_FALSE(std::filesystem::exists(scratch.path() / "-"));
  EXPECT_TRUE(list_image(copy).contains("/usr/bin/ls"));
}

TEST(Rootfs, OutputDirectoryFailsWithOneLine) {
  ScratchDirectory scratch;
  CommandResult built = build_image("-o " + quote(scratch.path().string()) + " /bin/ls");
  EXPECT_NE(built.exit_status, 0);
  EXPECT_EQ(std::count(built.output.begin(), built.output.end(), '\n'), 1) << built.output;
  EXPECT_NE(built.output.find("is a directory"), std::string::npos) << built.output;
}

TEST(Rootfs, ExtractedImageRunsInChroot) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "chroot needs root";
  }
  ScratchDirectory scratch;
  auto image = scratch.path() / "image.tar";
  ASSERT_EQ(build_image("-o " + quote(image.string()) + " /bin/ls").exit_status, 0);
  auto root = scratch.path() / "root";
  std::filesystem::create_directory(root);
  ASSERT_EQ(
      run_command("tar -xf " + quote(image.string()) + " -C " + quote(root.string())).exit_status,
      0);

  CommandResult inside = run_command("chroot " + quote(root.string()) + " /bin/ls / 2>&1");
  CommandResult native = run_command("ls " + quote(root.string()) + " 2>&1");
  EXPECT_EQ(inside.exit_status, 0) << inside.output;
  EXPECT_EQ(inside.output, native.output);
}

TEST(Rootfs, BuildRootListsProgramClosure) {
  RootRequest request{.programs = {"ls"}, .search_path = "/usr/bin:/bin"};
  auto root = build_root(request);
  ASSERT_TRUE(root.has_value()) << root.error();
  ASSERT_EQ(root->program_paths.size(), 1u);
  EXPECT_EQ(root->program_paths[0], "/usr/bin/ls");

  std::map<std::string, ListedEntry> entries;
  for (const RootEntry& entry : root->entries) {
    char type = entry.kind == EntryKind::directory ? 'd'
                : entry.kind == EntryKind::symlink ? 'l'
                                                   : '-';
    entries[entry.path] = ListedEntry{.type = type, .link_target = entry.source};
  }
  for (const std::string& path : ldd_paths("/usr/bin/ls")) {
    expect_path_reproduced(entries, path);
  }
}

TEST(Rootfs, AbsolutePathDotDotFollowsSymlink) {
  // "link/.." is the parent of the link's target, as the kernel resolves
  // it, not the directory that contains the link.
  ScratchDirectory scratch;
  std::filesystem::create_directories(scratch.path() / "target" / "inner");
  std::filesystem::create_directories(scratch.path() / "links");
  std::filesystem::create_directory_symlink(scratch.path() / "target" / "inner",
                                            scratch.path() / "links" / "link");
  const std::string path = (scratch.path() / "links" / "link" / ".." / "file").string();

  auto absolute = absolute_path(path);

  ASSERT_TRUE(absolute.has_value()) << absolute.error();
  const std::string real_target = std::filesystem::canonical(scratch.path() / "target").string();
  EXPECT_EQ(*absolute, real_target + "/file");
}

TEST(Rootfs, AbsolutePathKeepsSymlinkWithoutDotDot) {
  ScratchDirectory scratch;
  std::filesystem::create_directories(scratch.path() / "target");
  std::filesystem::create_directory_symlink(scratch.path() / "target", scratch.path() / "link");
  const std::string path = (scratch.path() / "link" / "." / "file").string();

  auto absolute = absolute_path(path);

  ASSERT_TRUE(absolute.has_value()) << absolute.error();
  EXPECT_EQ(*absolute, (scratch.path() / "link" / "file").lexically_normal().string());
}

// Paths without symlinks (here, paths that do not exist) normalize as
// std::filesystem does.
TEST(Rootfs, AbsolutePathNormalizesLexically) {
  for (const std::string path :
       {"a/b", "./a/../b", "/x//y/./z", "/..", "/../x", "../a", "a/../../b", "/a/b/../../c"}) {
    auto absolute = absolute_path(path);

    ASSERT_TRUE(absolute.has_value()) << absolute.error();
    EXPECT_EQ(*absolute, std::filesystem::absolute(path).lexically_normal().string()) << path;
  }
}

// Writes an executable x86-64 ELF file with one PT_LOAD segment and neither
// PT_INTERP nor PT_DYNAMIC, as a static program has.
void write_static_program(const std::string& path) {
  Elf64_Ehdr header = testing::x86_64_elf_header(ET_EXEC, 1);
  Elf64_Phdr segment{};
  segment.p_type = PT_LOAD;
  segment.p_flags = PF_R | PF_X;
  segment.p_vaddr = 0x400000;
  segment.p_filesz = sizeof header + sizeof segment;
  segment.p_memsz = segment.p_filesz;
  segment.p_align = 0x1000;

  std::ofstream file(path, std::ios::binary);
  // Safety: the ELF structures are trivially copyable and written as raw bytes.
  file.write(reinterpret_cast<const char*>(&header), sizeof header);
  // Safety: as above.
  file.write(reinterpret_cast<const char*>(&segment), sizeof segment);
  file.close();
  chmod(path.c_str(), 0755);
}

TEST(Rootfs, StaticProgramRootOmitsUnusedCache) {
  ScratchDirectory scratch;
  const std::string program = (scratch.path() / "static").string();
  write_static_program(program);
  const std::string cache = (scratch.path() / "ld.so.cache").string();
  std::ofstream(cache) << "cache";
  RootRequest request{.programs = {program}, .ld_so_cache = cache};

  auto with_cache = build_root(request);
  request.ld_so_cache_only_when_used = true;
  auto without_cache = build_root(request);

  ASSERT_TRUE(with_cache.has_value()) << with_cache.error();
  ASSERT_TRUE(without_cache.has_value()) << without_cache.error();
  const auto has_cache = [&](const Root& root) {
    return std::ranges::any_of(root.entries,
                               [&](const RootEntry& entry) { return entry.path == cache; });
  };
  EXPECT_TRUE(has_cache(*with_cache));
  EXPECT_FALSE(has_cache(*without_cache));
}

TEST(Rootfs, DynamicProgramRootKeepsCache) {
  RootRequest request{
      .programs = {"ls"}, .search_path = "/usr/bin:/bin", .ld_so_cache_only_when_used = true};

  auto root = build_root(request);

  ASSERT_TRUE(root.has_value()) << root.error();
  EXPECT_TRUE(std::ranges::any_of(
      root->entries, [](const RootEntry& entry) { return entry.path == "/etc/ld.so.cache"; }));
}

}  // namespace
}  // namespace litebox::rootfs
