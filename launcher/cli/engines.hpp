#pragma once
// What to allow in each container engine so that airlock can build its
// sandbox there: one recommendation per engine, said the same way by
// `airlock doctor`, the README, packaging/container/README.md and airlock(1)
// (integration/test_docs.sh compares them with this list).
#include <span>
#include <string_view>

namespace airlock::cli {

struct EngineAdvice {
  std::string_view engine;
  std::string_view advice;
};

std::span<const EngineAdvice> engine_advice();

}  // namespace airlock::cli
