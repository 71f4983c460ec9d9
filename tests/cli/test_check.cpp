// `airlock check` on the shipped profiles and on a set of malformed ones,
// through the real binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/process.hpp"

using airlock::test::airlock_binary;
using airlock::test::run_program;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> toml_files(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".toml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(CliCheck, AcceptsEveryShippedProfile) {
  const auto profiles = toml_files(AIRLOCK_SOURCE_DIR "/profiles");
  ASSERT_GE(profiles.size(), 3u);
  for (const auto& path : profiles) {
    auto by_name = run_program({airlock_binary(), "check", path.stem().string()});
    EXPECT_EQ(by_name.status, 0) << path << "\n" << by_name.err;
    EXPECT_NE(by_name.out.find(path.stem().string() + ": ok (builtin:profiles/"), std::string::npos) << by_name.out;
    auto by_file = run_program({airlock_binary(), "check", path.string()});
    EXPECT_EQ(by_file.status, 0) << path << "\n" << by_file.err;
  }
}

// Each fixture's first line says where the error is and what it says:
// "# expect: LINE:COL: KEY: text".
TEST(CliCheck, RejectsMalformedProfilesWithLocation) {
  const auto fixtures = toml_files(AIRLOCK_SOURCE_DIR "/tests/fixtures/bad");
  ASSERT_GE(fixtures.size(), 50u);
  for (const auto& path : fixtures) {
    std::ifstream in(path);
    std::string first;
    std::getline(in, first);
    ASSERT_EQ(first.rfind("# expect: ", 0), 0u) << path;
    const auto expected = path.string() + ":" + first.substr(10);
    auto r = run_program({airlock_binary(), "check", path.string()});
    EXPECT_EQ(r.status, 125) << path;
    // The location and message may be separated by "error: KEY: ".
    const auto loc_end = first.find(": ", 10 + first.substr(10).find(':') + 1);
    const auto location = path.string() + ":" + first.substr(10, loc_end - 10) + ": error: ";
    const auto text = first.substr(loc_end + 2);
    EXPECT_NE(r.err.find(location), std::string::npos) << path << "\nwanted location " << location << "\ngot:\n" << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << path << "\nwanted text " << text << "\ngot:\n" << r.err;
    EXPECT_NE(r.out.find("error"), std::string::npos) << r.out;
  }
}

TEST(CliCheck, MissingProfileIsAClearError) {
  auto r = run_program({airlock_binary(), "check", "no-such-profile"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("no profile named \"no-such-profile\""), std::string::npos) << r.err;
}

TEST(CliExplain, ShowsTheResolvedPolicyWithOrigins) {
  auto r = run_program({airlock_binary(), "explain", "--profile", "ci-step", "--project", "/var/tmp",
                        "--allow-read", "/srv/data"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("#   from builtin:profiles/default.toml"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("#   from builtin:profiles/ci-step.toml"), std::string::npos);
  EXPECT_NE(r.out.find("\"/var/tmp\",  # builtin:profiles/default.toml:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"/srv/data\",  # --allow-read"), std::string::npos);
  EXPECT_NE(r.out.find("[network]\nmode = \"none\""), std::string::npos);
  EXPECT_EQ(r.out.find("\"${"), std::string::npos) << "no variable is left unexpanded";
  EXPECT_NE(r.out.find("#   ${project} = /var/tmp"), std::string::npos) << "the variables used are listed";
  EXPECT_EQ(r.out.find("\"@"), std::string::npos) << "no set is left unexpanded";
}

TEST(CliExplain, OutputIsItselfAValidProfile) {
  auto r = run_program({airlock_binary(), "explain", "--profile", "default"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto path = fs::temp_directory_path() / ("airlock-explained-" + std::to_string(getpid()) + ".toml");
  std::ofstream(path) << r.out;
  auto check = run_program({airlock_binary(), "check", path.string()});
  fs::remove(path);
  EXPECT_EQ(check.status, 0) << check.err;
}

TEST(CliHelp, EverySubcommandTeaches) {
  for (const char* sub : {"run", "check", "explain", "profiles", "doctor"}) {
    auto r = run_program({airlock_binary(), sub, "--help"});
    EXPECT_EQ(r.status, 0) << sub;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << sub << r.out;
  }
  auto v = run_program({airlock_binary(), "--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out.rfind("airlock ", 0), 0u) << v.out;
}

TEST(CliErrors, BadUsageExits125) {
  for (std::vector<std::string> args : {std::vector<std::string>{"frobnicate"}, {"run"}, {"run", "--bogus", "true"},
                                        {"run", "--timeout"}, {"--log-format", "xml", "profiles"}, {}}) {
    args.insert(args.begin(), airlock_binary());
    auto r = run_program(args);
    EXPECT_EQ(r.status, 125) << ::testing::PrintToString(args) << r.err;
    EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
  }
}

TEST(CliProfiles, ListsBuiltinsWithDescriptions) {
  auto r = run_program({airlock_binary(), "profiles"});
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("default       No network, read-only host"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ci-step"), std::string::npos);
}
