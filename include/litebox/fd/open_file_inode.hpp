// OpenFileInode: the inode that /proc/<pid>/fd/<n> leads to when the open
// file description has no inode in a mounted file system (a pipe(2) end, a
// socket, an eventfd). Linux keeps such files on internal file systems
// (pipefs, sockfs, anon_inodefs), and this inode plays their part for path
// resolution. stat(2) through the link reports the description, and open(2)
// through it reopens the description's file.
#pragma once

#include <memory>
#include <string>

#include "litebox/fd/file.hpp"
#include "litebox/fs/inode.hpp"

namespace litebox::fd {

class OpenFileInode final : public fs::Inode {
 public:
  explicit OpenFileInode(const std::shared_ptr<File>& file);

  fs::FileSystem& file_system() override;

  // What fstat(2) of the description reports, or reported when this inode
  // was made if the description is closed since.
  Result<fs::Stat> stat() override;

  // TODO: Linux changes the mode, owner and times of a pipe's or socket's
  // inode. Here chmod(2), chown(2) and utimensat(2) through the link
  // succeed without effect, as fchmod(2) of the descriptor does.
  Result<void> change_attributes(const fs::AttributeChange&) override { return {}; }

  // File::reopen() of the description: a new end of an anonymous pipe,
  // `enxio` for sockets and anonymous inodes.
  Result<std::shared_ptr<File>> open(uint32_t flags) override;

  // The description's File::anonymous_name() when this inode was made.
  const std::string& anonymous_name() const { return anonymous_name_; }

 private:
  // Weak, because an O_PATH descriptor that refers to this inode must not
  // keep the description open. A pipe would then keep a writer that no
  // process can close, and its readers would never see EOF.
  std::weak_ptr<File> file_;
  fs::Stat status_;
  std::string anonymous_name_;
};

}  // namespace litebox::fd
