#include <gtest/gtest.h>

#include "util/path.hpp"

using airlock::normalize_absolute;

TEST(NormalizeAbsolute, FoldsRepeatedSlashesDotsAndATrailingSlash) {
  EXPECT_EQ(normalize_absolute("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(normalize_absolute("//usr///lib"), "/usr/lib");
  EXPECT_EQ(normalize_absolute("/home/u/project"), "/home/u/project");
  EXPECT_EQ(normalize_absolute("/a/.hidden/..b/b.."), "/a/.hidden/..b/b..");  // names, not ".."
}

TEST(NormalizeAbsolute, TheRootStaysTheRoot) {
  EXPECT_EQ(normalize_absolute("/"), "/");
  EXPECT_EQ(normalize_absolute("//"), "/");
  EXPECT_EQ(normalize_absolute("/./"), "/");
}

// Folding ".." lexically would be wrong across symlinks (/a/link/.. is not /a
// when link points elsewhere): refused, wherever it is.
TEST(NormalizeAbsolute, RefusesDotDot) {
  EXPECT_EQ(normalize_absolute("/a/../b"), std::nullopt);
  EXPECT_EQ(normalize_absolute("/.."), std::nullopt);
  EXPECT_EQ(normalize_absolute("/a/b/.."), std::nullopt);
}

// Paths a sandboxed call named, and a symlink's target text: ".." folded as
// the kernel folds it when no link is on the way, the root's parent being
// the root.
TEST(NormalizeFolding, FoldsDotDotDotsAndSlashes) {
  using airlock::normalize_folding;
  EXPECT_EQ(normalize_folding("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(normalize_folding("/a/b/../c"), "/a/c");
  EXPECT_EQ(normalize_folding("/.."), "/");
  EXPECT_EQ(normalize_folding("/../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(normalize_folding("/"), "/");
  EXPECT_EQ(normalize_folding(""), "/");
  EXPECT_EQ(normalize_folding("a/b"), "/a/b");
}

// Paths handed to the kernel to open (Landlock): ".." is the kernel's to
// resolve, the rest is folded so that one directory written two ways is one
// rule.
TEST(NormalizeKeepingDotDot, FoldsSlashesAndDotsButNotDotDot) {
  using airlock::normalize_keeping_dot_dot;
  EXPECT_EQ(normalize_keeping_dot_dot("//srv//data/"), "/srv/data");
  EXPECT_EQ(normalize_keeping_dot_dot("/a/./b"), "/a/b");
  EXPECT_EQ(normalize_keeping_dot_dot("/opt/tool/../bin/"), "/opt/tool/../bin");
  EXPECT_EQ(normalize_keeping_dot_dot("//"), "/");
}

TEST(PathWithin, ComparesWholeComponents) {
  using airlock::path_within;
  EXPECT_TRUE(path_within("/a/b", "/a/b"));
  EXPECT_TRUE(path_within("/a/b/c", "/a/b"));
  EXPECT_FALSE(path_within("/a/bc", "/a/b"));
  EXPECT_FALSE(path_within("/a", "/a/b"));
  EXPECT_TRUE(path_within("/anything", "/"));
  EXPECT_TRUE(path_within("/", "/"));
}

TEST(PathParentAndDepth, CountAndDropComponents) {
  using airlock::path_depth;
  using airlock::path_parent;
  EXPECT_EQ(path_parent("/a/b/c"), "/a/b");
  EXPECT_EQ(path_parent("/a"), "/");
  EXPECT_EQ(path_parent("/"), "/");
  EXPECT_EQ(path_depth("/"), 0u);
  EXPECT_EQ(path_depth("/usr"), 1u);
  EXPECT_EQ(path_depth("/usr/lib/x"), 3u);
}

TEST(PathRelativeTo, IsTheRestBelowTheDirectory) {
  using airlock::path_relative_to;
  EXPECT_EQ(path_relative_to("/a/b/c", "/a"), "b/c");
  EXPECT_EQ(path_relative_to("/a", "/a"), "");
  EXPECT_EQ(path_relative_to("/a/b", "/"), "a/b");
  EXPECT_EQ(path_relative_to("/ab", "/a"), std::nullopt);
  EXPECT_EQ(path_relative_to("/a", "/a/b"), std::nullopt);
}
