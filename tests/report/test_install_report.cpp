// What install-scripts says of each package: the refusals taken from an
// assessment and the resolver's names, the lines, the JSON report.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "report/install_report.hpp"

using namespace airlock;
using namespace airlock::report;

TEST(InstallReport, RefusalsComeFromEveryKindOfDenialSortedAndUnique) {
  audit::Assessment a;
  a.violations = {{"write", "/p/node_modules/other/index.js", "openat: not under filesystem.write"},
                  {"syscall", "keyctl", "refused by the base's [syscalls]"}};
  a.secrets = {{"/home/u/.npmrc", "read (openat)"}};
  a.hidden = {"/p/.env"};
  gateway::Stats net;
  net.refuse_query("[16 characters].exfil.example", "network.mode = \"none\" allows no network");
  net.refuse_query("[16 characters].exfil.example", "network.mode = \"none\" allows no network");
  const auto refusals = refusals_of(a, net);
  std::vector<std::string> kinds;
  for (const auto& r : refusals) kinds.push_back(r.kind + " " + r.subject);
  EXPECT_EQ(kinds, (std::vector<std::string>{"dns [16 characters].exfil.example", "hidden /p/.env",
                                              "secret /home/u/.npmrc", "syscall keyctl",
                                              "write /p/node_modules/other/index.js"}));
  EXPECT_TRUE(refusals_of(audit::Assessment{}, std::nullopt).empty());
}

namespace {

InstallScriptsResult two_packages() {
  InstallScriptsResult result;
  result.project = "/p";
  result.layout = "npm";
  PackageOutcome ok{"esbuild", "0.28.2", "node_modules/esbuild", PackageStatus::ok, "--allow esbuild", "", {}, {}};
  ScriptOutcome post;
  post.event = "postinstall";
  post.command = "node install.js";
  post.seconds = 0.214;
  ok.scripts.push_back(post);
  PackageOutcome bad{"evil", "1.0.0", "node_modules/evil", PackageStatus::failed, "--allow evil", "", {}, {}};
  post.exit_status = 3;
  bad.scripts.push_back(post);
  bad.refusals.push_back({"write", "/p/package.json", "openat: not under filesystem.write"});
  PackageOutcome skipped{"other", "2.0.0", "node_modules/other", PackageStatus::skipped, "", "To approve it: --allow other", {}, {}};
  ScriptOutcome declared;
  declared.event = "install";
  declared.command = "node-gyp rebuild";
  skipped.scripts.push_back(declared);
  result.packages = {ok, bad, skipped};
  result.exit_status = 1;
  return result;
}

}  // namespace

TEST(InstallReport, LinesNameThePackageTheScriptAndHowItEnded) {
  const auto result = two_packages();
  EXPECT_EQ(script_line(result.packages[0], result.packages[0].scripts[0]),
            "install-scripts: esbuild@0.28.2: postinstall ok (0.21 s)");
  EXPECT_EQ(script_line(result.packages[1], result.packages[1].scripts[0]),
            "install-scripts: evil@1.0.0: postinstall failed with exit status 3 (0.21 s)");
  EXPECT_EQ(refusal_lines(result.packages[1], 20),
            std::vector<std::string>{
                "install-scripts: evil@1.0.0: refused write /p/package.json (openat: not under filesystem.write)"});
  EXPECT_EQ(refusal_lines(result.packages[1], 0).back(),
            "install-scripts: evil@1.0.0: ... and 1 more refusals (all of them in --report)");
  EXPECT_EQ(skipped_line(result.packages[2]),
            "install-scripts: skipped other@2.0.0 (not approved): install: node-gyp rebuild. To approve it: --allow other");
  EXPECT_EQ(summary_line(result), "install-scripts: 2 ran, 1 failed, 1 skipped");
}

TEST(InstallReport, TheJsonHasEveryPackageAndAScriptResultOnlyForThoseThatRan) {
  const auto json = nlohmann::json::parse(install_scripts_json(two_packages()));
  EXPECT_EQ(json["schema"], "airlock-install-scripts-report");
  EXPECT_EQ(json["version"], 1);
  ASSERT_EQ(json["packages"].size(), 3u);
  EXPECT_EQ(json["packages"][1]["status"], "failed");
  EXPECT_EQ(json["packages"][1]["scripts"][0]["exit_status"], 3);
  EXPECT_EQ(json["packages"][1]["refusals"][0]["subject"], "/p/package.json");
  EXPECT_FALSE(json["packages"][2]["scripts"][0].contains("exit_status"));
  EXPECT_TRUE(json["packages"][2]["approved_by"].is_null());
  EXPECT_EQ(json["result"], nlohmann::json({{"exit_status", 1}, {"ran", 2}, {"failed", 1}, {"skipped", 1}}));
}
