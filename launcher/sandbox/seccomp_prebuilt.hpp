#pragma once
// The seccomp programs of the built-in profiles, compiled at build time.
// libseccomp's compilation was a fifth of a run's user CPU, and for a
// built-in profile its input is fixed per architecture, as the profile's
// parsed TOML already is (packaging/embed_seccomp.cpp writes the table).
// compile() looks a Filter up here by its compile_key() and falls back to
// libseccomp for every other Filter (a profile of the user's, an override).
#include <linux/filter.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "sandbox/seccomp.hpp"

namespace airlock::seccomp {

struct PrebuiltProgram {
  const sock_filter* code;
  std::size_t length;
  bool notify;
};

struct PrebuiltFilter {
  std::string_view key;  // compile_key() of the Filter it was compiled from
  std::span<const PrebuiltProgram> programs;
};

// Everything about a Filter that decides its programs, as text: the rules'
// numbers, actions, errnos and argument comparisons in order, and the
// default and foreign-ABI actions (not the rules' names or reasons).
std::string compile_key(const Filter& filter);

// The table the binary was built with; empty where none was linked in
// (the build-time generator itself).
std::span<const PrebuiltFilter> prebuilt_filters();

// compile() without the table: libseccomp every time (the generator, and
// the test that the table holds what libseccomp gives).
std::vector<Program> compile_with_libseccomp(const Filter& filter);

}  // namespace airlock::seccomp
