#include "shim/linux/sysfs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

namespace litebox::shim::linux_abi {

namespace {

// A CPU range in Linux's list format: "0" for one CPU, "0-3" for more.
std::string cpu_list(uint32_t first, uint32_t last) {
  if (first == last) {
    return fmt::format("{}\n", first);
  }
  return fmt::format("{}-{}\n", first, last);
}

// A CPU set in Linux's mask format for `processor_count` possible CPUs:
// hexadecimal words of 32 bits, the highest first, separated by commas. The
// first word has only as many digits as its bits need, the others eight.
std::string cpu_mask(uint32_t processor_count, uint32_t first, uint32_t last) {
  const uint32_t words = (processor_count + 31) / 32;
  std::string text;
  for (uint32_t word = words; word-- > 0;) {
    const uint32_t low = word * 32;
    uint32_t bits = 0;
    for (uint32_t processor = std::max(first, low); processor <= last && processor < low + 32;
         ++processor) {
      bits |= uint32_t{1} << (processor - low);
    }
    const uint32_t width = word + 1 == words ? ((processor_count - low) + 3) / 4 : 8;
    text += fmt::format("{:0{}x}", bits, width);
    text += word == 0 ? "\n" : ",";
  }
  return text;
}

// The topology files of one CPU: one package with one core per CPU and
// one thread per core, as /proc/cpuinfo describes it.
void add_topology(fs::sysfs::Tree& tree, uint32_t processor_count, uint32_t processor) {
  const std::string directory = fmt::format("devices/system/cpu/cpu{}/topology/", processor);
  const uint32_t last = processor_count - 1;
  auto add = [&](std::string_view name, std::string contents) {
    tree.files.push_back({directory + std::string(name), std::move(contents)});
  };
  add("physical_package_id", "0\n");
  add("die_id", "0\n");
  add("cluster_id", fmt::format("{}\n", processor));
  add("core_id", fmt::format("{}\n", processor));
  for (std::string_view own : {"thread_siblings", "core_cpus", "cluster_cpus"}) {
    add(own, cpu_mask(processor_count, processor, processor));
    add(std::string(own) + "_list", cpu_list(processor, processor));
  }
  for (std::string_view shared : {"core_siblings", "die_cpus", "package_cpus"}) {
    add(shared, cpu_mask(processor_count, 0, last));
    add(std::string(shared) + "_list", cpu_list(0, last));
  }
}

}  // namespace

fs::sysfs::Tree system_tree(uint32_t processor_count) {
  processor_count = std::max(processor_count, 1u);
  fs::sysfs::Tree tree;
  tree.type_name = "sysfs";
  tree.magic = fs::sysfs::sysfs_magic;
  const std::string all = cpu_list(0, processor_count - 1);
  tree.files = {
      // NR_CPUS - 1, which lscpu sizes its CPU masks from. NOTE: the value
      // assumes a kernel built with NR_CPUS=8192; the sandbox has no
      // kernel build to report.
      {"devices/system/cpu/kernel_max", "8191\n"}, {"devices/system/cpu/possible", all},
      {"devices/system/cpu/present", all},         {"devices/system/cpu/online", all},
      {"devices/system/cpu/offline", "\n"},
  };
  for (uint32_t processor = 0; processor < processor_count; ++processor) {
    // As on x86 Linux, the boot CPU cannot go offline and has no online
    // file.
    if (processor != 0) {
      tree.files.push_back({fmt::format("devices/system/cpu/cpu{}/online", processor), "1\n"});
    }
    add_topology(tree, processor_count, processor);
  }
  // One NUMA node with every CPU and all memory.
  const std::string node_list = "0\n";
  for (std::string_view name :
       {"possible", "online", "has_cpu", "has_memory", "has_normal_memory"}) {
    tree.files.push_back({"devices/system/node/" + std::string(name), node_list});
  }
  tree.files.push_back({"devices/system/node/node0/cpulist", all});
  tree.files.push_back(
      {"devices/system/node/node0/cpumap", cpu_mask(processor_count, 0, processor_count - 1)});
  // The mount point of the cgroup2 tree.
  tree.directories = {"fs/cgroup"};
  return tree;
}

fs::sysfs::Tree cgroup_tree(uint32_t processor_count) {
  processor_count = std::max(processor_count, 1u);
  fs::sysfs::Tree tree;
  tree.type_name = "cgroup2";
  tree.magic = fs::sysfs::cgroup2_magic;
  // NOTE: a container's cgroup shows these files with the limits its
  // manager set. The sandbox sets none, and it keeps no usage counters
  // (memory.current, cpu.stat), so those files are missing.
  tree.files = {
      {"cgroup.controllers", "cpuset cpu memory pids\n"},
      {"cgroup.subtree_control", "\n"},
      {"cgroup.type", "domain\n"},
      {"cgroup.max.depth", "max\n"},
      {"cgroup.max.descendants", "max\n"},
      {"cpuset.cpus.effective", cpu_list(0, processor_count - 1)},
      {"cpuset.mems.effective", "0\n"},
      {"cpu.max", "max 100000\n"},
      {"cpu.weight", "100\n"},
      {"memory.min", "0\n"},
      {"memory.low", "0\n"},
      {"memory.high", "max\n"},
      {"memory.max", "max\n"},
      {"memory.swap.max", "max\n"},
      {"pids.max", "max\n"},
  };
  return tree;
}

}  // namespace litebox::shim::linux_abi
