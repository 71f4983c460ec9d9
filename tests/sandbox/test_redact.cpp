// Credentials CI leaves in the project are left out of the copies a profile
// shows (sandbox/redact.hpp).
#include <gtest/gtest.h>

#include "sandbox/redact.hpp"

using namespace airlock::sandbox;

TEST(Redact, GitConfigLosesTheJobTokenAndCredentialHelpersNotTheRest) {
  const std::string config =
      "[core]\n\tbare = false\n"
      "[http \"https://github.com/\"]\n\textraheader = AUTHORIZATION: basic c2VjcmV0\n"
      "[remote \"origin\"]\n\turl = https://x-access-token:ghs_SECRET@github.com/o/r.git\n"
      "\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
      "[credential]\n\thelper = store --file /tmp/creds\n"
      "[user]\n\tname = CI\n";
  const auto out = redact_git_config(config);
  EXPECT_EQ(out.find("SECRET"), std::string::npos) << out;
  EXPECT_EQ(out.find("c2VjcmV0"), std::string::npos) << out;
  EXPECT_EQ(out.find("helper"), std::string::npos) << out;
  EXPECT_NE(out.find("url = https://github.com/o/r.git"), std::string::npos) << out;
  EXPECT_NE(out.find("fetch = +refs/heads/*"), std::string::npos) << out;
  EXPECT_NE(out.find("name = CI"), std::string::npos) << out;
  EXPECT_NE(out.find("[credential]"), std::string::npos) << out;  // the section stays, empty
}

TEST(Redact, NpmrcLosesRegistryCredentialsNotSettings) {
  const auto out = redact_npmrc("fund=false\n//registry.example/:_authToken=npm_SECRET\n_auth = dXNlcjpwYXNz\n"
                                "registry=https://user:pass@registry.example/\n");
  EXPECT_EQ(out, "fund=false\nregistry=https://registry.example/\n");
}

TEST(Redact, ChosenByFileName) {
  EXPECT_EQ(redact_file("/p/.yarnrc.yml", "npmAuthToken: abc\nnodeLinker: pnp\n"), "nodeLinker: pnp\n");
  EXPECT_EQ(redact_file("/p/.git/config", "[http]\n\textraheader = x\n"), "[http]\n");
  EXPECT_EQ(redact_file("/p/.npmrc", "//h/:_authToken=x\n"), "");
}
