#include "report/report.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace airlock::report {

std::string to_json(const policy::Policy& policy, const kernel::Features& features,
                    const sandbox::EnforcementPlan& plan, const sandbox::Spec& spec, const sandbox::RunResult& result) {
  using nlohmann::json;
  json layers = json::array();
  for (const auto& layer : plan.layers)
    layers.push_back({{"layer", layer.layer}, {"enforced", layer.enforced}, {"detail", layer.detail}});
  json dropped = json::array();
  for (const auto& d : spec.env.dropped) dropped.push_back({{"name", d.name}, {"reason", d.reason}});
  json doc = {
      {"schema", "airlock-run-report"},
      {"version", kSchemaVersion},
      {"airlock", AIRLOCK_VERSION},
      {"command", spec.argv},
      {"profile", {{"name", policy.name}, {"description", policy.description}, {"chain", policy.chain}}},
      {"kernel",
       {{"user_namespaces", features.user_namespaces.available},
        {"landlock_abi", features.landlock_abi},
        {"seccomp", features.seccomp.available},
        {"seccomp_notify", features.seccomp_notify.available}}},
      {"best_effort", policy.enforcement.best_effort},
      {"complete", plan.complete()},
      {"missing", plan.missing},
      {"layers", layers},
      {"environment", {{"passed", spec.env.env.size()}, {"dropped", dropped}}},
      {"result",
       {{"exit_status", result.exit_status},
        {"signal", result.signal},
        {"timed_out", result.timed_out},
        {"setup_error", result.setup_error},
        {"wall_ms", result.wall.count()}}},
  };
  return doc.dump(2) + "\n";
}

void write_file(const std::string& path, const std::string& text) {
  const auto tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw Error("cannot write the report to " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw SystemError("cannot move the report into place at " + path, errno);
  }
}

}  // namespace airlock::report
