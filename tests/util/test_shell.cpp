// shell_word: what a shell reads back is the word, on one line.
#include <gtest/gtest.h>

#include "util/shell.hpp"

namespace airlock {
namespace {

TEST(ShellWord, PlainWordsStayBareOthersAreQuoted) {
  EXPECT_EQ(shell_word("make"), "make");
  EXPECT_EQ(shell_word("--allow-net=a.example:443"), "--allow-net=a.example:443");
  EXPECT_EQ(shell_word(""), "''");
  EXPECT_EQ(shell_word("echo $HOME"), "'echo $HOME'");
  EXPECT_EQ(shell_word("it's"), "'it'\\''s'");
}

TEST(ShellWord, ControlCharactersAreEscapesOnOneLine) {
  EXPECT_EQ(shell_word("a\nb"), "$'a\\nb'");
  EXPECT_EQ(shell_word("\x1b[31m'x\\"), "$'\\x1b[31m\\'x\\\\'");
}

}  // namespace
}  // namespace airlock
