// Mapping the vDSO and its data page into a guest process, on the mock
// platform.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "fake_execution.hpp"
#include "litebox/platform/platform.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/loader/initial_stack.hpp"
#include "shim/linux/vdso/time_source.hpp"
#include "shim/linux/vdso/vdso.hpp"
#include "test_platform.hpp"

namespace litebox::shim::linux_abi {
namespace {

class VdsoMapping : public ::testing::Test {
 protected:
  VdsoMapping() : kernel_(execution_, nullptr, {}) {
    task_ = kernel_.create_first_task({});
    execution_.use_memory_map(&task_->process().memory);
  }

  // Maps the vDSO while a helper thread moves the mock clock forward, so
  // that a TSC calibration against it ends at once.
  std::expected<uint64_t, elf::LoadError> map_vdso() {
    std::atomic<bool> done{false};
    std::thread ticker([&done] {
      while (!done.load()) {
        testing::mock_platform().advance(std::chrono::milliseconds(1));
        std::this_thread::yield();
      }
    });
    auto address = vdso::map_into(task_->process());
    done.store(true);
    ticker.join();
    return address;
  }

  testing::FakeExecution execution_;
  Kernel kernel_;
  std::unique_ptr<Task> task_;
};

TEST_F(VdsoMapping, ImageFollowsDataPage) {
  auto address = map_vdso();
  ASSERT_TRUE(address) << address.error().reason;

  auto image = task_->process().memory.find(*address);
  auto data_page = task_->process().memory.find(*address - mm::page_size);
  ASSERT_TRUE(image);
  ASSERT_TRUE(data_page);
  EXPECT_EQ(image->name, "[vdso]");
  EXPECT_EQ(image->start, *address);
  EXPECT_EQ(image->protection, platform::prot_read | platform::prot_exec);
  EXPECT_EQ(data_page->name, "[vvar]");
  EXPECT_EQ(data_page->start, *address - mm::page_size);
  EXPECT_EQ(data_page->end, *address);
  EXPECT_EQ(data_page->protection, platform::prot_read);
}

TEST_F(VdsoMapping, CopiesImageAndTimeData) {
  auto address = map_vdso();
  ASSERT_TRUE(address) << address.error().reason;

  const std::span<const std::byte> expected_image = vdso::image();
  std::vector<std::byte> image(expected_image.size());
  ASSERT_TRUE(copy_from_guest(image, *address));
  EXPECT_EQ(std::memcmp(image.data(), expected_image.data(), image.size()), 0);

  auto data = GuestPtr<litebox_vdso_data>(*address - mm::page_size).read();
  ASSERT_TRUE(data);
  const litebox_vdso_data& expected = vdso::time_data(platform::current().clock);
  EXPECT_EQ(std::memcmp(&*data, &expected, sizeof(expected)), 0);
  EXPECT_EQ(data->sequence % 2, 0u);
  EXPECT_EQ(data->coarse_resolution_ns, vdso::coarse_resolution_ns);
}

TEST_F(VdsoMapping, AuxiliaryVectorNamesImage) {
  auto stack = task_->process().memory.map(
      {.length = 64 * 1024, .protection = platform::prot_read | platform::prot_write});
  ASSERT_TRUE(stack);
  StackContents contents;
  contents.arguments = {"prog"};
  contents.vdso_address = 0x7000'0000'0000;

  auto layout = build_initial_stack(*stack + 64 * 1024, *stack, contents);
  ASSERT_TRUE(layout);

  // Skip argc, argv and its null, and the empty envp's null.
  uint64_t cursor = layout->stack_pointer + 8 * 4;
  std::optional<uint64_t> value;
  for (;; cursor += 16) {
    const uint64_t type = GuestPtr<uint64_t>(cursor).read().value();
    if (type == at_null) {
      break;
    }
    if (type == at_sysinfo_ehdr) {
      value = GuestPtr<uint64_t>(cursor + 8).read().value();
    }
  }
  EXPECT_EQ(value, 0x7000'0000'0000u);
}

}  // namespace
}  // namespace litebox::shim::linux_abi
