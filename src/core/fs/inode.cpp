// Default Inode operations: each returns the errno Linux gives when the
// operation does not apply to the inode's type.
#include "litebox/fs/inode.hpp"

#include "litebox/fd/inode_file.hpp"

namespace litebox::fs {

namespace {

bool is_directory(Inode& inode) {
  auto status = inode.stat();
  return status && file_type_of(status->mode) == FileType::directory;
}

}  // namespace

Inode::~Inode() { delete file_locks_.load(std::memory_order_acquire); }

FileLocks& Inode::file_locks() {
  FileLocks* locks = file_locks_.load(std::memory_order_acquire);
  if (locks != nullptr) {
    return *locks;
  }
  // Two first requests may race; the loser frees its object and takes the
  // winner's.
  auto made = std::make_unique<FileLocks>();
  if (file_locks_.compare_exchange_strong(locks, made.get(), std::memory_order_acq_rel)) {
    return *made.release();
  }
  return *locks;
}

Result<void> Inode::change_attributes(const AttributeChange&) { return fail(Errno::erofs); }

Result<size_t> Inode::read(uint64_t, std::span<std::byte>) {
  return fail(is_directory(*this) ? Errno::eisdir : Errno::einval);
}

Result<size_t> Inode::write(uint64_t, std::span<const std::byte>) {
  return fail(is_directory(*this) ? Errno::eisdir : Errno::einval);
}

Result<mm::PageRuns> Inode::share_pages(uint64_t, uint64_t) { return fail(Errno::enodev); }

Result<void> Inode::allocate(uint64_t, uint64_t, AllocateMode) { return fail(Errno::eopnotsupp); }

Result<uint64_t> Inode::seek_region(uint64_t offset, Region region) {
  const Stat status = TRY(stat());
  const auto size = static_cast<uint64_t>(status.size);
  if (offset >= size) {
    return fail(Errno::enxio);
  }
  return region == Region::data ? offset : size;
}

std::optional<std::span<const std::byte>> Inode::immutable_contents() { return std::nullopt; }

Result<uint32_t> Inode::seals() { return fail(Errno::einval); }

Result<void> Inode::add_seals(uint32_t) { return fail(Errno::einval); }

Result<std::shared_ptr<void>> Inode::register_writable_mapping() { return std::shared_ptr<void>(); }

Result<std::shared_ptr<Inode>> Inode::lookup(std::string_view) { return fail(Errno::enotdir); }

Result<std::shared_ptr<Inode>> Inode::create(std::string_view, FileType, uint32_t, uint32_t,
                                             uint32_t, uint64_t) {
  return fail(Errno::enotdir);
}

Result<std::shared_ptr<Inode>> Inode::make_directory(std::string_view, uint32_t, uint32_t,
                                                     uint32_t) {
  return fail(Errno::enotdir);
}

Result<std::shared_ptr<Inode>> Inode::make_symlink(std::string_view, std::string_view, uint32_t,
                                                   uint32_t) {
  return fail(Errno::enotdir);
}

Result<void> Inode::link(std::string_view, const std::shared_ptr<Inode>&) {
  return fail(Errno::enotdir);
}

Result<void> Inode::unlink(std::string_view) { return fail(Errno::enotdir); }

Result<void> Inode::remove_directory(std::string_view) { return fail(Errno::enotdir); }

Result<void> Inode::rename(std::string_view, Inode&, std::string_view, uint32_t) {
  return fail(Errno::enotdir);
}

Result<void> Inode::read_directory(uint64_t, const EntrySink&) { return fail(Errno::enotdir); }

Result<std::string> Inode::read_link() { return fail(Errno::einval); }
Result<std::shared_ptr<fd::File>> Inode::magic_link_file() { return nullptr; }

Result<std::shared_ptr<fd::File>> Inode::open(uint32_t flags) {
  return std::make_shared<fd::InodeFile>(shared_from_this(), flags);
}

}  // namespace litebox::fs
