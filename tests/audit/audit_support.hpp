#pragma once
// Builders for audit tests: observations, a base view and places, as the
// observer and session would produce them.
#include <sys/socket.h>

#include <string>

#include "audit/assess.hpp"
#include "audit/observations.hpp"

namespace airlock::audit::testing {

inline Places test_places() {
  Places places;
  places.project = "/work/proj";
  places.home = "/home/u";
  places.secrets = {"/home/u/.ssh", "/home/u/.npmrc", "/home/u/.config/gh", "/etc/shadow", "/etc/ssl/private",
                    "/run/secrets"};
  places.write_protected = {"/home/u/.bashrc", "/home/u/.profile"};
  return places;
}

// Roughly the built-in default profile.
inline BaseView default_base() {
  BaseView base;
  base.read = {"/usr", "/etc", "/bin", "/lib", "/usr/lib", "/proc", "/dev", "/tmp", "/work/proj"};
  base.write = {"/work/proj", "/tmp", "/dev"};
  base.exec = {"/usr", "/bin", "/lib", "/usr/lib", "/work/proj"};
  base.hide = {"/home/u/.ssh", "/home/u/.npmrc", "/run/user"};
  base.mode = policy::NetworkMode::none;
  return base;
}

// A path that existed and was used `use`-wise.
inline void used(Observations& seen, const std::string& path, unsigned use, const std::string& call = "openat") {
  seen.record(FileEvent{path, path, use, true, false, call});
}

// A path the command created.
inline void created(Observations& seen, const std::string& path, const std::string& call = "mkdir") {
  seen.record(FileEvent{path, path, kCreate, false, false, call});
}

inline Destination v4(const std::string& address, std::uint16_t port) { return Destination{AF_INET, address, port}; }

}  // namespace airlock::audit::testing
