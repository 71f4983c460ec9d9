#pragma once
// The supervisor's half of audit mode: it serves the payload's seccomp
// notifications from its poll loop. For each one it reads the arguments
// (path strings, open flags, socket addresses) from the caller's memory,
// resolves paths against the caller's cwd or dirfd inside the sandbox's
// root, checks that the notification is still valid (the caller may have
// been killed meanwhile, and its memory reused), records what it saw, and
// lets the call continue unchanged. It denies nothing, except in an
// enforced run whose Watch has refuse_errno (watch.hpp): there the
// profile's refused calls fail with that errno, decided by the call's
// number alone.
#include <linux/seccomp.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "audit/calls.hpp"
#include "audit/paths.hpp"
#include "audit/watch.hpp"
#include "util/fd.hpp"

namespace airlock::audit {

class Observer {
 public:
  // Records into `out`, which outlives the Observer (it goes when the
  // listener hangs up).
  Observer(UniqueFd listener, const Watch& watch, std::shared_ptr<Observations> out);

  // For poll(2): readable when a notification waits; hangs up when every
  // process of the sandbox is gone.
  int fd() const { return listener_.get(); }

  // Call when poll(2) reported `revents` on fd(): serves what is pending
  // without waiting for more. Returns false once the listener has hung up
  // (nothing more will come; stop polling it).
  bool process(short revents);

  const Observations& observations() const { return *out_; }

  // Called for each connect() of a TCP socket to an IP address (and
  // sendto() with one: TCP Fast Open), which waits until `answer` is called:
  // with 0 it goes on, with an errno it fails with that errno. Audit's
  // log-only gateway first makes the connection from the host, then a
  // listener for the one it is about to receive (gateway::Gateway::expect).
  // `answer` may be called later, from another poll loop turn, but once.
  // Never told of a stale call.
  using Answer = std::function<void(int error)>;
  using TcpConnectHook = std::function<void(const Destination&, Answer answer)>;
  void on_tcp_connect(TcpConnectHook hook) { tcp_connect_ = std::move(hook); }

 private:
  struct Seen;  // what one notification told, recorded only if still valid
  void serve(const seccomp_notif& request);
  void decode(const seccomp_notif& request, Seen& seen);
  void decode_call(const WatchedCall& call, const seccomp_notif& request, Seen& seen);
  void decode_address(const WatchedCall& call, pid_t tid, int fd, std::uint64_t address, std::uint64_t length,
                      Seen& seen);
  bool add_path(Seen& seen, pid_t tid, int dirfd, std::uint64_t address, unsigned use, bool follow,
                const char* call, bool empty_means_fd = false);
  const std::string& denied_name(int nr);
  bool refuses(const seccomp_data& call) const;

  UniqueFd listener_;
  // The same listener, for answers given after this call returns: whoever
  // holds an Answer keeps it open (a closed descriptor's number could be
  // another file's by then).
  std::shared_ptr<UniqueFd> answers_;
  std::shared_ptr<Observations> out_;
  bool notify_by_default_;
  int refuse_errno_;
  std::unordered_map<int, bool> refused_;  // call numbers this observer refuses (with refuse_errno_)
  std::unordered_map<int, const WatchedCall*> calls_;
  std::unordered_map<int, std::string> denied_;
  paths::PathResolver resolver_;
  // Sockets the command listens on: a loopback connection to one of them is
  // to the command's own server, which needs no network.forward.
  std::set<unsigned long> listening_;
  TcpConnectHook tcp_connect_;
};

}  // namespace airlock::audit
