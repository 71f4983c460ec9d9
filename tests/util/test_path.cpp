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
