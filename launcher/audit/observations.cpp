#include "audit/observations.hpp"

#include <sys/socket.h>

namespace airlock::audit {

std::string Destination::text() const {
  const std::string port_text = std::to_string(port);
  return family == AF_INET6 ? "[" + address + "]:" + port_text : address + ":" + port_text;
}

bool Destination::loopback() const {
  return family == AF_INET ? address.starts_with("127.") : address == "::1";
}

void Observations::record(const FileEvent& event) {
  auto [it, first] = paths.try_emplace(event.path);
  PathRecord& r = it->second;
  if (first) {
    r.existed = event.exists;
    if (event.written != event.path) r.written = event.written;
  }
  // Made by the command: absent when first touched, and created by it.
  if (!r.existed && (event.use & kCreate) != 0 && !event.exists) r.created = true;
  r.uses |= event.use;
  r.is_dir = r.is_dir || event.is_dir;
  r.calls.insert(event.call);
}

void Observations::record_destination(const Destination& to, const std::string& call) {
  destinations[to].insert(call);
}

}  // namespace airlock::audit
