// doctor: one line per kernel feature, then what the profile gets here.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/engines.hpp"
#include "kernel/features.hpp"
#include "sandbox/capabilities.hpp"
#include "sandbox/plan.hpp"

namespace airlock::cli {
namespace {

void line(const char* name, const kernel::Probe& probe) {
  std::cout << (probe.available ? "ok   " : "MISS ") << name << ": " << probe.detail << "\n";
}

void print_engine_advice() {
  std::cout << "In a container, allow what airlock needs (the engine's defaults refuse user namespaces or mount):\n";
  for (const auto& [engine, advice] : engine_advice()) std::cout << "  " << engine << ": " << advice << "\n";
  std::cout << "seccomp-airlock.json is packaging/container/seccomp-airlock.json in airlock's source.\n";
}

}  // namespace

int containers_command() {
  print_engine_advice();
  return 0;
}

int doctor_command(const Common& common, const std::string& profile) {
  const auto features = kernel::probe();
  line("user namespaces", features.user_namespaces);
  line("landlock", features.landlock);
  line("seccomp", features.seccomp);
  line("seccomp user notification", features.seccomp_notify);
  line("gateway handoff", features.handoff);
  line("mount_setattr", features.mount_setattr);
  line("overlays", features.overlay);
  line("process limit", features.pid_max);
  line("fresh /proc", features.fresh_proc);
  line("hostname", features.hostname);
  line("cgroups", features.cgroups);
  line("tiocsti", features.tiocsti);
  std::cout << "info running as "
            << (features.running_as_root                ? "root (container entrypoint mode)"
                : features.root_without_id_capabilities ? "root without CAP_SETUID and CAP_SETGID (the container dropped "
                                                          "them): only uid 0 is mapped, process.user cannot be honoured"
                                                        : "an unprivileged user")
            << "\n";

  const auto ctx = policy::Context::current(common.project);
  const auto policy = policy::resolve(profile, make_catalog(ctx), ctx);
  const auto plan = sandbox::plan_enforcement(policy, features);
  std::cout << "\nprofile \"" << profile << "\" on this machine:\n";
  for (const auto& layer : plan.layers)
    std::cout << "  " << (layer.enforced ? "enforced     " : "NOT ENFORCED ") << layer.layer << ": " << layer.detail << "\n";
  for (const auto& unmet : plan.unmet_requirements) std::cout << "  NOT MET      " << unmet << "\n";
  // Root without CAP_SETFCAP is fixed by the container's user, which the
  // user namespaces line names, not by the engine's settings.
  if (!features.user_namespaces.available && kernel::may_map_own_uid()) {
    std::cout << "\n";
    print_engine_advice();
  }
  if (plan.complete()) {
    std::cout << "result: every layer of \"" << profile << "\" can be enforced\n";
    return 0;
  }
  std::cout << "result: \"" << profile << "\" cannot be fully enforced here; `airlock run` will refuse it "
            << "unless --best-effort is given\n";
  return kExitOwnError;
}

}  // namespace airlock::cli
