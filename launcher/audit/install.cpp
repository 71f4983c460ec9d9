// The payload's half of audit mode: load the notification filter and give
// its listener away. Position in the payload: after the baseline seccomp
// filter (so its fixed refusals still win: the kernel takes the most
// restrictive answer of stacked filters, and an errno beats a notification)
// and right before execve, so the first call the supervisor sees is the
// command's own execve.
#include <seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <memory>
#include <set>

#include "audit/calls.hpp"
#include "audit/watch.hpp"
#include "sandbox/seccomp_context.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace airlock::audit {
namespace {

using seccomp::Context;
constexpr std::string_view kLayer = "audit: seccomp";

void check_scmp(int rc, const std::string& what) { seccomp::check_scmp(rc, what, kLayer); }

void add(void* ctx, std::uint32_t action, const std::string& name, bool only_with_address = false) {
  const int nr = seccomp_syscall_resolve_name(name.c_str());
  if (nr < 0) return;
  if (only_with_address) {
    // sendto(fd, buf, len, flags, dest_addr, addrlen): without dest_addr it
    // is send(2) on a connected socket, already seen at connect().
    check_scmp(seccomp_rule_add(ctx, action, nr, 1, SCMP_A4(SCMP_CMP_NE, 0, 0)), "watch " + name);
  } else {
    check_scmp(seccomp_rule_add(ctx, action, nr, 0), "watch " + name);
  }
}

Context notification_filter(const Watch& watch) {
  // Foreign ABIs are the baseline filter's to kill; this one only watches.
  Context ctx = seccomp::new_context(watch.notify_by_default ? SCMP_ACT_NOTIFY : SCMP_ACT_ALLOW, SCMP_ACT_ALLOW, kLayer);

  std::set<std::string> unconditional(watch.denied.begin(), watch.denied.end());
  for (const auto& call : watched_calls()) {
    if (!call.only_with_address) unconditional.insert(call.name);
  }
  for (const auto& name : unconditional) add(ctx.get(), SCMP_ACT_NOTIFY, name);
  for (const auto& call : watched_calls()) {
    if (call.only_with_address && unconditional.count(call.name) == 0)
      add(ctx.get(), SCMP_ACT_NOTIFY, call.name, true);
  }
  if (watch.notify_by_default) {
    for (const auto& name : watch.allowed) {
      const bool also_watched = unconditional.count(name) != 0 || name == "sendto";
      if (!also_watched) add(ctx.get(), SCMP_ACT_ALLOW, name);
    }
    for (const char* name : never_watched()) add(ctx.get(), SCMP_ACT_ALLOW, name);
  }
  return ctx;
}

}  // namespace

UniqueFd load_notification_filter(const Watch& watch) {
  // The supervisor reads the arguments of our own execve from our memory.
  // We inherited init's non-dumpable flag, which would refuse that to an
  // unprivileged supervisor (ptrace access mode, proc(5)); execve makes the
  // command dumpable in any case, and nothing here is secret.
  check_syscall(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(PR_SET_DUMPABLE)");
  // Built before anything is loaded: a libseccomp error leaves nothing half done.
  Context ctx = notification_filter(watch);
  // libseccomp asks for SECCOMP_FILTER_FLAG_NEW_LISTENER when a rule notifies.
  check_scmp(seccomp_load(ctx.get()), "load the notification filter");
  // Only never_watched() calls from here to execve: a watched call would
  // wait for a supervisor that does not have the listener yet.
  UniqueFd listener(seccomp_notify_fd(ctx.get()));
  if (!listener) throw Error("audit: the kernel gave no seccomp listener");
  return listener;
}

}  // namespace airlock::audit
