// Files airlock writes for the operator are never written through a link a
// sandboxed step planted (util/output_file.hpp).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/output_file.hpp"

using airlock::Error;
using airlock::OutputFile;
using airlock::test::TempDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(OutputFile, WritesARegularFileAtomically) {
  TempDir project;
  const auto out = OutputFile::prepare(project / "r.json", {project.path()}, "--report");
  out.write("{}\n");
  EXPECT_EQ(slurp(project / "r.json"), "{}\n");
  struct stat st {};
  ASSERT_EQ(::lstat((project / "r.json").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST(OutputFile, ATargetThatIsASymbolicLinkIsRefused) {
  TempDir project, home;
  home.write("victim", "keep");
  ASSERT_EQ(::symlink((home / "victim").c_str(), (project / "r.json").c_str()), 0);
  EXPECT_THROW(OutputFile::prepare(project / "r.json", {project.path()}, "--report"), Error);
  EXPECT_EQ(slurp(home / "victim"), "keep");
}

// The old temporary name was FILE.tmp.<pid>: a step could plant links under
// every pid. The name is random and created O_EXCL|O_NOFOLLOW now.
TEST(OutputFile, PlantedTemporaryNamesAreNeverFollowed) {
  TempDir project, home;
  home.write("victim", "keep");
  for (int pid = 1; pid < 2000; ++pid)
    ASSERT_EQ(::symlink((home / "victim").c_str(), (project / ("r.json.tmp." + std::to_string(pid))).c_str()), 0);
  // Our own pid is among those when the host's pids have wrapped below 2000.
  if (getpid() >= 2000) {
    ASSERT_EQ(::symlink((home / "victim").c_str(), (project / ("r.json.tmp." + std::to_string(getpid()))).c_str()), 0);
  }
  OutputFile::prepare(project / "r.json", {project.path()}, "--report").write("new");
  EXPECT_EQ(slurp(home / "victim"), "keep");
  EXPECT_EQ(slurp(project / "r.json"), "new");
}

// A link outside the project that leads into it is followed, and the walk
// goes on refusing links inside: a step that replaced artifacts/ with a link
// to ~/.ssh must not get the report there through /var/tmp/artlink.
TEST(OutputFile, ALinkOutsideThatLeadsToALinkInsideIsRefused) {
  TempDir project, home, elsewhere;
  ASSERT_EQ(::symlink(home.path().c_str(), (project / "artifacts").c_str()), 0);
  ASSERT_EQ(::symlink((project / "artifacts").c_str(), (elsewhere / "artlink").c_str()), 0);
  EXPECT_THROW(OutputFile::prepare(elsewhere / "artlink/authorized_keys", {project.path()}, "--report"), Error);
  struct stat st {};
  EXPECT_NE(::lstat((home / "authorized_keys").c_str(), &st), 0);
}

TEST(OutputFile, ALinkedDirectoryInsideTheProjectIsRefusedOneOutsideIsFollowed) {
  TempDir project, home, elsewhere;
  ASSERT_EQ(::symlink(home.path().c_str(), (project / "out").c_str()), 0);
  EXPECT_THROW(OutputFile::prepare(project / "out/r.json", {project.path()}, "--report"), Error);
  ASSERT_EQ(::symlink(home.path().c_str(), (elsewhere / "out").c_str()), 0);
  OutputFile::prepare(elsewhere / "out/r.json", {project.path()}, "--report").write("x");
  EXPECT_EQ(slurp(home / "r.json"), "x");
}

// rename(2) replaces the directory entry: the other name of a hard link
// keeps its content.
TEST(OutputFile, AHardLinkAtTheTargetKeepsItsOtherName) {
  TempDir project;
  project.write("keep.txt", "keep");
  ASSERT_EQ(::link((project / "keep.txt").c_str(), (project / "r.json").c_str()), 0);
  OutputFile::prepare(project / "r.json", {project.path()}, "--report").write("new");
  EXPECT_EQ(slurp(project / "keep.txt"), "keep");
}

}  // namespace
