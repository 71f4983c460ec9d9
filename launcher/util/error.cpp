#include "util/error.hpp"

#include <cerrno>
#include <cstring>

namespace airlock {

SystemError::SystemError(const std::string& what, int err)
    : Error(what + ": " + std::strerror(err)), errno_(err) {}

long check_syscall(long rc, const std::string& what) {
  if (rc == -1) throw SystemError(what, errno);
  return rc;
}

}  // namespace airlock
