// "Did you mean": typos find their word, unrelated words find nothing.
#include <gtest/gtest.h>

#include "util/suggest.hpp"

namespace airlock {
namespace {

const std::vector<std::string> kProfiles = {"default", "npm-ci", "npm-scripts", "npm-build", "ci-step", "make-build"};

TEST(Suggest, CommonTyposFindTheirWord) {
  EXPECT_EQ(closest_match("defualt", kProfiles), "default");    // swapped neighbours
  EXPECT_EQ(closest_match("npm-cl", kProfiles), "npm-ci");      // one substitution
  EXPECT_EQ(closest_match("npm-script", kProfiles), "npm-scripts");  // one deletion
  EXPECT_EQ(closest_match("Default", kProfiles), "default");    // case
  EXPECT_EQ(closest_match("reed", {"view", "read", "write", "exec"}), "read");
}

TEST(Suggest, UnrelatedWordsAndExactMatchesFindNothing) {
  EXPECT_FALSE(closest_match("kubernetes", kProfiles));
  EXPECT_FALSE(closest_match("xyz", {"view", "read"}));
  EXPECT_FALSE(closest_match("default", {"default"}));
  EXPECT_FALSE(closest_match("anything", {}));
  // Short words tolerate one edit only: "ab" is not "read".
  EXPECT_FALSE(closest_match("ab", {"read"}));
}

TEST(Suggest, DidYouMeanIsASentenceOrNothing) {
  EXPECT_EQ(did_you_mean("defualt", kProfiles), " (did you mean \"default\"?)");
  EXPECT_EQ(did_you_mean("kubernetes", kProfiles), "");
}

}  // namespace
}  // namespace airlock
