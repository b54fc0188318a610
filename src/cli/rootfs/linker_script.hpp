// GNU ld scripts that stand in for a library: libc.so, libm.so and
// libgcc_s.so on Debian are short text files such as
//   GROUP ( /lib/x86_64-linux-gnu/libm.so.6  AS_NEEDED ( libmvec.so.1 ) )
// that name the files a link really uses. An image holding the script but
// not those files fails to link with "cannot find ...".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace litebox::rootfs {

// Returns whether `text`, a file's first bytes, is a GNU ld script: it
// starts with a comment or with one of the commands that such scripts use.
bool is_linker_script(std::string_view text);

// Returns the files that the INPUT and GROUP commands of `text` name, the
// ones inside AS_NEEDED included, in order: paths as written and `-lNAME`
// entries as they are.
std::vector<std::string> linker_script_inputs(std::string_view text);

}  // namespace litebox::rootfs
