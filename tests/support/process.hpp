#pragma once
// Runs a program and captures its output and exit status, for tests that
// drive the real airlock binary.
#include <string>
#include <vector>

namespace airlock::test {

struct Outcome {
  int status = -1;       // exit status, or 128+N when killed by signal N
  std::string out, err;
};

// argv[0] is the program path; `env` empty means inherit the environment.
Outcome run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                    const std::string& stdin_text = "");

// The airlock binary under test.
std::string airlock_binary();

}  // namespace airlock::test
