#include "shim/linux/process.hpp"

#include "litebox/platform/platform.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

std::array<ResourceLimit, resource_count> default_resource_limits() {
  std::array<ResourceLimit, resource_count> limits;
  limits.fill({rlimit_infinity, rlimit_infinity});
  // The kernel's defaults (include/asm-generic/resource.h in Linux 6.1).
  limits[static_cast<size_t>(Resource::stack)] = {8 * 1024 * 1024, rlimit_infinity};
  limits[static_cast<size_t>(Resource::core)] = {0, rlimit_infinity};
  limits[static_cast<size_t>(Resource::processes)] = {4096, 4096};
  limits[static_cast<size_t>(Resource::open_files)] = {1024, 4096};
  limits[static_cast<size_t>(Resource::locked_memory)] = {8 * 1024 * 1024, 8 * 1024 * 1024};
  limits[static_cast<size_t>(Resource::pending_signals)] = {4096, 4096};
  limits[static_cast<size_t>(Resource::message_queue)] = {819200, 819200};
  limits[static_cast<size_t>(Resource::nice)] = {0, 0};
  limits[static_cast<size_t>(Resource::realtime_priority)] = {0, 0};
  return limits;
}

Process::Process(Kernel& kernel, int32_t pid, int32_t parent_pid, fs::PathContext path_context)
    : process_group(pid),
      session(pid),
      paths(std::move(path_context)),
      limits(default_resource_limits()),
      kernel_(kernel),
      descriptor_table_(std::make_shared<fd::DescriptorTable>()),
      pid_(pid),
      parent_pid_(parent_pid) {
  descriptor_table_->set_lock_owner(pid);
  start_time = platform::current().clock.monotonic_now();
}

Task* Process::find_task_locked(int32_t tid) {
  for (Task* task : tasks) {
    if (task->tid() == tid) {
      return task;
    }
  }
  return nullptr;
}

std::shared_ptr<Process> Process::fork_copy(int32_t pid) {
  auto child = std::make_shared<Process>(kernel_, pid, pid_, path_context());
  child->descriptor_table_ = descriptor_table_->copy();
  child->descriptor_table_->set_lock_owner(pid);
  child->memory.copy_areas_from(memory);
  child->syscall_sites.copy_from(syscall_sites);

  sync::LockGuard guard(lock);
  child->process_group = process_group;
  child->session = session;
  child->controlling_terminal = controlling_terminal;
  child->credentials = credentials;
  child->dumpable = dumpable;
  child->personality = personality;
  child->paths = paths;
  child->limits = limits;
  child->signal_actions = signal_actions;
  child->break_start = break_start;
  child->break_end = break_end;
  child->executable_path = executable_path;
  child->name = name;
  child->arguments_start = arguments_start;
  child->arguments_end = arguments_end;
  child->environment_start = environment_start;
  child->environment_end = environment_end;
  child->argument_strings = argument_strings;
  child->environment_strings = environment_strings;
  return child;
}

uint64_t Process::mapped_bytes() {
  uint64_t bytes = 0;
  for (const mm::Vma& area : memory.areas()) {
    bytes += area.length();
  }
  return bytes;
}

fs::PathContext Process::path_context() {
  sync::LockGuard guard(lock);
  fs::PathContext context = paths;
  context.credentials = credentials.file_system();
  return context;
}

ResourceLimit Process::limit(Resource resource) {
  sync::LockGuard guard(lock);
  return limits[static_cast<size_t>(resource)];
}

Task::Task(int32_t tid, std::shared_ptr<Process> process)
    : tid_(tid), process_(std::move(process)) {
  sync::LockGuard guard(process_->lock);
  process_->tasks.push_back(this);
}

Task::~Task() {
  sync::LockGuard guard(process_->lock);
  std::erase(process_->tasks, this);
}

}  // namespace litebox::shim::linux_abi
