// Package-manager helpers run isolated from everything a step can write
// (sandbox/helper.hpp).
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/helper.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

using namespace airlock::sandbox;
using airlock::test::TempDir;

namespace {

TEST(Helper, TheTrustedPathDropsRelativeEntriesAndTheProject) {
  EXPECT_EQ(trusted_path("/p/node_modules/.bin:.:/usr/bin::bin:/p:/usr/local/bin:/p2:/h/.cache/venv/bin",
                         hostile_places("/p", "/h")),
            "/usr/bin:/usr/local/bin:/p2");
}

TEST(Helper, TheEnvironmentIsBuiltFromScratch) {
  Helper h{"npm", {}, {"npm_config_*"}, {"npm_config_userconfig"}};
  const auto env = helper_environment(
      h, {"HOME=/h", "PATH=/p/bin:/usr/bin", "NODE_OPTIONS=--require /p/evil.js", "PYTHONPATH=/p", "NPM_TOKEN=t",
          "npm_config_registry=http://r/"},
      {"/p"});
  EXPECT_EQ(env, (std::vector<std::string>{"HOME=/h", "npm_config_registry=http://r/", "PATH=/usr/bin"}));
}

TEST(Helper, AConfigurationFileInTheProjectIsRefused) {
  Helper h{"npm", {}, {"npm_config_*"}, {"npm_config_userconfig"}};
  EXPECT_THROW(helper_environment(h, {"npm_config_userconfig=/p/.npmrc"}, {"/p"}), airlock::Error);
  EXPECT_NO_THROW(helper_environment(h, {"npm_config_userconfig=/h/.npmrc"}, {"/p"}));
  // The user's configuration lives in HOME: a HOME in the project is the project's.
  EXPECT_THROW(helper_environment(h, {"HOME=/p/home"}, {"/p"}), airlock::Error);
}

// The helper runs in "/", cannot write and cannot open a socket; what it
// prints is what it returns.
TEST(Helper, RunsConfinedInTheRoot) {
  TempDir project;
  Helper sh{"sh", {"-c", "pwd; (echo x > " + project.path() + "/w) 2>/dev/null && echo wrote || echo refused; "
                   "awk '/NoNewPrivs/ {print $2}' /proc/self/status"}, {}, {}};
  const auto out = run_helper(sh, {project.path()});
  EXPECT_EQ(out, "/\nrefused\n1\n");
  struct stat st {};
  EXPECT_NE(::stat((project / "w").c_str(), &st), 0);
}

// A daemon the helper starts cannot leave its group and dies with it.
TEST(Helper, NothingItStartsOutlivesIt) {
  TempDir project;
  // setsid(1) would fail (seccomp): the daemon stays in the group, as a
  // plain background job does.
  Helper sh{"sh", {"-c", "sleep 30 </dev/null >/dev/null 2>&1 & echo $!; setsid true 2>/dev/null && echo left-the-group; true"}, {}, {}};
  const auto out = run_helper(sh, {project.path()});
  EXPECT_EQ(out.find("left-the-group"), std::string::npos) << out;
  const int pid = std::stoi(out);
  // Killed: gone, or a zombie of whoever reaps orphans here.
  const auto running = [pid] {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string field, state;
    stat >> field >> field >> state;
    return stat && state != "Z";
  };
  for (int i = 0; i < 100 && running(); ++i) ::usleep(10000);
  EXPECT_FALSE(running());
}

TEST(Helper, AProgramOnlyInTheProjectIsNotFound) {
  TempDir project;
  project.write("bin/only-here", "#!/bin/sh\necho ran\n");
  ::chmod((project / "bin/only-here").c_str(), 0755);
  const auto old = std::string(::getenv("PATH"));
  ::setenv("PATH", (project.path() + "/bin:" + old).c_str(), 1);
  EXPECT_THROW(run_helper(Helper{"only-here", {}, {}, {}}, {project.path()}), airlock::Error);
  ::setenv("PATH", old.c_str(), 1);
}

}  // namespace
