// Every committed fuzz corpus file (seeds and the inputs that once found a
// bug) through its target, in the ordinary unit tests: a regression shows
// up in `ctest` without clang or libFuzzer, and under AIRLOCK_SANITIZE the
// replay runs with ASan and UBSan too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fuzz/targets.hpp"

namespace airlock::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FuzzCorpus : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzCorpus, EveryCommittedInputPasses) {
  const fs::path dir = fs::path(AIRLOCK_SOURCE_DIR) / "tests/fuzz/corpus" / GetParam().name;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 5u) << "the seed corpus " << dir << " is missing or nearly empty";
  for (const auto& file : files) {
    const auto bytes = read_bytes(file);
    try {
      GetParam().run(bytes);
    } catch (const std::exception& e) {
      ADD_FAILURE() << file << ": " << e.what();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzCorpus, ::testing::ValuesIn(kTargets),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace airlock::fuzz
