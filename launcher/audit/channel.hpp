#pragma once
// The payload's report channel to the supervisor. Normally a pipe that
// carries one set-up error ("<code> <message>"); in audit mode a
// SOCK_SEQPACKET socket pair, so that the payload can also hand over its
// seccomp listener (SCM_RIGHTS needs a socket). Message boundaries keep the
// listener message apart from error text.
#include <sys/types.h>

#include <cstddef>
#include <utility>

#include "util/fd.hpp"

namespace airlock::audit::channel {

// {supervisor end, payload end}, both close-on-exec.
std::pair<UniqueFd, UniqueFd> make_pair();

// Payload side. Throws airlock::SystemError.
void send_listener(int channel, int listener);

// Supervisor side: one read(2) of error text, or, from a socket, one
// message. When the message carries a listener it is returned in
// `listener` and the result is 0 bytes of text (not end of file: check
// `listener` first). Returns what read(2) returns otherwise.
ssize_t receive(int channel, char* buffer, std::size_t size, UniqueFd& listener);

}  // namespace airlock::audit::channel
