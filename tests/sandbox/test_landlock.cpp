// build() and describe(): the Landlock ruleset as data, for every ABI.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sandbox/landlock.hpp"
#include "util/error.hpp"

namespace ll = airlock::landlock;

namespace {

constexpr std::uint64_t kRead = ll::fs::kReadFile | ll::fs::kReadDir;
constexpr std::uint64_t kV1Fs = (1ULL << 13) - 1;  // EXECUTE .. MAKE_SYM
constexpr std::uint64_t kWriteV7 =
    kRead | ll::fs::kWriteFile | ll::fs::kRemoveDir | ll::fs::kRemoveFile |
    ll::fs::kMakeDir | ll::fs::kMakeReg | ll::fs::kMakeSock | ll::fs::kMakeFifo |
    ll::fs::kMakeSym | ll::fs::kRefer | ll::fs::kTruncate | ll::fs::kIoctlDev;

ll::Request sample_request() {
  ll::Request req;
  req.read = {"/usr", "/etc"};
  req.write = {"/work/project", "/dev"};
  req.exec = {"/usr", "/work/project/node_modules/.bin"};
  return req;
}

const ll::PathAccess* find_path(const ll::Ruleset& rs, const std::string& path) {
  for (const auto& rule : rs.paths) {
    if (rule.path == path) return &rule;
  }
  return nullptr;
}
// The pointer points into the ruleset: of a temporary, it dangles (ASan
// found two such uses).
const ll::PathAccess* find_path(ll::Ruleset&& rs, const std::string& path) = delete;

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& line : lines) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST(LandlockBuild, HandledFileRightsGrowWithAbi) {
  const ll::Request req = sample_request();
  EXPECT_EQ(ll::build(req, 1).handled_fs, kV1Fs);
  EXPECT_EQ(ll::build(req, 2).handled_fs, kV1Fs | ll::fs::kRefer);
  EXPECT_EQ(ll::build(req, 3).handled_fs, kV1Fs | ll::fs::kRefer | ll::fs::kTruncate);
  EXPECT_EQ(ll::build(req, 4).handled_fs, kV1Fs | ll::fs::kRefer | ll::fs::kTruncate);
  const std::uint64_t all = kV1Fs | ll::fs::kRefer | ll::fs::kTruncate | ll::fs::kIoctlDev;
  for (int abi = 5; abi <= 7; ++abi) EXPECT_EQ(ll::build(req, abi).handled_fs, all) << abi;
}

TEST(LandlockBuild, NewerKernelGetsNewestKnownAbi) {
  const ll::Ruleset rs = ll::build(sample_request(), 9);
  EXPECT_EQ(rs.abi, ll::kNewestKnownAbi);
  EXPECT_EQ(rs.handled_fs, ll::build(sample_request(), 7).handled_fs);
}

TEST(LandlockBuild, NoLandlockMeansNothingHandledAndSaysSo) {
  for (int abi : {0, -1}) {
    const ll::Ruleset rs = ll::build(sample_request(), abi);
    EXPECT_EQ(rs.abi, 0);
    EXPECT_EQ(rs.handled_fs, 0U);
    EXPECT_EQ(rs.handled_net, 0U);
    EXPECT_EQ(rs.scoped, 0U);
    EXPECT_TRUE(rs.paths.empty());
    EXPECT_TRUE(mentions(rs.not_enforced, "Landlock is not available"));
  }
}

TEST(LandlockBuild, ReadWriteExecRightsAtAbi7) {
  const ll::Ruleset rs = ll::build(sample_request(), 7);
  ASSERT_NE(find_path(rs, "/etc"), nullptr);
  EXPECT_EQ(find_path(rs, "/etc")->access, kRead);
  ASSERT_NE(find_path(rs, "/work/project/node_modules/.bin"), nullptr);
  EXPECT_EQ(find_path(rs, "/work/project/node_modules/.bin")->access,
            kRead | ll::fs::kExecute);
  ASSERT_NE(find_path(rs, "/work/project"), nullptr);
  EXPECT_EQ(find_path(rs, "/work/project")->access, kWriteV7);
  // A writable tree is neither executable nor a place to create device nodes.
  EXPECT_EQ(kWriteV7 & (ll::fs::kExecute | ll::fs::kMakeChar | ll::fs::kMakeBlock), 0U);
}

TEST(LandlockBuild, ReferAndIoctlOnlyOnWritePaths) {
  const ll::Ruleset rs = ll::build(sample_request(), 7);
  for (const auto& rule : rs.paths) {
    const bool writable = rule.path == "/work/project" || rule.path == "/dev";
    EXPECT_EQ((rule.access & ll::fs::kRefer) != 0, writable) << rule.path;
    EXPECT_EQ((rule.access & ll::fs::kIoctlDev) != 0, writable) << rule.path;
    EXPECT_EQ((rule.access & ll::fs::kTruncate) != 0, writable) << rule.path;
    EXPECT_EQ((rule.access & ll::fs::kWriteFile) != 0, writable) << rule.path;
  }
}

TEST(LandlockBuild, RuleRightsAreMaskedToTheAbi) {
  for (int abi = 1; abi <= 7; ++abi) {
    const ll::Ruleset rs = ll::build(sample_request(), abi);
    for (const auto& rule : rs.paths) {
      EXPECT_EQ(rule.access & ~rs.handled_fs, 0U) << "ABI " << abi << " " << rule.path;
    }
  }
  const ll::Ruleset v1 = ll::build(sample_request(), 1);
  const ll::PathAccess* dev_v1 = find_path(v1, "/dev");
  ASSERT_NE(dev_v1, nullptr);
  EXPECT_EQ(dev_v1->access & (ll::fs::kRefer | ll::fs::kTruncate | ll::fs::kIoctlDev), 0U);
  const ll::Ruleset v4 = ll::build(sample_request(), 4);
  const ll::PathAccess* dev_v4 = find_path(v4, "/dev");
  ASSERT_NE(dev_v4, nullptr);
  EXPECT_NE(dev_v4->access & ll::fs::kTruncate, 0U);
  EXPECT_EQ(dev_v4->access & ll::fs::kIoctlDev, 0U);
}

TEST(LandlockBuild, DuplicatePathsMergeIntoOneSortedRule) {
  ll::Request req;
  req.read = {"/srv/data/", "/a"};
  req.exec = {"/srv//data"};
  req.write = {"/b", "/srv/data"};
  const ll::Ruleset rs = ll::build(req, 7);
  ASSERT_EQ(rs.paths.size(), 3U);
  EXPECT_EQ(rs.paths[0].path, "/a");
  EXPECT_EQ(rs.paths[1].path, "/b");
  EXPECT_EQ(rs.paths[2].path, "/srv/data");
  EXPECT_EQ(rs.paths[2].access, kWriteV7 | ll::fs::kExecute);
  EXPECT_EQ(rs.paths[0].access, kRead);
}

TEST(LandlockBuild, RootPathStaysRoot) {
  ll::Request req;
  req.read = {"/", "//"};
  const ll::Ruleset rs = ll::build(req, 7);
  ASSERT_EQ(rs.paths.size(), 1U);
  EXPECT_EQ(rs.paths[0].path, "/");
}

TEST(LandlockBuild, RejectsRelativePathsAndReversedRanges) {
  ll::Request relative;
  relative.write = {"project"};
  EXPECT_THROW(ll::build(relative, 7), airlock::Error);
  ll::Request empty_path;
  empty_path.read = {""};
  EXPECT_THROW(ll::build(empty_path, 7), airlock::Error);
  ll::Request reversed;
  reversed.restrict_tcp = true;
  reversed.connect_tcp = {{443, 80}};
  EXPECT_THROW(ll::build(reversed, 7), airlock::Error);
  // Bad input is an error whatever the kernel offers.
  EXPECT_THROW(ll::build(relative, 0), airlock::Error);
}

TEST(LandlockBuild, PortsOnlyFromAbi4AndOnlyWhenRestricted) {
  ll::Request req;
  req.restrict_tcp = true;
  req.connect_tcp = {{443, 443}, {8000, 8002}};
  req.bind_tcp = {{8001, 8001}};
  for (int abi = 1; abi <= 3; ++abi) {
    const ll::Ruleset rs = ll::build(req, abi);
    EXPECT_EQ(rs.handled_net, 0U) << abi;
    EXPECT_TRUE(rs.ports.empty()) << abi;
    EXPECT_TRUE(mentions(rs.not_enforced, "TCP port rules (connect: 443, 8000-8002; bind: 8001) "
                                          "need Landlock ABI 4"))
        << abi;
  }
  for (int abi = 4; abi <= 7; ++abi) {
    const ll::Ruleset rs = ll::build(req, abi);
    EXPECT_EQ(rs.handled_net, ll::net::kBindTcp | ll::net::kConnectTcp) << abi;
    EXPECT_FALSE(mentions(rs.not_enforced, "TCP")) << abi;
    const std::vector<ll::PortAccess> expected = {
        {443, ll::net::kConnectTcp},
        {8000, ll::net::kConnectTcp},
        {8001, ll::net::kConnectTcp | ll::net::kBindTcp},
        {8002, ll::net::kConnectTcp}};
    EXPECT_EQ(rs.ports, expected) << abi;
  }
  req.restrict_tcp = false;
  const ll::Ruleset open = ll::build(req, 7);
  EXPECT_EQ(open.handled_net, 0U);
  EXPECT_TRUE(open.ports.empty());
  EXPECT_FALSE(mentions(ll::build(req, 3).not_enforced, "TCP"));
}

TEST(LandlockBuild, FullPortRangeExpandsToEveryPortOnce) {
  ll::Request req;
  req.restrict_tcp = true;
  req.connect_tcp = {{0, 65535}, {1, 65535}, {80, 80}};
  const ll::Ruleset rs = ll::build(req, 4);
  ASSERT_EQ(rs.ports.size(), 65536U);
  EXPECT_EQ(rs.ports.front().port, 0);
  EXPECT_EQ(rs.ports.back().port, 65535);
  EXPECT_EQ(rs.ports.back().access, ll::net::kConnectTcp);
}

TEST(LandlockBuild, RestrictTcpWithNoPortsDeniesAllTcp) {
  ll::Request req;
  req.restrict_tcp = true;
  const ll::Ruleset rs = ll::build(req, 4);
  EXPECT_EQ(rs.handled_net, ll::net::kBindTcp | ll::net::kConnectTcp);
  EXPECT_TRUE(rs.ports.empty());
}

TEST(LandlockBuild, RefuseTcpHandlesConnectAndBindAndGrantsNoPort) {
  ll::Request req;
  req.refuse_tcp = true;
  req.restrict_tcp = true;
  req.connect_tcp = {{443, 443}};  // ignored: no connect or bind of the command's own
  req.bind_tcp = {{8080, 8080}};
  const ll::Ruleset rs = ll::build(req, 4);
  EXPECT_EQ(rs.handled_net, ll::net::kBindTcp | ll::net::kConnectTcp);
  EXPECT_TRUE(rs.ports.empty());

  const ll::Ruleset old = ll::build(req, 3);
  EXPECT_EQ(old.handled_net, 0U);
  const bool named = std::any_of(old.not_enforced.begin(), old.not_enforced.end(), [](const std::string& s) {
    return s.find("gateway handoff") != std::string::npos;
  });
  EXPECT_TRUE(named);
}

TEST(LandlockBuild, ScopingOnlyFromAbi6) {
  ll::Request req;  // both scopes requested by default
  for (int abi = 1; abi <= 5; ++abi) {
    const ll::Ruleset rs = ll::build(req, abi);
    EXPECT_EQ(rs.scoped, 0U) << abi;
    EXPECT_TRUE(mentions(rs.not_enforced, "abstract unix sockets")) << abi;
    EXPECT_TRUE(mentions(rs.not_enforced, "signals")) << abi;
  }
  for (int abi = 6; abi <= 7; ++abi) {
    EXPECT_EQ(ll::build(req, abi).scoped, ll::scope::kAbstractUnixSocket | ll::scope::kSignal);
  }
  req.scope_abstract_unix = false;
  EXPECT_EQ(ll::build(req, 6).scoped, ll::scope::kSignal);
  req.scope_signals = false;
  EXPECT_EQ(ll::build(req, 6).scoped, 0U);
  EXPECT_FALSE(mentions(ll::build(req, 5).not_enforced, "ABI 6"));
}

TEST(LandlockBuild, DenialLoggingOnlyFromAbi7) {
  ll::Request req;
  req.log_denials = true;
  EXPECT_EQ(ll::build(req, 7).restrict_flags, ll::restrict_flag::kLogNewExecOn);
  EXPECT_FALSE(mentions(ll::build(req, 7).not_enforced, "ABI 7"));
  EXPECT_EQ(ll::build(req, 6).restrict_flags, 0U);
  EXPECT_TRUE(mentions(ll::build(req, 6).not_enforced, "needs Landlock ABI 7"));
  req.log_denials = false;
  EXPECT_EQ(ll::build(req, 7).restrict_flags, 0U);
  EXPECT_FALSE(mentions(ll::build(req, 6).not_enforced, "ABI 7"));
}

TEST(LandlockBuild, NotEnforcedNamesWhatEachAbiLacks) {
  ll::Request req = sample_request();
  req.restrict_tcp = true;
  req.connect_tcp = {{443, 443}};
  EXPECT_TRUE(ll::build(req, 7).not_enforced.empty());
  EXPECT_TRUE(ll::build(req, 6).not_enforced.empty());
  EXPECT_EQ(ll::build(req, 5).not_enforced.size(), 2U);  // two scopes
  EXPECT_EQ(ll::build(req, 4).not_enforced.size(), 3U);  // + ioctl
  EXPECT_EQ(ll::build(req, 3).not_enforced.size(), 4U);  // + TCP
  EXPECT_EQ(ll::build(req, 2).not_enforced.size(), 5U);  // + truncate
  EXPECT_EQ(ll::build(req, 1).not_enforced.size(), 5U);
  EXPECT_TRUE(mentions(ll::build(req, 4).not_enforced, "ioctl(2) on devices"));
  EXPECT_TRUE(mentions(ll::build(req, 2).not_enforced, "truncate(2)"));
  EXPECT_TRUE(mentions(ll::build(req, 1).limitations, "EXDEV"));
  EXPECT_TRUE(ll::build(req, 2).limitations.empty());
}

TEST(LandlockDescribe, SummarisesRulesPortsAndGaps) {
  ll::Request req = sample_request();
  req.restrict_tcp = true;
  req.connect_tcp = {{443, 443}, {8000, 8002}};
  req.bind_tcp = {{8001, 8001}};
  const std::string v7 = ll::describe(ll::build(req, 7));
  EXPECT_NE(v7.find("Landlock ABI 7"), std::string::npos) << v7;
  EXPECT_NE(v7.find("read+exec  /usr"), std::string::npos) << v7;
  EXPECT_NE(v7.find("read+write  /work/project\n"), std::string::npos) << v7;
  EXPECT_NE(v7.find("TCP connect ports: 443, 8000-8002"), std::string::npos) << v7;
  EXPECT_NE(v7.find("TCP bind ports: 8001"), std::string::npos) << v7;
  EXPECT_NE(v7.find("scoped: abstract_unix_socket signal"), std::string::npos) << v7;
  EXPECT_EQ(v7.find("not enforced"), std::string::npos) << v7;

  const std::string v3 = ll::describe(ll::build(req, 3));
  EXPECT_NE(v3.find("TCP not restricted by Landlock"), std::string::npos) << v3;
  EXPECT_NE(v3.find("not enforced: TCP port rules"), std::string::npos) << v3;
  EXPECT_NE(ll::describe(ll::build(req, 0)).find("not available"), std::string::npos);
}
