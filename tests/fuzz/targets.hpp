#pragma once
// The fuzz targets as plain functions, so that the same code runs under
// libFuzzer (tests/fuzz/CMakeLists.txt, AIRLOCK_FUZZ=ON, clang) and replays
// every committed corpus file in the ordinary unit tests (test_corpus.cpp).
//
// A target returns normally for every input the code under test handles,
// however malformed: a rejected profile, a refused query. It throws
// InvariantBroken when a result contradicts what the code promises, and any
// other exception that escapes is a finding too (libFuzzer reports an
// uncaught exception as a crash).
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace airlock::fuzz {

using Input = std::span<const std::uint8_t>;

struct InvariantBroken : std::logic_error {
  using std::logic_error::logic_error;
};

// policy::parse_layer on the bytes, then policy::resolve of the bytes
// written to a file (built-in profiles and policies only, npm and pip faked).
void profile_input(Input data);

// gateway::dns::answer on the bytes as one UDP query and, through TcpFramer,
// as a DNS-over-TCP stream.
void dns_input(Input data);

// policy::parse_egress_rule / parse_endpoint on the bytes as text, and the
// gateway's Matcher built from what parsed.
void egress_input(Input data);

struct Target {
  std::string_view name;  // the corpus folder: tests/fuzz/corpus/<name>/
  void (*run)(Input);
};

inline constexpr Target kTargets[] = {
    {"profile", profile_input},
    {"dns", dns_input},
    {"egress", egress_input},
};

}  // namespace airlock::fuzz
