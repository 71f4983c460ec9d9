#pragma once
// What a toml11 parse error means, for a person: where it is and what is
// wrong. toml11's message draws the source line with a caret under the
// spot, while its location() often says column 1; and its words mislead
// for the mistakes people make in profiles: a value without quotes ("the
// next token is not a float"), a backslash in a string ("not a valid
// string"), a string or an array never closed (an error at the end of
// the file). Those are said in profile terms.
#include <string>
#include <string_view>

namespace airlock::policy {

struct TomlProblem {
  unsigned line = 0;  // from 1
  unsigned column = 0;
  std::string message;
};

// `what`: the exception's what(); `text`: the text toml11 parsed;
// `line`/`column`: the exception's location(), used when the message has
// no caret.
TomlProblem describe_toml_error(const std::string& what, std::string_view text, unsigned line, unsigned column);

}  // namespace airlock::policy
