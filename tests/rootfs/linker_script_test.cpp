// GNU ld scripts: which texts are scripts, and which files they name.
#include "rootfs/linker_script.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace litebox::rootfs {
namespace {

TEST(LinkerScript, DebianScriptsAreScripts) {
  EXPECT_TRUE(is_linker_script("/* GNU ld script\n*/\nOUTPUT_FORMAT(elf64-x86-64)\n"));
  EXPECT_TRUE(is_linker_script("\n  GROUP ( libgcc_s.so.1 -lgcc )\n"));
  EXPECT_TRUE(is_linker_script("INPUT(-lfoo)"));
}

TEST(LinkerScript, BinaryAndTextFilesAreNot) {
  EXPECT_FALSE(is_linker_script("!<arch>\n"));
  EXPECT_FALSE(is_linker_script("hello\n"));
  EXPECT_FALSE(is_linker_script(""));
}

TEST(LinkerScript, GroupListsAsNeededInputsToo) {
  const std::string libm =
      "/* GNU ld script\n*/\nOUTPUT_FORMAT(elf64-x86-64)\n"
      "GROUP ( /lib/x86_64-linux-gnu/libm.so.6  AS_NEEDED ( "
      "/lib/x86_64-linux-gnu/libmvec.so.1 ) )\n";
  const std::vector<std::string> expected = {"/lib/x86_64-linux-gnu/libm.so.6",
                                             "/lib/x86_64-linux-gnu/libmvec.so.1"};
  EXPECT_EQ(linker_script_inputs(libm), expected);
}

TEST(LinkerScript, CommentsAndLibraryNamesKept) {
  const std::string libgcc_s =
      "/* GNU ld script\n   Use the shared library, but some functions are only in\n"
      "   the static library.  */\nGROUP ( libgcc_s.so.1 /* a comment */ -lgcc )\n";
  const std::vector<std::string> expected = {"libgcc_s.so.1", "-lgcc"};
  EXPECT_EQ(linker_script_inputs(libgcc_s), expected);
}

TEST(LinkerScript, OtherCommandsNameNoInputs) {
  EXPECT_TRUE(linker_script_inputs("OUTPUT_FORMAT(elf64-x86-64)\nSEARCH_DIR(/lib)\n").empty());
  EXPECT_TRUE(linker_script_inputs("GROUP ( unterminated").size() == 1);
}

}  // namespace
}  // namespace litebox::rootfs
