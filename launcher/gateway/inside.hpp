#pragma once
// init's part of the gateway, done inside the sandbox's fresh network
// namespace (where init holds CAP_NET_ADMIN and CAP_NET_BIND_SERVICE through
// the user namespace that owns it) before the payload starts: routes,
// listening sockets, and later a fresh socket whenever the supervisor asks.
#include <vector>

#include "gateway/config.hpp"
#include "util/fd.hpp"

namespace airlock::gateway {

// RTM_NEWROUTE, RTN_LOCAL, table local, on "lo", over a plain netlink
// socket: a connect() to an address under one of these routes is delivered
// locally, to whatever listens on a wildcard address at that port.
void add_local_routes(const std::vector<Route>& routes);

// Opens one listener (non-blocking, close-on-exec).
UniqueFd open_listener(const Listener& listener);

// Log-only mode: a listener on exactly `address` (non-blocking,
// close-on-exec), with a local route for it first unless it is loopback, so
// that a connect() to it lands here. Returns the errno on failure:
// EADDRINUSE means something inside (the command's own server) serves it.
int open_catcher(const SocketAddress& address, UniqueFd& out);

// Routes, then every listener of `config`, sent to the supervisor over
// `channel` in batches and closed here. Throws airlock::Error naming the
// route or listener that failed.
void set_up_inside(const Config& config, int channel);

// Answers one socket_request or listen_request from the supervisor. False when the supervisor
// has closed the channel.
bool serve_request(int channel);

}  // namespace airlock::gateway
