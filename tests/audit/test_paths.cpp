// The pure half of audit path handling: text operations on paths and the
// meaning of open(2) flags.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "audit/calls.hpp"
#include "audit/observations.hpp"
#include "audit/paths.hpp"

namespace p = airlock::audit::paths;
using airlock::audit::open_use;

TEST(AuditPaths, JoinResolvesRelativeAgainstTheStartDirectory) {
  EXPECT_EQ(p::join("/work/proj", "src/main.c"), "/work/proj/src/main.c");
  EXPECT_EQ(p::join("/work/proj", "../other/x"), "/work/other/x");
  EXPECT_EQ(p::join("/work/proj", "/etc/hosts"), "/etc/hosts");
  EXPECT_EQ(p::join("/work/proj", "."), "/work/proj");
  EXPECT_EQ(p::join("/", "etc"), "/etc");
}

TEST(AuditPaths, LastComponent) {
  EXPECT_EQ(p::last_component("/a/b"), "b");
  EXPECT_EQ(p::last_component("/"), "");
}

TEST(AuditPaths, PrefixAndComponent) {
  EXPECT_EQ(p::prefix("/a/b/c", 2), "/a/b");
  EXPECT_EQ(p::prefix("/a/b/c", 0), "/");
  EXPECT_EQ(p::prefix("/a/b", 5), "/a/b");
  EXPECT_EQ(p::component("/a/b/c", 0), "a");
  EXPECT_EQ(p::component("/a/b/c", 2), "c");
  EXPECT_EQ(p::component("/a/b/c", 3), "");
}

TEST(AuditPaths, OpenFlagsSayWhatTheOpenNeeds) {
  using namespace airlock::audit;
  EXPECT_EQ(open_use(O_RDONLY, true), kRead);
  EXPECT_EQ(open_use(O_WRONLY, true), kWrite);
  EXPECT_EQ(open_use(O_RDWR, true), kRead | kWrite);
  EXPECT_EQ(open_use(O_RDONLY | O_TRUNC, true), kRead | kWrite);
  // O_CREAT creates only what is not there yet.
  EXPECT_EQ(open_use(O_WRONLY | O_CREAT, false), kCreate);
  EXPECT_EQ(open_use(O_WRONLY | O_CREAT, true), kWrite);
  EXPECT_EQ(open_use(O_RDONLY | O_CREAT, true), kRead);
  // O_PATH reads nothing: Landlock does not check it.
  EXPECT_EQ(open_use(O_PATH, true), 0u);
}

TEST(AuditPaths, ObservationsRememberWhetherThePathWasThereFirst) {
  using namespace airlock::audit;
  Observations seen;
  seen.record({"/p/new", "/p/new", kRead, false, false, "openat"});  // looked for, absent
  seen.record({"/p/new", "/p/new", kCreate, false, false, "openat"});
  seen.record({"/p/old", "/p/old", kWrite, true, false, "openat"});
  seen.record({"/p/old", "/p/old", kCreate, false, false, "rename"});  // replaced later: still pre-existing
  EXPECT_TRUE(seen.paths.at("/p/new").created);
  EXPECT_FALSE(seen.paths.at("/p/new").existed);
  EXPECT_FALSE(seen.paths.at("/p/old").created);
  EXPECT_EQ(seen.paths.at("/p/old").uses, kWrite | kCreate);
  EXPECT_EQ(seen.paths.at("/p/old").calls, (std::set<std::string>{"openat", "rename"}));
}

TEST(AuditPaths, DestinationsAreWrittenAsNetworkAllowEntries) {
  using airlock::audit::Destination;
  EXPECT_EQ((Destination{AF_INET, "203.0.113.7", 443}).text(), "203.0.113.7:443");
  EXPECT_EQ((Destination{AF_INET6, "2001:db8::1", 443}).text(), "[2001:db8::1]:443");
  EXPECT_TRUE((Destination{AF_INET, "127.0.0.53", 53}).loopback());
  EXPECT_TRUE((Destination{AF_INET6, "::1", 80}).loopback());
  EXPECT_FALSE((Destination{AF_INET, "10.0.0.1", 80}).loopback());
}
