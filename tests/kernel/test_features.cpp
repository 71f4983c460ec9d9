// Which /proc lets a user namespace mount a fresh one (kernel/features.hpp):
// read from mountinfo, as the kernel's mount_too_revealing() decides it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "kernel/features.hpp"

namespace airlock::kernel {
namespace {

std::string mountinfo_file(const std::string& text) {
  char path[] = "/tmp/airlock-mountinfo-XXXXXX";
  const int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

constexpr const char* kHost =
    "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
    "40 23 0:35 / /proc/sys/fs/binfmt_misc rw,relatime - autofs systemd-1 rw\n"
    "24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw\n";

TEST(FreshProc, AHostWithOnlyBinfmtMiscOverProcGetsAFreshOne) {
  const auto path = mountinfo_file(kHost);
  EXPECT_TRUE(probe_fresh_proc(path).available);
  ::unlink(path.c_str());
}

// runc's masks: /dev/null over files, an empty tmpfs over directories,
// /proc/sys bound read-only.
TEST(FreshProc, AnEnginesMasksRuleItOutAndAreNamed) {
  const auto path = mountinfo_file(std::string(kHost) +
                                   "50 23 0:6 /null /proc/kcore ro,nosuid - devtmpfs udev rw\n"
                                   "51 23 0:60 / /proc/acpi ro,relatime - tmpfs tmpfs ro\n"
                                   "52 23 0:21 /sys /proc/sys ro,relatime - proc proc rw\n");
  const auto probe = probe_fresh_proc(path);
  EXPECT_FALSE(probe.available);
  EXPECT_NE(probe.detail.find("/proc/kcore, /proc/acpi, /proc/sys"), std::string::npos) << probe.detail;
  EXPECT_NE(probe.detail.find("lists processes outside the sandbox"), std::string::npos) << probe.detail;
  ::unlink(path.c_str());
}

TEST(FreshProc, ThisHostAgreesWithTheKernel) {
  // Nothing is mounted over this test machine's /proc but binfmt_misc;
  // integration/test_container_proc.sh covers a masked one.
  EXPECT_TRUE(probe_fresh_proc("/proc/self/mountinfo").available) << probe_fresh_proc("/proc/self/mountinfo").detail;
}

}  // namespace
}  // namespace airlock::kernel
