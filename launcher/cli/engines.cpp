#include "cli/engines.hpp"

#include <array>

namespace airlock::cli {

// The narrowest setting that lets airlock create its namespaces and mount
// inside them. Never "unconfined" seccomp: the engine's filter then stops
// guarding the container itself (seccomp-airlock.json keeps refusing the
// kernel surfaces nobody needs).
std::span<const EngineAdvice> engine_advice() {
  static constexpr std::array<EngineAdvice, 5> kAdvice = {{
      {"Docker",
       "docker run --security-opt seccomp=seccomp-airlock.json --security-opt apparmor=unconfined (or an AppArmor "
       "profile of your own that allows mount and pivot_root); not seccomp=unconfined"},
      {"podman",
       "podman run --security-opt apparmor=unconfined where AppArmor is on (its default profile refuses mount); "
       "podman's default seccomp profile already allows what airlock needs, and the sandbox then keeps the "
       "container's hostname (seccomp-airlock.json also allows sethostname); not seccomp=unconfined"},
      {"Kubernetes (containerd, CRI-O)",
       "seccompProfile type Localhost with seccomp-airlock.json in each node's kubelet seccomp directory, "
       "appArmorProfile type Unconfined, runAsUser a non-root user (with every capability dropped, root cannot "
       "map itself into a user namespace), and hostUsers: false where the cluster has user namespaces; not "
       "seccompProfile type Unconfined"},
      {"GitLab runner, Docker executor",
       "security_opt = [\"seccomp=seccomp-airlock.json\", \"apparmor=unconfined\"] under [runners.docker] in the "
       "runner's config.toml, or a shell executor"},
      {"GitHub Actions, Ubuntu 24.04 runners",
       "an AppArmor profile with the userns rule for the airlock binary (the airlock action installs one)"},
  }};
  return kAdvice;
}

}  // namespace airlock::cli
