#include "report/report.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace airlock::report {

namespace {

const char* mode_name(policy::NetworkMode mode) {
  switch (mode) {
    case policy::NetworkMode::none: return "none";
    case policy::NetworkMode::allowlist: return "allowlist";
    case policy::NetworkMode::host: return "host";
  }
  return "?";
}

nlohmann::json denied_list(const std::vector<gateway::Denied>& entries, const char* key) {
  auto out = nlohmann::json::array();
  for (const auto& d : entries) out.push_back({{key, d.what}, {"reason", d.reason}, {"count", d.count}});
  return out;
}

// What the egress gateway let through and what it refused; counts only
// when it did not run (no allowlist, or no namespaces).
nlohmann::json network_json(const policy::Policy& policy, const sandbox::RunResult& result) {
  nlohmann::json out = {{"mode", mode_name(policy.network.mode)}, {"gateway", result.network.has_value()}};
  if (!result.network) return out;
  const auto& s = *result.network;
  out["log_only"] = s.log_only;
  out["connections"] = {{"allowed", s.connections_allowed}, {"denied", s.connections_denied},
                        {"failed", s.connections_failed},   {"forwarded", s.forwarded},
                        {"published", s.published}, {"handed_off", s.handed_off}};
  out["dns"] = {{"answered", s.dns_answered}, {"refused", s.dns_refused}, {"malformed", s.dns_malformed}};
  out["bytes"] = {{"out", s.bytes_out}, {"in", s.bytes_in}};
  out["denied_connections"] = denied_list(s.denied_connections, "destination");
  out["denied_queries"] = denied_list(s.denied_queries, "query");
  out["denied_unlisted"] = s.denied_unlisted;
  return out;
}

}  // namespace

nlohmann::json left_behind_json(const sandbox::RunResult& result) {
  auto out = nlohmann::json::array();
  for (const auto& m : result.left_behind)
    out.push_back({{"path", m.path}, {"moved_to", m.moved_to}, {"error", m.why}});
  return out;
}

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
      {"network", network_json(policy, result)},
      {"result",
       {{"exit_status", result.exit_status},
        {"signal", result.signal},
        {"timed_out", result.timed_out},
        {"setup_error", result.setup_error},
        {"wall_ms", result.wall.count()},
        {"left_behind", left_behind_json(result)},
        {"limits_reached", result.limits_reached}}},
  };
  return doc.dump(2) + "\n";
}

}  // namespace airlock::report
