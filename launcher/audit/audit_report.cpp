#include "audit/audit_report.hpp"

#include <nlohmann/json.hpp>

namespace airlock::audit {
namespace {

using nlohmann::json;

bool secret_env(const environment::Dropped& d) { return d.reason != "not kept"; }

json destinations(const std::vector<Destination>& list, const std::vector<NamedDestination>& names = {}) {
  json out = json::array();
  for (const auto& d : list) out.push_back(d.text());
  for (const auto& n : names) out.push_back(n.text());
  return out;
}

json names_json(const Observations& seen) {
  json out = json::array();
  for (const auto& [name, lookup] : seen.names)
    out.push_back({{"name", name},
                   {"types", lookup.types},
                   {"addresses", lookup.addresses},
                   {"error", lookup.error},
                   {"pinned", lookup.pinned}});
  return out;
}

json named_json(const Observations& seen) {
  json out = json::array();
  for (const auto& [to, use] : seen.named)
    out.push_back({{"to", to.text()},
                   {"name", to.name},
                   {"port", to.port},
                   {"calls", use.calls},
                   {"addresses", use.addresses},
                   {"relayed", use.relayed},
                   {"failed", use.failed},
                   {"error", use.error}});
  return out;
}

json plan_json(const ProfilePlan& plan, const Places& places, const std::string& output) {
  json grants = json::array();
  for (const auto& g : plan.grants)
    grants.push_back({{"access", access_name(g.access)},
                      {"path", g.path},
                      {"entry", (g.optional ? "?" : "") + profile_path(g.path, places)},
                      {"example", g.example},
                      {"created_during_audit", g.created}});
  json refused = json::array();
  for (const auto& r : plan.refused)
    refused.push_back({{"access", access_name(r.access)}, {"path", r.path}, {"why", r.why}});
  return {{"file", output},
          {"grants", grants},
          {"refused", refused},
          {"forward", plan.forward},
          {"allow", plan.allow},
          {"network_refused", plan.network_refused},
          {"network_mode_allowlist", plan.allowlist},
          {"syscalls_lifted", plan.syscalls},
          {"syscalls_left_refused", plan.syscalls_left_denied}};
}

}  // namespace

std::string report_json(const std::string& run_report, const ReportInput& in) {
  json doc = json::parse(run_report, nullptr, true);
  doc["schema"] = "airlock-audit-report";
  const Assessment& a = *in.assessment;
  const Observations& seen = *in.seen;
  json violations = json::array();
  for (const auto& v : a.violations)
    violations.push_back({{"kind", v.kind}, {"subject", v.subject}, {"detail", v.detail}});
  json secrets = json::array();
  for (const auto& s : a.secrets) secrets.push_back({{"path", s.path}, {"how", s.how}});
  json env = json::array();
  for (const auto& d : in.env_dropped)
    if (secret_env(d)) env.push_back({{"name", d.name}, {"reason", d.reason}});
  json connections = json::array();
  for (const auto& [to, calls] : seen.destinations) connections.push_back({{"to", to.text()}, {"calls", calls}});
  doc["audit"] = {
      {"base", in.base},
      {"observed",
       {{"notifications", seen.notifications},
        {"paths", seen.paths.size()},
        {"unreadable", seen.unreadable},
        {"stale", seen.stale},
        {"executed", seen.executed}}},
      {"would_be_denied", violations},
      {"secrets_touched", secrets},
      {"secret_environment_withheld", env},
      {"hidden_by_base", a.hidden},
      {"network",
       {{"observed_by", seen.gateway ? "gateway, log-only" : "connect() calls, host network"},
        {"connections", connections},
        {"names", names_json(seen)},
        {"named_connections", named_json(seen)},
        {"unrelayed", seen.unrelayed},
        {"forward_needed", destinations(a.forward)},
        {"allow_needed", destinations(a.allow, a.allow_names)},
        {"dns", destinations(a.dns)},
        {"unix_sockets", seen.unix_sockets},
        {"bound_ports", seen.bound_ports}}},
      {"syscalls_refused_by_base", a.syscalls},
  };
  if (in.plan != nullptr && in.places != nullptr) doc["audit"]["generated"] = plan_json(*in.plan, *in.places, in.output);
  // File names need not be UTF-8; JSON must be.
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::vector<std::string> violation_lines(const Assessment& assessment, const std::string& base, std::size_t limit) {
  std::vector<std::string> out;
  if (assessment.violations.empty()) return out;
  out.push_back("audit: under \"" + base + "\" this run would have been refused " +
                std::to_string(assessment.violations.size()) + " time" +
                (assessment.violations.size() == 1 ? "" : "s") + ":");
  std::size_t shown = 0;
  for (const auto& v : assessment.violations) {
    if (shown++ == limit) {
      out.push_back("  ... and " + std::to_string(assessment.violations.size() - limit) +
                    " more (all of them in --report)");
      break;
    }
    out.push_back("  " + v.kind + " " + v.subject + " (" + v.detail + ")");
  }
  return out;
}

std::vector<std::string> secret_lines(const Assessment& assessment, const std::vector<environment::Dropped>& env_dropped) {
  std::vector<std::string> out;
  for (const auto& s : assessment.secrets)
    out.push_back("audit: KNOWN SECRET TOUCHED: " + s.path + ": " + s.how +
                  " - hidden from the command, never added to a profile");
  for (const auto& d : env_dropped)
    if (secret_env(d)) out.push_back("audit: secret environment variable withheld: " + d.name + " (" + d.reason + ")");
  return out;
}

std::string plan_summary(const ProfilePlan& plan) {
  std::size_t read = 0, write = 0, exec = 0;
  for (const auto& g : plan.grants) {
    if (g.access == Access::read) ++read;
    if (g.access == Access::write) ++write;
    if (g.access == Access::exec) ++exec;
  }
  return std::to_string(read) + " read, " + std::to_string(write) + " write, " + std::to_string(exec) + " exec, " +
         std::to_string(plan.forward.size()) + " forward, " + std::to_string(plan.allow.size()) + " allow, " +
         std::to_string(plan.syscalls.size()) + " syscall" + (plan.syscalls.size() == 1 ? "" : "s") + "; " +
         std::to_string(plan.refused.size() + plan.network_refused.size()) + " refused";
}

std::vector<std::string> name_lines(const Observations& seen, std::size_t limit) {
  std::vector<std::string> out;
  if (seen.names.empty()) return out;
  out.push_back("audit: the command looked up " + std::to_string(seen.names.size()) + " name" +
                (seen.names.size() == 1 ? "" : "s") + ":");
  std::size_t shown = 0;
  for (const auto& [name, lookup] : seen.names) {
    if (shown++ == limit) {
      out.push_back("  ... and " + std::to_string(seen.names.size() - limit) + " more (all of them in --report)");
      break;
    }
    std::string addresses;
    for (const auto& a : lookup.addresses) addresses += (addresses.empty() ? "" : ", ") + a;
    out.push_back("  " + name + " -> " + (addresses.empty() ? lookup.error : addresses) +
                  (lookup.pinned ? " (network.hosts)" : ""));
  }
  return out;
}

}  // namespace airlock::audit
