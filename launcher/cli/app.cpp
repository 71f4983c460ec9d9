#include "cli/app.hpp"

#include <cstdio>

namespace airlock::cli {

int main(int, char**) {
  std::fputs("airlock: not built yet\n", stderr);
  return 125;
}

}  // namespace airlock::cli
