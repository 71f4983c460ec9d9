#pragma once
// Landlock and seccomp both refuse to be applied by a process without
// no_new_privs (or CAP_SYS_ADMIN, which the payload does not rely on): the
// payload sets it first, and each layer checks rather than sets it, so that
// a missing step is an airlock bug reported as one, not a silent side effect.
#include <sys/prctl.h>

#include <string>

#include "util/error.hpp"

namespace airlock::sandbox {

// Throws Error(refusal) unless no_new_privs is set.
inline void require_no_new_privs(const std::string& refusal) {
  if (check_syscall(::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), "prctl(PR_GET_NO_NEW_PRIVS)") != 1) throw Error(refusal);
}

}  // namespace airlock::sandbox
