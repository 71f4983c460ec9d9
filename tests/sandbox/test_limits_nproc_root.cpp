// limits.nproc and the initial namespace's root, whom the kernel exempts
// from RLIMIT_NPROC (integration/escapes/fork_bomb.c found a root run with
// nproc = 200 reaching thousands of processes). The run is refused instead.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "sandbox/limits.hpp"

namespace limits = airlock::limits;
using airlock::policy::Limit;
using airlock::policy::Limits;
using airlock::policy::Process;

namespace {

Limits with_nproc(Limit limit) {
  Limits l;
  l.rlimits["nproc"] = limit;
  return l;
}

Process as_user(const char* name) {
  Process p{};
  p.user.emplace(name);
  return p;
}

}  // namespace

TEST(LimitsNprocRoot, AValueCannotHoldHostRoot) {
  const auto why = limits::nproc_unenforceable(with_nproc(Limit{Limit::Kind::value, 200}), true);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("limits.nproc = 200"), std::string::npos) << *why;
  EXPECT_NE(why->find("RLIMIT_NPROC"), std::string::npos) << *why;
  EXPECT_NE(why->find("process.user"), std::string::npos) << *why;
}

TEST(LimitsNprocRoot, AnyoneElseOrNoValueIsFine) {
  EXPECT_FALSE(limits::nproc_unenforceable(with_nproc(Limit{Limit::Kind::value, 200}), false));
  EXPECT_FALSE(limits::nproc_unenforceable(with_nproc(Limit{Limit::Kind::unlimited, 0}), true));
  EXPECT_FALSE(limits::nproc_unenforceable(with_nproc(Limit{}), true));
  EXPECT_FALSE(limits::nproc_unenforceable(Limits{}, true));
}

TEST(LimitsNprocRoot, PayloadIsHostRootFollowsTheUserSwitch) {
  const Process stay{};
  const Process nobody = as_user("65534");
  const Process root_by_name = as_user("root");
  if (::getuid() != 0) {
    EXPECT_FALSE(limits::payload_is_host_root(stay)) << "not root: nothing to be exempt";
    return;
  }
  // The test runs as root of the initial namespace (ctest) or of a container
  // that may map uid 0 elsewhere; the answer for `stay` says which.
  const bool host_root = limits::payload_is_host_root(stay);
  EXPECT_EQ(limits::payload_is_host_root(root_by_name), host_root);
  EXPECT_FALSE(limits::payload_is_host_root(nobody));
}
