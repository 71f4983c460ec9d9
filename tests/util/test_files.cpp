// Opening and making paths without following a link a sandboxed step could
// have planted (util/files.hpp).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "util/files.hpp"

using airlock::test::TempDir;

namespace {

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

TEST(MakeDirectoryNofollow, MakesTheMissingDirectoriesPrivate) {
  TempDir dir;
  EXPECT_EQ(airlock::make_directory_nofollow(dir / "a//b/c/"), "");
  ASSERT_TRUE(is_dir(dir / "a/b/c"));
  struct stat st {};
  ASSERT_EQ(::stat((dir / "a/b/c").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(airlock::make_directory_nofollow(dir / "a/b/c"), "");  // already there
}

TEST(MakeDirectoryNofollow, StopsAtALinkAndMakesNothingWhereItLeads) {
  TempDir dir;
  TempDir elsewhere;
  ASSERT_EQ(::symlink(elsewhere.path().c_str(), (dir / "link").c_str()), 0);
  EXPECT_EQ(airlock::make_directory_nofollow(dir / "link/cache"), "link: a link or a file, not followed");
  EXPECT_FALSE(std::filesystem::exists(elsewhere / "cache"));
  dir.write("file", "x");
  EXPECT_EQ(airlock::make_directory_nofollow(dir / "file/cache"), "file: a link or a file, not followed");
}

TEST(OpenBeneath, RefusesLinksAndEscapes) {
  TempDir dir;
  dir.write("sub/f", "x");
  ASSERT_EQ(::symlink("sub/f", (dir / "link").c_str()), 0);
  airlock::UniqueFd top(::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(top);
  EXPECT_TRUE(airlock::open_beneath(top.get(), "sub/f", O_RDONLY));
  EXPECT_FALSE(airlock::open_beneath(top.get(), "link", O_RDONLY));
  EXPECT_EQ(errno, ELOOP);
  EXPECT_FALSE(airlock::open_beneath(top.get(), "../" + std::filesystem::path(dir.path()).filename().string() + "/sub/f",
                                     O_RDONLY));
  EXPECT_EQ(errno, EXDEV);
}

TEST(OpenNoSymlinks, RefusesALinkAnywhereOnThePath) {
  TempDir dir;
  dir.write("sub/f", "x");
  ASSERT_EQ(::symlink("sub", (dir / "dirlink").c_str()), 0);
  EXPECT_TRUE(airlock::open_no_symlinks(dir / "sub/f", O_RDONLY));
  EXPECT_FALSE(airlock::open_no_symlinks(dir / "dirlink/f", O_RDONLY));
  EXPECT_EQ(errno, ELOOP);
}

TEST(OpenInRoot, AbsoluteLinksStayInsideTheRoot) {
  TempDir dir;
  dir.write("etc/hosts", "inside");
  ASSERT_EQ(::symlink("/etc/hosts", (dir / "hosts").c_str()), 0);
  airlock::UniqueFd root(::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(root);
  airlock::UniqueFd fd = airlock::open_in_root(root.get(), "/hosts", O_RDONLY);
  ASSERT_TRUE(fd);
  char buf[16] = {};
  EXPECT_EQ(::read(fd.get(), buf, sizeof buf), 6);
  EXPECT_STREQ(buf, "inside");
  EXPECT_FALSE(airlock::open_in_root(root.get(), "/hosts", O_PATH | O_NOFOLLOW | O_DIRECTORY));
}

TEST(OpenDirectoryNofollow, OpensADirectoryButNotALinkToOne) {
  TempDir dir;
  dir.write("sub/f", "x");
  ASSERT_EQ(::symlink("sub", (dir / "dirlink").c_str()), 0);
  airlock::UniqueFd top(::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_TRUE(airlock::open_directory_nofollow(top.get(), "sub"));
  EXPECT_FALSE(airlock::open_directory_nofollow(top.get(), "dirlink"));
  EXPECT_FALSE(airlock::open_directory_nofollow(top.get(), "sub/f"));
}

}  // namespace

// RealPaths answers what realpath(3) answers, for existing paths, missing
// ones, links as the last component, links on the way and files used as
// directories, asked in any order (the directory cache must not leak one
// answer into another).
TEST(RealPaths, AnswersAsRealpathDoes) {
  TempDir dir;
  const std::filesystem::path root = dir.path();
  std::filesystem::create_directories(root / "project/.git");
  std::filesystem::create_directories(root / "elsewhere/secret");
  dir.write("project/file", "x");
  std::filesystem::create_symlink(root / "elsewhere/secret", root / "project/.cargo");
  std::filesystem::create_symlink("project", root / "via");
  std::filesystem::create_symlink("missing-target", root / "project/dangling");
  const std::vector<std::string> asked = {
      root / "project/.git",      root / "project/.cargo",  root / "project/missing", root / "via/.git",
      root / "via/.cargo",        root / "project/file/x",  root / "project/dangling", root / "project",
      root / "via",               root / "nowhere/x",       "/",                      "/usr",
      root / "project/.git",      root / "via/missing",     root / "project/./file",  root / "project/../via"};
  airlock::RealPaths real_paths;
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& path : asked) {
      std::unique_ptr<char, decltype(&std::free)> want(::realpath(path.c_str(), nullptr), &std::free);
      const auto got = real_paths.of(path);
      ASSERT_EQ(got.has_value(), want != nullptr) << path;
      if (want) {
        EXPECT_EQ(*got, want.get()) << path;
      }
    }
  }
}
