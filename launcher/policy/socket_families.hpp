#pragma once
// The address families a profile names in syscalls.socket_families, as the
// kernel numbers them (AF_* in <sys/socket.h>).
#include <optional>
#include <string>
#include <string_view>

namespace airlock::policy {

// AF_UNIX for "unix", ...; nullopt for a name this table does not know.
std::optional<int> socket_family(std::string_view name);

// Every known name, comma-separated, for error messages.
std::string socket_family_names();

// The name of a family number ("vsock" for 40), or the number as text.
std::string socket_family_name(int family);

}  // namespace airlock::policy
