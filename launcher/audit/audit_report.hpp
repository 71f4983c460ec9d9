#pragma once
// What an audit reports: a JSON section appended to the run report, and
// the lines printed on stderr (would-be denials, secrets touched, what the
// generated profile adds).
#include <string>
#include <vector>

#include "audit/assess.hpp"
#include "audit/generate.hpp"
#include "sandbox/environment.hpp"

namespace airlock::audit {

struct ReportInput {
  std::string base;                     // the base profile's name
  const Observations* seen = nullptr;
  const Assessment* assessment = nullptr;
  const ProfilePlan* plan = nullptr;    // null for `run --audit`
  const Places* places = nullptr;
  std::string output;                   // where the profile was written (empty: none)
  std::vector<environment::Dropped> env_dropped;
};

// `run_report` (report::to_json) with schema "airlock-audit-report" and an
// "audit" object added.
std::string report_json(const std::string& run_report, const ReportInput& in);

// Person-readable lines, at most `limit` per list (the report has them all).
std::vector<std::string> violation_lines(const Assessment& assessment, const std::string& base, std::size_t limit);
std::vector<std::string> secret_lines(const Assessment& assessment, const std::vector<environment::Dropped>& env_dropped);
std::string plan_summary(const ProfilePlan& plan);
// The names the command looked up (with the log-only gateway), at most
// `limit`, each with what it resolved to.
std::vector<std::string> name_lines(const Observations& seen, std::size_t limit);

}  // namespace airlock::audit
