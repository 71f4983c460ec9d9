#include "sandbox/seccomp_context.hpp"

#include <seccomp.h>

#include "util/error.hpp"

namespace airlock::seccomp {

void ContextRelease::operator()(void* ctx) const noexcept { seccomp_release(ctx); }

void check_scmp(int rc, const std::string& what, std::string_view layer) {
  if (rc < 0) throw SystemError(std::string(layer) + ": " + what, -rc);
}

Context new_context(std::uint32_t default_action, std::uint32_t bad_arch_action, std::string_view layer) {
  Context ctx(seccomp_init(default_action));
  if (!ctx) throw Error(std::string(layer) + ": libseccomp could not create a filter context");
  check_scmp(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, bad_arch_action),
             "set the action for foreign architectures", layer);
  // Binary search over the syscall numbers instead of a linear chain: a
  // deny list of ~80 calls otherwise costs ~80 comparisons per call.
  check_scmp(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2), "ask for a binary-tree filter", layer);
  // no_new_privs is the payload's step (checked before loading), not a side
  // effect hidden in seccomp_load.
  check_scmp(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "leave no_new_privs alone", layer);
  check_scmp(seccomp_attr_set(ctx.get(), SCMP_FLTATR_API_SYSRAWRC, 1), "ask for raw errors", layer);
  return ctx;
}

}  // namespace airlock::seccomp
