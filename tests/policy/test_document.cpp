// parse_layer on hostile text: the nesting guard in front of toml11.
#include <gtest/gtest.h>

#include <string>

#include "policy/diagnostics.hpp"
#include "policy/document.hpp"

using namespace airlock::policy;

namespace {

// The messages parse_layer reports for `text` (empty when it accepts it).
std::vector<std::string> parse_errors(const std::string& text) {
  Diagnostics diag;
  (void)parse_layer(text, "p.toml", "p", diag);
  try {
    diag.throw_if_any();
  } catch (const ProfileError& e) {
    return e.messages();
  }
  return {};
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

bool mentions_nesting(const std::vector<std::string>& messages) {
  return std::any_of(messages.begin(), messages.end(),
                     [](const auto& m) { return m.find("nested more than") != std::string::npos; });
}

}  // namespace

// toml11 recurses once per level: `airlock check` died of SIGSEGV on a
// profile with ~3,000 nested inline tables (under ASan, on 1,000 nested
// arrays: tests/fuzz/corpus/profile/found-deep-*).
TEST(PolicyDocument, DeepNestingIsRefusedBeforeTomlParsesIt) {
  for (const int depth : {33, 1000, 100000}) {
    const auto arrays = parse_errors("[filesystem]\nread = " + repeat("[", depth) + repeat("]", depth) + "\n");
    ASSERT_EQ(arrays.size(), 1u) << depth;
    EXPECT_EQ(arrays[0], "p.toml:2:40: error: arrays and inline tables nested more than 32 deep "
                         "(a profile needs three levels at most)");
    const auto tables = parse_errors("a = " + repeat("{b=", depth) + "1" + repeat("}", depth));
    ASSERT_EQ(tables.size(), 1u) << depth;
    EXPECT_TRUE(tables[0].starts_with("p.toml:1:")) << tables[0];
    EXPECT_TRUE(mentions_nesting(tables)) << tables[0];
    // Unclosed: the recursion happens while parsing, before any syntax error.
    EXPECT_TRUE(mentions_nesting(parse_errors("a = " + repeat("[", depth)))) << depth;
  }
}

TEST(PolicyDocument, NestingWithinTheLimitGoesToToml) {
  const auto errors = parse_errors("[filesystem]\nread = " + repeat("[", 32) + repeat("]", 32) + "\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_FALSE(mentions_nesting(errors)) << errors[0];
  EXPECT_NE(errors[0].find("filesystem.read"), std::string::npos) << errors[0];
}

// Brackets inside strings and comments are text, in every kind of TOML
// string, and a multi-line string may end in extra quotes.
TEST(PolicyDocument, BracketsInStringsAndCommentsAreNotNesting) {
  const std::string deep = repeat("[{", 40);
  const std::string profile = "# " + deep + "\n"
                              "[profile]\n"
                              "description = \"" + deep + " \\\" " + deep + "\"\n"
                              "[variables]\n"
                              "a = '" + deep + "'\n"
                              "b = \"\"\"" + deep + "\n" + deep + "\"\"\"\"\n"
                              "c = '''" + deep + "\n" + deep + "''''' # " + deep + "\n"
                              "\"" + deep + "\" = \"x\"\n"
                              "[filesystem]\n"
                              "read = [\"/" + deep + "\"]  # " + deep + "\n";
  EXPECT_EQ(parse_errors(profile), std::vector<std::string>{});
}

// A string that ends early must not hide the brackets after it: after
// """a"""" the line goes on outside any string.
TEST(PolicyDocument, QuotesAfterAMultiLineStringDoNotHideNesting) {
  EXPECT_TRUE(mentions_nesting(parse_errors("[variables]\nb = \"\"\"a\"\"\"\"\nc = " + repeat("[", 40))));
  EXPECT_TRUE(mentions_nesting(parse_errors("x = \"\\\\\"" + repeat("[", 40))));
}

// toml11's own words, where they mislead, said in profile terms at the
// spot (found writing the malformed-profile fixtures of tests/fixtures/bad).
TEST(PolicyDocument, TomlMistakesAreSaidAtTheirSpot) {
  const auto first = [](const std::string& text) {
    const auto e = parse_errors(text);
    return e.empty() ? std::string("accepted") : e.front();
  };
  EXPECT_EQ(first("[network]\nmode = none\n"),
            "p.toml:2:8: error: TOML syntax: a string must be in quotes: \"none\" is a bare word");
  EXPECT_EQ(first("[filesystem]\nread = [\"/usr\", etc]\n"),
            "p.toml:2:17: error: TOML syntax: a string must be in quotes: \"etc\" is a bare word");
  EXPECT_EQ(first("[network]\nallow = [\"registry\\.example\\.org:443\"]\n"),
            "p.toml:2:19: error: TOML syntax: \"\\.\" is not an escape TOML knows: write \"\\\\\" for a "
            "backslash, or use a 'literal string' in single quotes");
  EXPECT_EQ(first("[profile]\ndescription = \"never closed\n"),
            "p.toml:2:15: error: TOML syntax: the string is not closed on this line");
  EXPECT_EQ(first("[profile]\ndescription = 'never closed\n"),
            "p.toml:2:15: error: TOML syntax: the string is not closed on this line");
  EXPECT_EQ(first("[filesystem]\nread = [\"/usr\",\n"),
            "p.toml:2:8: error: TOML syntax: the array that starts here is not closed with ']'");
  EXPECT_EQ(first("[network]\nmode = \"none\"\nmode = \"host\"\n").rfind("p.toml:3:", 0), 0u);
  EXPECT_EQ(first("[network]\nmode =\n"), "p.toml:2:7: error: TOML syntax: missing value after key-value separator '='");
  // What is right stays accepted: escapes TOML knows, literal strings, true.
  EXPECT_EQ(first("[profile]\ndescription = \"a \\\"b\\\" \\\\ \\u00e9\"\n[network]\nallow = ['a\\.b:1']\n"
                  "[enforcement]\nbest_effort = true\n"),
            "accepted");
}
