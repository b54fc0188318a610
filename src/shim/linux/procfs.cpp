#include "shim/linux/procfs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <string>

#include "litebox/event/timer_fd.hpp"
#include "litebox/fs/file_system.hpp"
#include "litebox/platform/platform.hpp"
#include "shim/linux/cpuinfo.hpp"
#include "shim/linux/device_number.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/kernel_identity.hpp"
#include "shim/linux/process.hpp"
#include "shim/linux/syscalls/file_support.hpp"
#include "shim/linux/syscalls/pidfd.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

namespace {

// The memory that /proc/meminfo reports, the same as sysinfo(2).
constexpr uint64_t total_memory_kib = uint64_t{4} << 20;
constexpr uint64_t free_memory_kib = uint64_t{3} << 20;

// Clock ticks per second (USER_HZ), the unit of times in /proc/<pid>/stat.
constexpr uint64_t clock_ticks_per_second = 100;

// The processors the sandbox shows, as sched_getaffinity(2) reports them.
uint32_t sandbox_processor_count() {
  Task* task = Kernel::current_task();
  return task != nullptr ? task->kernel().options().processor_count : 1;
}

uint64_t clock_ticks(std::chrono::nanoseconds duration) {
  return static_cast<uint64_t>(duration.count()) * clock_ticks_per_second / 1'000'000'000;
}

class LinuxProcfsProvider final : public fs::procfs::Provider {
 public:
  std::optional<int32_t> current_pid() override {
    Task* task = Kernel::current_task();
    if (task == nullptr) {
      return std::nullopt;
    }
    return task->process().pid();
  }

  std::optional<int32_t> current_tid() override {
    Task* task = Kernel::current_task();
    if (task == nullptr) {
      return std::nullopt;
    }
    return task->tid();
  }

  std::vector<int32_t> pids() override {
    Task* task = Kernel::current_task();
    if (task == nullptr) {
      return {};
    }
    return task->kernel().process_ids();
  }

  Result<std::string> process_file(int32_t pid, std::string_view name) override {
    Task* caller = Kernel::current_task();
    if (caller == nullptr) {
      return fail(Errno::enoent);
    }
    const bool own = caller->process().pid() == pid;
    if (!own) {
      if (auto zombie = caller->kernel().zombie(pid)) {
        return zombie_file(*zombie, pid, name);
      }
    }
    if (name == "mounts" || name == "mountinfo") {
      const fs::PathContext context = TRY(path_context_of(pid));
      fs::Vfs& vfs = caller->kernel().vfs();
      return name == "mounts" ? mounts(vfs, context) : mount_info(vfs, context);
    }
    if (name == "maps") {
      const std::vector<mm::Vma> areas = TRY(read_process<std::vector<mm::Vma>>(
          pid,
          [](Process& process) -> Result<std::vector<mm::Vma>> { return process.memory.areas(); }));
      return maps(areas);
    }
    if (own && name == "cmdline") {
      Process& process = caller->process();
      return guest_bytes(process.arguments_start, process.arguments_end);
    }
    if (own && name == "environ") {
      Process& process = caller->process();
      return guest_bytes(process.environment_start, process.environment_end);
    }
    return read_process<std::string>(pid, [name, own](Process& process) -> Result<std::string> {
      if (name == "cmdline") {
        // NOTE: Linux reads another process's arguments from its
        // memory, so a program that rewrites its argv shows the change;
        // this is the copy that execve made.
        sync::LockGuard guard(process.lock);
        return process.argument_strings;
      }
      if (name == "environ") {
        sync::LockGuard guard(process.lock);
        return process.environment_strings;
      }
      if (name == "comm") {
        sync::LockGuard guard(process.lock);
        return process.name + "\n";
      }
      if (name == "personality") {
        sync::LockGuard guard(process.lock);
        return fmt::format("{:08x}\n", process.personality);
      }
      if (name == "limits") {
        return limits(process);
      }
      if (name == "cgroup") {
        // Every process of the sandbox sits at the root of its cgroup
        // namespace, in the cgroup2 tree that /sys/fs/cgroup shows.
        return std::string("0::/\n");
      }
      if (name == "status") {
        return status(process, process.pid(), own);
      }
      if (name == "stat") {
        return stat(process, process.pid(), own);
      }
      return fail(Errno::enoent);
    });
  }

  std::vector<int32_t> descriptors(int32_t pid) override {
    auto open = read_process<std::vector<int32_t>>(
        pid, [](Process& process) -> Result<std::vector<int32_t>> {
          std::vector<int> numbers = process.descriptors().open_descriptors();
          return std::vector<int32_t>(numbers.begin(), numbers.end());
        });
    return open.value_or(std::vector<int32_t>{});
  }

  Result<fs::procfs::DescriptorView> descriptor(int32_t pid, int32_t number) override {
    struct OpenDescriptor {
      std::shared_ptr<fd::File> file;
      bool close_on_exec = false;
      fs::PathContext context;
    };
    const OpenDescriptor open =
        TRY(read_process<OpenDescriptor>(pid, [number](Process& process) -> Result<OpenDescriptor> {
          fd::DescriptorTable& table = process.descriptors();
          auto file = table.get(number);
          if (!file) {
            return fail(Errno::enoent);
          }
          return OpenDescriptor{*file, table.close_on_exec(number).value_or(false),
                                process.path_context()};
        }));
    fs::Vfs& vfs = Kernel::current_task()->kernel().vfs();

    fs::procfs::DescriptorView view;
    view.link = link_of(vfs, open.context, *open.file);
    view.info = descriptor_info(vfs, *open.file, open.close_on_exec);
    view.readable = fd::readable(open.file->flags());
    view.writable = fd::writable(open.file->flags());
    view.file = open.file;
    return view;
  }

  std::vector<int32_t> threads(int32_t pid) override {
    auto tids = read_process<std::vector<int32_t>>(
        pid, [](Process& process) -> Result<std::vector<int32_t>> {
          std::vector<int32_t> ids;
          sync::LockGuard guard(process.lock);
          ids.reserve(process.tasks.size());
          for (Task* thread : process.tasks) {
            ids.push_back(thread->tid());
          }
          return ids;
        });
    if (!tids) {
      return {};
    }
    std::sort(tids->begin(), tids->end());
    return *tids;
  }

  Result<std::string> thread_file(int32_t pid, int32_t tid, std::string_view name) override {
    std::vector<int32_t> tids = threads(pid);
    if (std::find(tids.begin(), tids.end(), tid) == tids.end()) {
      return fail(Errno::enoent);
    }
    if (name != "status" && name != "stat") {
      return process_file(pid, name);
    }
    const bool own = Kernel::current_task()->process().pid() == pid;
    return read_process<std::string>(
        pid, [name, tid, own](Process& process) -> Result<std::string> {
          return name == "status" ? status(process, tid, own) : stat(process, tid, own);
        });
  }

  Result<std::string> process_link(int32_t pid, std::string_view name) override {
    if (name == "exe") {
      return read_process<std::string>(pid, [](Process& process) -> Result<std::string> {
        sync::LockGuard guard(process.lock);
        return process.executable_path;
      });
    }
    if (name == "cwd") {
      const fs::PathContext context = TRY(path_context_of(pid));
      return Kernel::current_task()->kernel().vfs().path_of(context, context.working_directory);
    }
    if (name == "root") {
      // Every guest process has the sandbox's root as its root, because
      // chroot(2) is not served.
      TRY_VOID(path_context_of(pid));
      return std::string("/");
    }
    return fail(Errno::enoent);
  }

  Result<std::string> system_file(std::string_view path) override {
    auto uptime = std::chrono::duration<double>(platform::current().clock.monotonic_now());
    if (path == "uptime") {
      return fmt::format("{:.2f} 0.00\n", uptime.count());
    }
    if (path == "loadavg") {
      return fmt::format("0.00 0.00 0.00 1/1 {}\n", current_pid().value_or(1));
    }
    if (path == "meminfo") {
      return fmt::format(
          "MemTotal:       {:8} kB\nMemFree:        {:8} kB\n"
          "MemAvailable:   {:8} kB\nBuffers:               0 kB\n"
          "Cached:                0 kB\nSwapTotal:             0 kB\n"
          "SwapFree:              0 kB\n",
          total_memory_kib, free_memory_kib, free_memory_kib);
    }
    if (path == "stat") {
      // The boot time that makes /proc/uptime and the start times in
      // /proc/<pid>/stat agree with the wall clock.
      int64_t boot_time =
          platform::current().clock.realtime_now().seconds - static_cast<int64_t>(uptime.count());
      // NOTE: the CPU lines stay zero because CPU time is measured per
      // process, not for the whole sandbox.
      std::string text = "cpu  0 0 0 0 0 0 0 0 0 0\n";
      for (uint32_t processor = 0; processor < sandbox_processor_count(); ++processor) {
        text += fmt::format("cpu{} 0 0 0 0 0 0 0 0 0 0\n", processor);
      }
      text += fmt::format(
          "intr 0\nctxt 0\nbtime {}\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n", boot_time);
      return text;
    }
    if (path == "cpuinfo") {
      return cpuinfo_text(sandbox_processor_count());
    }
    if (path == "filesystems") {
      return std::string(
          "nodev\tsysfs\nnodev\tproc\nnodev\ttmpfs\nnodev\tdevtmpfs\nnodev\tcgroup2\n"
          "nodev\toverlay\n\ttar\n");
    }
    if (path == "version") {
      // Linux names the compiler and linker in the second parentheses.
      return fmt::format("Linux version {} (litebox@{}) (LiteBox) {}\n", kernel_release,
                         kernel_host_name, kernel_version);
    }
    if (path == "sys/kernel/hostname") {
      return fmt::format("{}\n", kernel_host_name);
    }
    if (path == "sys/kernel/ostype") {
      return std::string("Linux\n");
    }
    if (path == "sys/kernel/osrelease") {
      return fmt::format("{}\n", kernel_release);
    }
    if (path == "sys/kernel/pid_max") {
      // PID_MAX_LIMIT on 64-bit Linux, which systemd sets at boot.
      // NOTE: the sandbox does not wrap process ids at this value.
      return std::string("4194304\n");
    }
    if (path == "sys/fs/inotify/max_queued_events") {
      return std::string("16384\n");
    }
    // NOTE: the sandbox does not enforce these two inotify limits; the
    // values are Linux's defaults for instances and the largest default
    // for watches.
    if (path == "sys/fs/inotify/max_user_instances") {
      return std::string("128\n");
    }
    if (path == "sys/fs/inotify/max_user_watches") {
      return std::string("1048576\n");
    }
    return fail(Errno::enoent);
  }

 private:
  // The entries of an exited process that its parent has not reaped: its
  // name, state Z and family in stat and status, an empty cmdline and
  // environ. Its other entries are gone.
  static Result<std::string> zombie_file(const Kernel::ZombieView& zombie, int32_t pid,
                                         std::string_view name) {
    if (name == "cmdline" || name == "environ") {
      return std::string();
    }
    if (name == "comm") {
      return zombie.name + "\n";
    }
    if (name == "stat") {
      return fmt::format(
          "{} ({}) Z {} {} {} 0 -1 4194308 0 0 0 0 0 0 0 0 {} {} 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
          "0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
          pid, zombie.name, zombie.parent_pid, zombie.process_group, zombie.session,
          20 + zombie.nice, zombie.nice);
    }
    if (name == "status") {
      return fmt::format(
          "Name:\t{}\nState:\tZ (zombie)\nTgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\n"
          "TracerPid:\t0\nThreads:\t1\n",
          zombie.name, pid, pid, zombie.parent_pid);
    }
    return fail(Errno::enoent);
  }

  // Runs `read` on process `pid`: the caller's own process directly, and
  // another one while the process table keeps it from exiting, so `read`
  // must take no file system lock. `enoent` when no such process runs.
  template <typename T>
  static Result<T> read_process(int32_t pid, const std::function<Result<T>(Process&)>& read) {
    Task* caller = Kernel::current_task();
    if (caller == nullptr) {
      return fail(Errno::enoent);
    }
    if (caller->process().pid() == pid) {
      return read(caller->process());
    }
    Result<T> result = fail(Errno::enoent);
    auto visited =
        caller->kernel().visit_process(pid, [&](Process& process) { result = read(process); });
    if (!visited) {
      return fail(Errno::enoent);
    }
    return result;
  }

  static Result<fs::PathContext> path_context_of(int32_t pid) {
    return read_process<fs::PathContext>(
        pid, [](Process& process) -> Result<fs::PathContext> { return process.path_context(); });
  }

  // Returns the target of /proc/<pid>/fd/<n>: the current path of a
  // directory, the path another file was opened by (with " (deleted)" once
  // its last link is gone), else the anonymous name.
  static std::string link_of(fs::Vfs& vfs, const fs::PathContext& context, fd::File& file) {
    std::shared_ptr<fs::Inode> inode = file.inode();
    auto status = file.stat();
    bool directory = status && fs::file_type_of(status->mode) == fs::FileType::directory;
    if (inode && file.mount() && directory) {
      if (auto path = vfs.path_of(context, {file.mount(), inode})) {
        return *path;
      }
    }
    std::string path = file.opened_path();
    if (path.empty()) {
      return file.anonymous_name();
    }
    // NOTE: Linux follows renames of the file; this keeps the path it was
    // opened by.
    if (status && status->link_count == 0) {
      return path + " (deleted)";
    }
    return path;
  }

  // The text of /proc/<pid>/fdinfo/<n>: the fields that Linux 6.x prints
  // for every file, with the status flags in octal as F_GETFL reports them
  // plus O_CLOEXEC for a close-on-exec descriptor.
  static std::string descriptor_info(fs::Vfs& vfs, fd::File& file, bool close_on_exec) {
    uint64_t position = file.seek(0, fd::SeekOrigin::current).value_or(0);
    uint32_t flags = file.status_flags() & ~open_only_flags;
    if (close_on_exec) {
      flags |= fd::open_close_on_exec;
    }
    uint64_t inode = 0;
    if (auto status = file.stat()) {
      inode = status->inode;
    }
    // NOTE: mount ids are the 1-based order of /proc/self/mounts, and
    // descriptions without a mount (pipes, anonymous inodes) report 0,
    // where Linux numbers its internal pipefs and anon_inodefs mounts.
    uint32_t mount_id = 0;
    if (file.mount()) {
      auto mounts = vfs.mounts();
      auto found = std::find(mounts.begin(), mounts.end(), file.mount());
      if (found != mounts.end()) {
        mount_id = static_cast<uint32_t>(found - mounts.begin()) + 1;
      }
    }
    std::string text = fmt::format("pos:\t{}\nflags:\t0{:o}\nmnt_id:\t{}\nino:\t{}\n", position,
                                   flags, mount_id, inode);
    if (auto* timer = dynamic_cast<event::TimerFd*>(&file)) {
      text += timer_info(*timer);
    }
    if (auto* pidfd = dynamic_cast<PidFile*>(&file)) {
      text += pidfd->fdinfo_lines();
    }
    return text;
  }

  // The lines that Linux 6.x adds to the fdinfo of a timerfd: the clock,
  // the ticks, the flags of the last timerfd_settime(2) and the setting
  // that timerfd_gettime(2) reports, as (seconds, nanoseconds). Linux
  // re-arms a periodic timer only when it is read, so while expirations
  // wait to be read, ticks is 1 and it_value is 0.
  static std::string timer_info(event::TimerFd& timer) {
    const uint64_t ticks = timer.unread_expirations() != 0 ? 1 : 0;
    const event::TimerFd::Setting setting = timer.get();
    constexpr int64_t nanoseconds_per_second = 1'000'000'000;
    const int64_t value = ticks != 0 ? 0 : setting.value.count();
    const int64_t interval = setting.interval.count();
    return fmt::format(
        "clockid: {}\nticks: {}\nsettime flags: 0{:o}\nit_value: ({}, {})\n"
        "it_interval: ({}, {})\n",
        timer.clock(), ticks, timer.setting_flags.load(), value / nanoseconds_per_second,
        value % nanoseconds_per_second, interval / nanoseconds_per_second,
        interval % nanoseconds_per_second);
  }

  // The guest's bytes in [start, end), read while the caller is that
  // process, so its memory is the current one.
  static Result<std::string> guest_bytes(uint64_t start, uint64_t end) {
    if (end <= start) {
      return std::string();
    }
    auto bytes = TRY(GuestPtr<char>(start).read_array(end - start));
    return std::string(bytes.begin(), bytes.end());
  }

  static std::string maps(const std::vector<mm::Vma>& areas) {
    std::string text;
    for (const mm::Vma& area : areas) {
      uint64_t inode = 0;
      uint64_t device = 0;
      if (area.inode) {
        if (auto status = area.inode->stat()) {
          inode = status->inode;
          device = status->device;
        }
      } else if (area.stream) {
        if (auto status = platform::current().stdio.stream_status(*area.stream)) {
          inode = status->inode;
          device = status->device;
        }
      }
      std::string line =
          fmt::format("{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {}", area.start, area.end,
                      (area.protection & platform::prot_read) ? 'r' : '-',
                      (area.protection & platform::prot_write) ? 'w' : '-',
                      (area.protection & platform::prot_exec) ? 'x' : '-', area.shared ? 's' : 'p',
                      area.inode || area.stream ? area.file_offset : 0, (device >> 8) & 0xfff,
                      device & 0xff, inode);
      if (!area.name.empty()) {
        // Linux pads the name to column 74.
        line.resize(std::max<size_t>(line.size() + 1, 73), ' ');
        line += area.name;
      }
      text += line + "\n";
    }
    return text;
  }

  static uint64_t mapped_kib(Process& process) { return process.mapped_bytes() / 1024; }

  // The fields of /proc/<pid>/status and stat that change under the
  // process's lock.
  struct NamedCounts {
    std::string name;
    size_t threads = 0;
    int32_t nice = 0;  // of thread `id`, or of the first thread
  };

  static NamedCounts named_counts(Process& process, int32_t id) {
    sync::LockGuard guard(process.lock);
    NamedCounts counts{process.name, process.tasks.size()};
    Task* thread = process.find_task_locked(id);
    if (thread == nullptr && !process.tasks.empty()) {
      thread = process.tasks.front();
    }
    if (thread != nullptr) {
      counts.nice = thread->nice;
    }
    return counts;
  }

  // The state of /proc/<pid>/status and stat: T while a signal has
  // stopped the process. Otherwise the caller's own process is running and
  // another one is taken to wait in a system call.
  // NOTE: Linux shows R for a process that runs on another processor.
  static std::string_view state_of(Process& process, bool own) {
    if (process.stopped.load(std::memory_order_acquire)) {
      return "T (stopped)";
    }
    return own ? "R (running)" : "S (sleeping)";
  }

  // /proc/<pid>/status, or /proc/<pid>/task/<tid>/status with Pid: `id`.
  // `own` is true when the caller belongs to the process.
  static std::string status(Process& process, int32_t id, bool own) {
    fs::PathContext context = process.path_context();
    const fs::Credentials& credentials = context.credentials;
    const NamedCounts counts = named_counts(process, id);
    uint64_t size_kib = mapped_kib(process);
    // NOTE: resident memory is not tracked, so VmRSS reports the mapped size.
    return fmt::format(
        "Name:\t{}\nUmask:\t{:04o}\nState:\t{}\nTgid:\t{}\nNgid:\t0\nPid:\t{}\n"
        "PPid:\t{}\nTracerPid:\t0\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\n"
        "FDSize:\t{}\nVmPeak:\t{:8} kB\nVmSize:\t{:8} kB\nVmRSS:\t{:8} kB\nThreads:\t{}\n",
        counts.name, context.umask, state_of(process, own), process.pid(), id, process.parent_pid(),
        credentials.uid, credentials.uid, credentials.uid, credentials.uid, credentials.gid,
        credentials.gid, credentials.gid, credentials.gid, process.descriptors().limit(), size_kib,
        size_kib, size_kib, counts.threads);
  }

  // /proc/<pid>/limits: a table of the resource limits with Linux's names,
  // units and column widths.
  static std::string limits(Process& process) {
    struct Row {
      std::string_view name;
      std::string_view unit;
    };
    static constexpr std::array<Row, resource_count> rows{{
        {"Max cpu time", "seconds"},
        {"Max file size", "bytes"},
        {"Max data size", "bytes"},
        {"Max stack size", "bytes"},
        {"Max core file size", "bytes"},
        {"Max resident set", "bytes"},
        {"Max processes", "processes"},
        {"Max open files", "files"},
        {"Max locked memory", "bytes"},
        {"Max address space", "bytes"},
        {"Max file locks", "locks"},
        {"Max pending signals", "signals"},
        {"Max msgqueue size", "bytes"},
        {"Max nice priority", ""},
        {"Max realtime priority", ""},
        {"Max realtime timeout", "us"},
    }};
    std::array<ResourceLimit, resource_count> values;
    {
      sync::LockGuard guard(process.lock);
      values = process.limits;
    }
    auto show = [](uint64_t value) {
      return value == rlimit_infinity ? std::string("unlimited") : std::to_string(value);
    };
    std::string text =
        fmt::format("{:<25} {:<20} {:<20} {:<10}\n", "Limit", "Soft Limit", "Hard Limit", "Units");
    for (size_t index = 0; index < resource_count; ++index) {
      text += fmt::format("{:<25} {:<20} {:<20} ", rows[index].name, show(values[index].current),
                          show(values[index].maximum));
      if (!rows[index].unit.empty()) {
        text += fmt::format("{:<10}", rows[index].unit);
      }
      text += '\n';
    }
    return text;
  }

  // /proc/<pid>/stat, or /proc/<pid>/task/<tid>/stat whose first field is
  // `id`. `own` is true when the caller belongs to the process.
  static std::string stat(Process& process, int32_t id, bool own) {
    uint64_t size_bytes = mapped_kib(process) * 1024;
    uint64_t resident_pages = size_bytes / 4096;
    const NamedCounts counts = named_counts(process, id);
    // The platform's times of the calling host process and thread are this
    // process's and thread's when the caller reads its own process.
    // NOTE: another thread's stat reports the whole process's times, and
    // another process's CPU times read 0.
    platform::ResourceUsage usage;
    if (own) {
      Task* caller = Kernel::current_task();
      bool own_thread = id != process.pid() && caller != nullptr && caller->tid() == id;
      usage = platform::current().clock.resource_usage(own_thread ? platform::UsageScope::thread
                                                                  : platform::UsageScope::process);
    }
    // The 52 fields of proc_pid_stat(5) in order, with the priority of a
    // SCHED_OTHER thread (20 plus its nice value). Fault counts and the
    // code and data bounds are not tracked and read 0.
    return fmt::format(
        "{} ({}) {} {} {} {} 0 -1 4194304 0 0 0 0 {} {} 0 0 {} {} {} 0 {} {} {} "
        "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 {} {} {} {} {} {} {} 0\n",
        id, counts.name, state_of(process, own).front(), process.parent_pid(),
        process.process_group, process.session, clock_ticks(usage.user_time),
        clock_ticks(usage.system_time), 20 + counts.nice, counts.nice, counts.threads,
        clock_ticks(process.start_time), size_bytes, resident_pages, 0, 0, process.break_start,
        process.arguments_start, process.arguments_end, process.environment_start,
        process.environment_end);
  }

  // Builds /proc/PID/mountinfo, one line per mount. A line gives the mount's
  // id (the 1-based order of /proc/PID/mounts, as fdinfo's mnt_id) and its
  // parent's id. The root gets 0, because Linux too gives it a parent
  // outside the list. Then come the device number, the root of the mount
  // within its file system, the mount point, the options, "-", the type,
  // the source and the file system's options.
  static Result<std::string> mount_info(fs::Vfs& vfs, const fs::PathContext& context) {
    const auto mounts = vfs.mounts();
    std::string text;
    for (size_t index = 0; index < mounts.size(); ++index) {
      const auto& mount = mounts[index];
      std::string path = "/";
      size_t parent_id = 0;
      if (mount->parent()) {
        path = TRY(vfs.path_of(context, mount->mount_point()));
        auto parent = std::find(mounts.begin(), mounts.end(), mount->parent());
        if (parent != mounts.end()) {
          parent_id = static_cast<size_t>(parent - mounts.begin()) + 1;
        }
      }
      const uint64_t device = TRY(mount->root()->stat()).device;
      fs::FileSystem& file_system = mount->file_system();
      const char* access = file_system.read_only() ? "ro" : "rw";
      text += fmt::format("{} {} {}:{} / {} {},relatime - {} {} {}\n", index + 1, parent_id,
                          device_major(device), device_minor(device), path, access,
                          file_system.type_name(), file_system.type_name(), access);
    }
    return text;
  }

  static Result<std::string> mounts(fs::Vfs& vfs, const fs::PathContext& context) {
    std::string text;
    for (const auto& mount : vfs.mounts()) {
      std::string path = "/";
      if (mount->parent()) {
        path = TRY(vfs.path_of(context, mount->mount_point()));
      }
      fs::FileSystem& file_system = mount->file_system();
      text += fmt::format("{0} {1} {0} {2} 0 0\n", file_system.type_name(), path,
                          file_system.read_only() ? "ro" : "rw");
    }
    return text;
  }
};

}  // namespace

std::shared_ptr<fs::procfs::Provider> make_procfs_provider() {
  return std::make_shared<LinuxProcfsProvider>();
}

}  // namespace litebox::shim::linux_abi
