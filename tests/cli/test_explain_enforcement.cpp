// `airlock explain` ends with what this kernel will enforce, as comments,
// and `airlock doctor` names unmet requirements; through the real binary.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

using airlock::test::airlock_binary;
using airlock::test::run_program;
using airlock::test::TempDir;

namespace {

constexpr const char* kMarker = "\n# enforcement on this kernel";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A profile that no kernel satisfies, on line 6.
std::string write_unsatisfiable_profile(const TempDir& dir) {
  const auto path = dir / "needs-landlock-99.toml";
  std::ofstream(path) << "[profile]\ndescription = \"needs a future Landlock\"\nextends = [\"default\"]\n\n"
                         "[enforcement]\nrequire = [\"landlock>=99\"]\n";
  return path;
}

}  // namespace

TEST(CliExplainEnforcement, TrailingSectionIsCommentsOnly) {
  auto r = run_program({airlock_binary(), "explain", "--profile", "default", "--project", "/var/tmp"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto at = r.out.find(kMarker);
  ASSERT_NE(at, std::string::npos) << r.out;
  std::istringstream tail(r.out.substr(at + 1));
  int lines = 0;
  for (std::string line; std::getline(tail, line); ++lines)
    EXPECT_TRUE(line.starts_with("#")) << "not a comment: [" << line << "]";
  EXPECT_GT(lines, 10);
}

TEST(CliExplainEnforcement, NamesEveryLayerAndBothFilters) {
  auto r = run_program({airlock_binary(), "explain", "--profile", "default", "--project", "/var/tmp"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto section = r.out.substr(r.out.find(kMarker));
  for (const char* name : {"namespaces", "filesystem view", "landlock", "seccomp", "network", "capabilities",
                           "environment", "limits"}) {
    const bool listed = contains(section, std::string("#   enforced      ") + name + ": ") ||
                        contains(section, std::string("#   NOT enforced  ") + name + ": ");
    EXPECT_TRUE(listed) << name << "\n" << section;
  }
  EXPECT_TRUE(contains(section, "#   Landlock ABI ") || contains(section, "#   Landlock: not available")) << section;
  EXPECT_TRUE(contains(section, "#   seccomp: ")) << section;
}

TEST(CliExplainEnforcement, UnmetRequirementInExplainAndDoctor) {
  TempDir dir;
  const auto profile = write_unsatisfiable_profile(dir);
  auto explain = run_program({airlock_binary(), "explain", "--profile", profile});
  ASSERT_EQ(explain.status, 0) << explain.err;
  EXPECT_TRUE(contains(explain.out, "#   NOT met       required \"landlock>=99\" (" + profile + ":6:")) << explain.out;
  EXPECT_TRUE(contains(explain.out, "refuses this profile here unless --best-effort"));

  auto doctor = run_program({airlock_binary(), "doctor", "--profile", profile});
  EXPECT_EQ(doctor.status, 125);
  EXPECT_TRUE(contains(doctor.out, "NOT MET      required \"landlock>=99\" (" + profile + ":6:")) << doctor.out;
}
