#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../support/run_in_child.hpp"
#include "sandbox/limits.hpp"
#include "util/error.hpp"

namespace limits = airlock::limits;
using airlock::policy::Limit;
using airlock::policy::Limits;
using airlock::test::run_in_child;
using airlock::test::write_all;

namespace {

Limit value(std::uint64_t v) { return Limit{Limit::Kind::value, v}; }
Limit unlimited() { return Limit{Limit::Kind::unlimited, 0}; }
Limit keep() { return Limit{}; }

rlimit current(int resource) {
  rlimit r{};
  airlock::check_syscall(::getrlimit(resource, &r), "getrlimit");
  return r;
}

// "soft hard" of a resource, sent from the child.
void send_limit(int fd, int resource) {
  const auto r = current(resource);
  if (!write_all(fd, std::to_string(r.rlim_cur) + " " + std::to_string(r.rlim_max) + "\n")) ::_exit(91);
}

std::vector<std::pair<rlim_t, rlim_t>> parse_limits(const std::string& text) {
  std::vector<std::pair<rlim_t, rlim_t>> out;
  std::istringstream in(text);
  rlim_t soft = 0, hard = 0;
  while (in >> soft >> hard) out.emplace_back(soft, hard);
  return out;
}

void become_unprivileged() {
  if (::geteuid() == 0 && ::setresuid(65534, 65534, 65534) != 0) ::_exit(7);
}

}  // namespace

TEST(LimitsBuild, MapsEveryNameToItsResource) {
  Limits policy;
  policy.rlimits = {{"nofile", value(64)}, {"nproc", keep()},      {"fsize", value(1)},
                    {"core", value(0)},    {"cpu", unlimited()},   {"as", value(1u << 30)},
                    {"stack", keep()}};
  const auto entries = limits::build(policy);
  std::vector<std::pair<std::string, int>> mapping;
  for (const auto& e : entries) mapping.emplace_back(e.name, e.resource);
  const std::vector<std::pair<std::string, int>> expected = {
      {"as", RLIMIT_AS},         {"core", RLIMIT_CORE},   {"cpu", RLIMIT_CPU},    {"fsize", RLIMIT_FSIZE},
      {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"stack", RLIMIT_STACK}};
  EXPECT_EQ(mapping, expected);
  EXPECT_EQ(entries[0].limit.value, 1u << 30);
  EXPECT_EQ(entries[2].limit.kind, Limit::Kind::unlimited);
  EXPECT_EQ(entries[6].limit.kind, Limit::Kind::keep);
}

TEST(LimitsBuild, UnknownNameIsAnErrorNamingIt) {
  Limits policy;
  policy.rlimits = {{"pids", value(1024)}};
  try {
    (void)limits::build(policy);
    FAIL() << "expected airlock::Error";
  } catch (const airlock::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'pids'"), std::string::npos) << e.what();
  }
}

// limits.tmp sizes the private /tmp (a mount option), no rlimit.
TEST(LimitsBuild, TmpIsTheSizeOfThePrivateTmpNotAnRlimit) {
  const std::uint64_t ram = std::uint64_t{16} << 30;
  Limits policy;
  policy.rlimits = {{"nofile", value(64)}, {"tmp", value(8u << 20)}};
  const auto entries = limits::build(policy);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "nofile");
  EXPECT_EQ(limits::tmp_size(policy, ram), std::optional<std::uint64_t>(8u << 20));
  policy.rlimits["tmp"] = unlimited();
  EXPECT_EQ(limits::tmp_size(policy, ram), std::optional<std::uint64_t>(0));  // tmpfs: size=0 is no limit
  policy.rlimits["tmp"] = keep();
  EXPECT_EQ(limits::tmp_size(policy, ram), std::nullopt);
  EXPECT_EQ(limits::tmp_size(Limits{}, ram), std::nullopt);
}

// limits.processes is the sandbox pid namespace's pid_max, not an rlimit:
// pids 1 (init) and 2 (the command), then 300 and up (the kernel reuses no
// pid below 300 once it has passed it), so that `processes` tasks fit.
TEST(LimitsBuild, ProcessesIsAPidRangeNotAnRlimit) {
  Limits policy;
  policy.rlimits = {{"nofile", value(64)}, {"processes", value(2048)}};
  const auto entries = limits::build(policy);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "nofile");
  EXPECT_EQ(limits::process_limit(policy), std::optional<std::uint64_t>(2048));
  const auto range = limits::pid_range_for(2048);
  EXPECT_EQ(range.last_pid, 299u);
  EXPECT_EQ(range.pid_max, 2347u);
  // The command (pid 2) and pids 300 .. 2346: 2048 tasks.
  EXPECT_EQ(1 + (range.pid_max - (range.last_pid + 1)), 2048u);
  // The kernel's least pid_max is 301.
  EXPECT_EQ(limits::pid_range_for(2).pid_max, 301u);
  policy.rlimits["processes"] = unlimited();
  EXPECT_EQ(limits::process_limit(policy), std::nullopt);
  policy.rlimits["processes"] = keep();
  EXPECT_EQ(limits::process_limit(policy), std::nullopt);
}

TEST(LimitsBuild, TmpAsAShareOfMemoryIsThatShareInWholePages) {
  struct sysinfo info {};
  ASSERT_EQ(::sysinfo(&info), 0);
  const std::uint64_t ram = static_cast<std::uint64_t>(info.totalram) * info.mem_unit;
  EXPECT_EQ(limits::memory_bytes(), ram);
  const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  Limits policy;
  policy.rlimits["tmp"] = Limit{Limit::Kind::percent_of_ram, 12};
  const auto size = limits::tmp_size(policy, ram);
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(*size % page, 0u);
  EXPECT_LE(*size, ram * 12 / 100);
  EXPECT_GT(*size + page, ram / 100 * 12);
  // sysinfo(2) refused: a share of unknown memory is refused, not guessed.
  EXPECT_THROW(limits::tmp_size(policy, 0), airlock::Error);
  policy.rlimits["tmp"] = Limit{Limit::Kind::percent_of_ram, 100};
  EXPECT_LE(*limits::tmp_size(policy, ram), ram);
  EXPECT_GT(*limits::tmp_size(policy, ram), ram / 100 * 99);
}

TEST(LimitsDefaults, OnlyCoreDumpsAreLimited) {
  const auto d = limits::defaults();
  ASSERT_EQ(d.rlimits.size(), 7u);
  for (const auto& [name, limit] : d.rlimits) {
    if (name == "core") {
      EXPECT_EQ(limit.kind, Limit::Kind::value);
      EXPECT_EQ(limit.value, 0u);
    } else {
      EXPECT_EQ(limit.kind, Limit::Kind::keep) << name;
    }
  }
  const auto r = run_in_child([](int out) {
    limits::apply(limits::build(limits::defaults()));
    send_limit(out, RLIMIT_CORE);
  });
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(parse_limits(r.output), (std::vector<std::pair<rlim_t, rlim_t>>{{0, 0}}));
}

TEST(LimitsApply, SetsSoftAndHardAndTheKernelEnforcesThem) {
  Limits policy;
  policy.rlimits = {{"nofile", value(64)}, {"fsize", value(1 << 20)}, {"stack", keep()}};
  const auto parent_stack = current(RLIMIT_STACK);
  const auto r = run_in_child([&](int out) {
    limits::apply(limits::build(policy));
    send_limit(out, RLIMIT_NOFILE);
    send_limit(out, RLIMIT_FSIZE);
    send_limit(out, RLIMIT_STACK);
    // The 64th descriptor (number 63) is the last one open(2) may return.
    for (;;) {
      const int fd = ::dup(0);
      if (fd < 0) ::_exit(errno == EMFILE ? 0 : 8);
      if (fd >= 64) ::_exit(9);
    }
  });
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto got = parse_limits(r.output);
  ASSERT_EQ(got.size(), 3u) << r.output;
  EXPECT_EQ(got[0], std::make_pair(rlim_t{64}, rlim_t{64}));
  EXPECT_EQ(got[1], std::make_pair(rlim_t{1 << 20}, rlim_t{1 << 20}));
  EXPECT_EQ(got[2], std::make_pair(parent_stack.rlim_cur, parent_stack.rlim_max));
}

TEST(LimitsApply, UnlimitedSetsInfinity) {
  if (current(RLIMIT_CPU).rlim_max != RLIM_INFINITY) GTEST_SKIP() << "hard cpu limit is finite here";
  Limits policy;
  policy.rlimits = {{"cpu", unlimited()}};
  const auto r = run_in_child([&](int) {
    const rlimit low{10, RLIM_INFINITY};
    airlock::check_syscall(::setrlimit(RLIMIT_CPU, &low), "setrlimit");
    limits::apply(limits::build(policy));
    const auto now = current(RLIMIT_CPU);
    if (now.rlim_cur != RLIM_INFINITY || now.rlim_max != RLIM_INFINITY) ::_exit(3);
  });
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(LimitsApply, AboveTheHardLimitIsAnErrorNamingLimitAndHardLimit) {
  Limits policy;
  policy.rlimits = {{"nofile", value(200)}};
  const auto r = run_in_child([&](int) {
    const rlimit low{100, 100};
    airlock::check_syscall(::setrlimit(RLIMIT_NOFILE, &low), "setrlimit");
    become_unprivileged();
    limits::apply(limits::build(policy));
  });
  EXPECT_EQ(r.exit_code, airlock::test::kChildThrew);
  EXPECT_NE(r.output.find("cannot set limit nofile to 200: the hard limit is 100"), std::string::npos)
      << r.output;
}
