// without_hidden(): hidden paths carved out of the Landlock allow-list, on a
// made-up directory tree; list_directory() on a real one.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "sandbox/landlock.hpp"
#include "support/temp_dir.hpp"

namespace ll = airlock::landlock;
using airlock::test::TempDir;

namespace {

using Tree = std::map<std::string, std::vector<std::string>>;  // directory -> entries

ll::ListDirectory lister(const Tree& tree) {
  return [tree](const std::string& dir) -> std::optional<std::vector<std::string>> {
    const auto it = tree.find(dir);
    if (it == tree.end()) return std::nullopt;
    return it->second;
  };
}

const Tree kEtc = {
    {"/", {"etc", "usr", "home"}},
    {"/etc", {"passwd", "shadow", "ssl", "hosts"}},
    {"/etc/ssl", {"certs", "private", "openssl.cnf"}},
    {"/home", {"u"}},
    {"/home/u", {".ssh", ".npmrc", "project", ".cache"}},
};

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::uint64_t rights_of(const ll::Ruleset& rs, const std::string& path) {
  for (const auto& rule : rs.paths)
    if (rule.path == path) return rule.access;
  return 0;
}

}  // namespace

TEST(LandlockHidden, AHiddenFileIsCarvedOutOfItsDirectory) {
  ll::Request req;
  req.read = {"/etc", "/usr"};
  const auto out = ll::without_hidden(req, {"/etc/shadow"}, lister(kEtc));
  EXPECT_EQ(out.read, (std::vector<std::string>{"/etc/passwd", "/etc/ssl", "/etc/hosts", "/usr"}));
  EXPECT_EQ(out.list_only, std::vector<std::string>{"/etc"});

  const auto rs = ll::build(out, 7);
  EXPECT_EQ(rights_of(rs, "/etc"), ll::fs::kReadDir) << "entries listed, none opened through /etc";
  EXPECT_EQ(rights_of(rs, "/etc/shadow"), 0U);
  EXPECT_NE(rights_of(rs, "/etc/passwd") & ll::fs::kReadFile, 0U);
}

TEST(LandlockHidden, NestedHiddenPathSplitsEachDirectoryOnTheWay) {
  ll::Request req;
  req.read = {"/etc"};
  const auto out = ll::without_hidden(req, {"/etc/shadow", "/etc/ssl/private"}, lister(kEtc));
  EXPECT_EQ(out.list_only, (std::vector<std::string>{"/etc", "/etc/ssl"}));
  EXPECT_TRUE(has(out.read, "/etc/ssl/certs"));
  EXPECT_TRUE(has(out.read, "/etc/ssl/openssl.cnf"));
  EXPECT_FALSE(has(out.read, "/etc/ssl/private"));
  EXPECT_FALSE(has(out.read, "/etc/ssl"));
  EXPECT_FALSE(has(out.read, "/etc/shadow"));
}

TEST(LandlockHidden, RulesOnOrBeneathAHiddenPathAreDropped) {
  ll::Request req;
  req.read = {"/home/u/.ssh", "/home/u/.ssh/known_hosts", "/home/u/project"};
  req.write = {"/home/u/.npmrc"};
  const auto out = ll::without_hidden(req, {"/home/u/.ssh", "/home/u/.npmrc"}, lister(kEtc));
  EXPECT_EQ(out.read, std::vector<std::string>{"/home/u/project"});
  EXPECT_TRUE(out.write.empty());
  EXPECT_TRUE(out.list_only.empty());
}

// The project is the home directory: ~/.ssh must not become writable.
TEST(LandlockHidden, WritableDirectoryHoldingASecretIsSplitAndSaysWhatThatCosts) {
  ll::Request req;
  req.write = {"/home/u"};
  const auto out = ll::without_hidden(req, {"/home/u/.ssh", "/home/u/.npmrc"}, lister(kEtc));
  EXPECT_EQ(out.write, (std::vector<std::string>{"/home/u/project", "/home/u/.cache"}));
  EXPECT_EQ(out.list_only, std::vector<std::string>{"/home/u"});
  ASSERT_EQ(out.limitations.size(), 1U);
  EXPECT_NE(out.limitations[0].find("nothing new can be created directly in /home/u"), std::string::npos);

  const auto rs = ll::build(out, 7);
  EXPECT_EQ(rights_of(rs, "/home/u"), ll::fs::kReadDir);
  EXPECT_EQ(rights_of(rs, "/home/u/.ssh"), 0U);
  EXPECT_NE(rights_of(rs, "/home/u/project") & ll::fs::kMakeReg, 0U);
  EXPECT_EQ(rs.limitations, out.limitations);
}

TEST(LandlockHidden, RootRuleJoinsPathsWithoutDoubleSlash) {
  ll::Request req;
  req.read = {"/"};
  const auto out = ll::without_hidden(req, {"/etc/shadow"}, lister(kEtc));
  EXPECT_EQ(out.list_only, (std::vector<std::string>{"/", "/etc"}));
  EXPECT_TRUE(has(out.read, "/usr"));
  EXPECT_TRUE(has(out.read, "/home"));
  EXPECT_TRUE(has(out.read, "/etc/passwd"));
}

TEST(LandlockHidden, UnlistableDirectoryGrantsNothingBeneath) {
  ll::Request req;
  req.read = {"/srv"};
  const auto out = ll::without_hidden(req, {"/srv/secret"}, lister(kEtc));
  EXPECT_TRUE(out.read.empty());
  EXPECT_EQ(out.list_only, std::vector<std::string>{"/srv"});
}

TEST(LandlockHidden, NothingHiddenInsideLeavesTheRequestAlone) {
  ll::Request req;
  req.read = {"/usr", "/etc"};
  req.write = {"/home/u/project"};
  req.exec = {"/usr"};
  const auto out = ll::without_hidden(req, {"/home/u/.ssh", "/run/secrets"}, lister(kEtc));
  EXPECT_EQ(out.read, req.read);
  EXPECT_EQ(out.write, req.write);
  EXPECT_EQ(out.exec, req.exec);
  EXPECT_TRUE(out.list_only.empty());
  EXPECT_TRUE(out.limitations.empty());
}

TEST(LandlockHidden, SiblingWithACommonPrefixIsNotInside) {
  ll::Request req;
  req.read = {"/etc/ss"};
  const auto out = ll::without_hidden(req, {"/etc/ssl/private", "/etc/ss-not"}, lister(kEtc));
  EXPECT_EQ(out.read, std::vector<std::string>{"/etc/ss"});
}

// Symbolic links get no rule: a link in an allowed tree that points at a
// secret must not grant the secret.
TEST(LandlockHidden, ListDirectorySkipsSymlinks) {
  TempDir dir;
  dir.write("file", "x");
  ASSERT_EQ(::mkdir((dir / "sub").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("/etc/shadow", (dir / "link").c_str()), 0);
  const auto names = ll::list_directory(dir.path());
  ASSERT_TRUE(names.has_value());
  EXPECT_EQ(*names, (std::vector<std::string>{"file", "sub"}));
  EXPECT_FALSE(ll::list_directory(dir / "no-such-dir").has_value());
}
