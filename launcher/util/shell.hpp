#pragma once
// A word as a POSIX shell reads it back, on one line: for command lines
// airlock prints (a failed run's complain-mode hint, a generated profile's
// header).
#include <string>

namespace airlock {

// Bare when it is plainly safe, in single quotes otherwise, or as $'...'
// when it holds a control character (a newline in a `sh -c` script), each
// written as an escape.
std::string shell_word(const std::string& word);

}  // namespace airlock
