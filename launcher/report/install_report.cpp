#include "report/install_report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace airlock::report {

std::vector<Refusal> refusals_of(const audit::Assessment& assessment, const std::optional<gateway::Stats>& network) {
  std::vector<Refusal> out;
  for (const auto& v : assessment.violations) out.push_back({v.kind, v.subject, v.detail});
  for (const auto& s : assessment.secrets) out.push_back({"secret", s.path, "a known secret, hidden: " + s.how});
  for (const auto& path : assessment.hidden) out.push_back({"hidden", path, "hidden by the profile's filesystem.hide"});
  if (network) {
    for (const auto& q : network->denied_queries) out.push_back({"dns", q.what, q.reason});
    for (const auto& c : network->denied_connections) out.push_back({"connect", c.what, c.reason});
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string_view status_name(PackageStatus status) {
  switch (status) {
    case PackageStatus::ok: return "ok";
    case PackageStatus::failed: return "failed";
    case PackageStatus::skipped: return "skipped";
    case PackageStatus::denied: return "denied";
  }
  return "?";
}

std::string package_label(const PackageOutcome& package) {
  return package.version.empty() ? package.name : package.name + "@" + package.version;
}

namespace {

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", seconds);
  return text;
}

std::string how_it_ended(const ScriptOutcome& script) {
  if (!script.setup_error.empty()) return "could not start: " + script.setup_error;
  if (script.timed_out) return "timed out (process.timeout) and was killed";
  if (script.signal != 0) return "killed by signal " + std::to_string(script.signal);
  if (script.exit_status != 0) return "failed with exit status " + std::to_string(script.exit_status);
  return "ok";
}

}  // namespace

std::string script_line(const PackageOutcome& package, const ScriptOutcome& script) {
  return "install-scripts: " + package_label(package) + ": " + script.event + " " + how_it_ended(script) + " (" +
         seconds_text(script.seconds) + ")";
}

std::vector<std::string> refusal_lines(const PackageOutcome& package, std::size_t limit) {
  std::vector<std::string> out;
  for (const auto& r : package.refusals) {
    if (out.size() == limit) {
      out.push_back("install-scripts: " + package_label(package) + ": ... and " +
                    std::to_string(package.refusals.size() - limit) + " more refusals (all of them in --report)");
      break;
    }
    out.push_back("install-scripts: " + package_label(package) + ": refused " + r.kind + " " + r.subject + " (" +
                  r.detail + ")");
  }
  return out;
}

std::string skipped_line(const PackageOutcome& package) {
  std::string scripts;
  for (const auto& s : package.scripts) scripts += (scripts.empty() ? "" : "; ") + s.event + ": " + s.command;
  const char* why = package.status == PackageStatus::denied ? "denied" : "not approved";
  return "install-scripts: skipped " + package_label(package) + " (" + why + "): " + scripts + ". " + package.why_not;
}

namespace {

struct Counts {
  std::size_t ran = 0, failed = 0, skipped = 0;
};

// A failed package ran too; a denied one was skipped.
Counts count(const InstallScriptsResult& result) {
  Counts c;
  for (const auto& p : result.packages) {
    if (p.status == PackageStatus::ok || p.status == PackageStatus::failed) ++c.ran;
    if (p.status == PackageStatus::failed) ++c.failed;
    if (p.status == PackageStatus::skipped || p.status == PackageStatus::denied) ++c.skipped;
  }
  return c;
}

}  // namespace

std::string summary_line(const InstallScriptsResult& result) {
  const auto c = count(result);
  return "install-scripts: " + std::to_string(c.ran) + " ran, " + std::to_string(c.failed) + " failed, " +
         std::to_string(c.skipped) + " skipped";
}

std::string install_scripts_json(const InstallScriptsResult& result) {
  using nlohmann::json;
  json packages = json::array();
  for (const auto& p : result.packages) {
    json scripts = json::array();
    for (const auto& s : p.scripts) {
      json script = {{"event", s.event}, {"command", s.command}};
      if (p.status == PackageStatus::ok || p.status == PackageStatus::failed) {
        script["exit_status"] = s.exit_status;
        script["signal"] = s.signal == 0 ? json(nullptr) : json(s.signal);
        script["timed_out"] = s.timed_out;
        script["setup_error"] = s.setup_error.empty() ? json(nullptr) : json(s.setup_error);
        script["seconds"] = s.seconds;
      }
      scripts.push_back(std::move(script));
    }
    json refusals = json::array();
    for (const auto& r : p.refusals) refusals.push_back({{"kind", r.kind}, {"subject", r.subject}, {"detail", r.detail}});
    packages.push_back({{"name", p.name},
                        {"version", p.version},
                        {"path", p.path},
                        {"status", status_name(p.status)},
                        {"approved_by", p.approved_by.empty() ? json(nullptr) : json(p.approved_by)},
                        {"why_not", p.why_not.empty() ? json(nullptr) : json(p.why_not)},
                        {"scripts", std::move(scripts)},
                        {"refusals", std::move(refusals)}});
  }
  const auto c = count(result);
  const json out = {{"schema", "airlock-install-scripts-report"},
                    {"version", 1},
                    {"project", result.project},
                    {"layout", result.layout},
                    {"packages", std::move(packages)},
                    {"warnings", result.warnings},
                    {"result", {{"exit_status", result.exit_status}, {"ran", c.ran}, {"failed", c.failed}, {"skipped", c.skipped}}}};
  return out.dump(2) + "\n";
}

}  // namespace airlock::report
