#pragma once
// libseccomp's filter context, owned, with the attributes every airlock
// filter shares: the payload's baseline and policy filters
// (seccomp_load.cpp) and audit's notification filter (audit/install.cpp).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace airlock::seccomp {

struct ContextRelease {
  void operator()(void* ctx) const noexcept;
};
using Context = std::unique_ptr<void, ContextRelease>;

// libseccomp returns -errno: thrown as SystemError("<layer>: <what>").
void check_scmp(int rc, const std::string& what, std::string_view layer = "seccomp");

// A context answering `default_action`, and `bad_arch_action` for calls of
// a foreign ABI. It is compiled as a binary tree, leaves no_new_privs alone
// (the payload sets it, and checks it before loading) and reports the
// kernel's errno rather than libseccomp's generic ECANCELED. `layer` prefixes
// its errors.
Context new_context(std::uint32_t default_action, std::uint32_t bad_arch_action,
                    std::string_view layer = "seccomp");

}  // namespace airlock::seccomp
