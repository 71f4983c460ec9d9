#include "packages/approvals.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include <nlohmann/json.hpp>

#include "packages/identity.hpp"
#include "packages/pnpm_lists.hpp"
#include "packages/project_files.hpp"
#include "util/error.hpp"

namespace airlock::packages {
namespace {

std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

// npm-package-arg's isURL: /^(?:git[+])?[a-z]+:/i.
bool looks_like_url(std::string_view key) {
  if (starts_with_ignoring_case(key, "git+")) key.remove_prefix(4);
  const auto letters = std::find_if_not(key.begin(), key.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  return letters != key.begin() && letters != key.end() && *letters == ':';
}

// npm-package-arg's isGit: /^[^@]+@[^:.]+\.[^:]+:.+$/ ("git@host.example:user/repo").
bool looks_like_scp_git(std::string_view key) {
  const auto at = key.find('@');
  if (at == 0 || at == std::string_view::npos) return false;
  const auto rest = key.substr(at + 1);
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos || colon + 1 == rest.size()) return false;
  const auto dot = rest.substr(0, colon).find('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < colon;
}

// The version part of a key: nullopt for a range or a dist-tag.
std::optional<ApprovalRule> version_part(std::string_view spec) {
  spec = trimmed(spec);
  ApprovalRule rule;
  if (spec.empty() || spec == "*") return rule;
  if (semver_version(spec)) {
    rule.exact_spec = std::string(spec);
    return rule;
  }
  if (spec.find("||") == std::string_view::npos) return std::nullopt;
  while (true) {
    const auto bar = spec.find("||");
    const auto version = semver_version(trimmed(spec.substr(0, bar)));
    if (!version || trimmed(spec.substr(0, bar)).empty()) return std::nullopt;
    rule.versions.push_back(*version);
    if (bar == std::string_view::npos) return rule;
    spec.remove_prefix(bar + 2);
  }
}

const std::string kVersionsOnly =
    "semver ranges (^, ~, >=, <) and dist-tags are not allowed; use exact versions joined by \"||\", \"*\" or the bare "
    "name";

// "name" or "name@spec" as a rule matching `match`; `why` says what is
// wrong when it cannot be one.
std::optional<ApprovalRule> name_rule(const std::string& key, ApprovalRule::Match match, std::string& why) {
  const auto at = key.find('@', 1);
  const std::string name = key.substr(0, at);
  if (!is_package_name(name)) {
    why = "not a package name";
    return std::nullopt;
  }
  auto rule = version_part(at == std::string::npos ? "" : std::string_view(key).substr(at + 1));
  if (!rule) {
    why = kVersionsOnly;
    return std::nullopt;
  }
  rule->match = match;
  rule->name = name;
  return rule;
}

// One allowScripts key as npm-package-arg would read it (see the header).
std::optional<ApprovalRule> npm_key_rule(const std::string& key, std::string& why) {
  const auto at = key.find('@', 1);
  const std::string spec = at == std::string::npos ? "" : key.substr(at + 1);
  const auto file_spec = starts_with_ignoring_case(key, "file:") ? key
                         : starts_with_ignoring_case(spec, "file:") ? spec
                                                                    : std::string();
  if (!file_spec.empty()) {
    ApprovalRule rule;
    rule.match = ApprovalRule::Match::resolved;
    rule.name = file_spec;
    return rule;
  }
  if (looks_like_url(key) || looks_like_scp_git(key) || looks_like_url(spec) || starts_with_ignoring_case(spec, "npm:") ||
      (key.substr(0, at).find('/') != std::string::npos && !key.starts_with('@'))) {
    why = "a git, URL, path or alias key, which airlock does not match (use --allow)";
    return std::nullopt;
  }
  return name_rule(key, ApprovalRule::Match::registry, why);
}

bool same_name(const ApprovalRule& rule, const Package& package) {
  // The registry URL's name when there is one: an alias installed as
  // node_modules/trusted is still the package it was fetched as.
  return rule.name == (package.registry_name.empty() ? package.name : package.registry_name);
}

bool matches(const ApprovalRule& rule, const Package& package) {
  if (rule.match == ApprovalRule::Match::store_entry)
    return !package.store_entry.empty() && package.store_entry == rule.name;
  if (rule.match == ApprovalRule::Match::resolved) return !package.resolved.empty() && package.resolved == rule.name;
  if (rule.match == ApprovalRule::Match::registry && !package.registry) return false;
  if (!same_name(rule, package)) return false;
  if (rule.exact_spec.empty() && rule.versions.empty()) return true;
  // An unverified version: a deny still blocks, an allow is refused
  // (script-allowed.js matchRegistry's failClosed).
  if (!package.version_verified) return !rule.allow;
  if (!rule.exact_spec.empty()) return package.version == rule.exact_spec;
  return std::find(rule.versions.begin(), rule.versions.end(), package.version) != rule.versions.end();
}

Approvals project_lists(const ProjectDir& project, Layout layout) {
  Approvals out;
  const auto text = project.read("package.json", kMaxManifestBytes);
  const auto shown = project.shown("package.json");
  const auto manifest = text ? parse_json(*text, shown) : nlohmann::json::object();
  if (!manifest.is_object()) throw Error(shown + ": not a JSON object");
  const auto allow_scripts = manifest.find("allowScripts");
  const auto pnpm = manifest.find("pnpm");
  if (layout == Layout::npm) {
    if (allow_scripts != manifest.end()) out = npm_allow_scripts_rules(*allow_scripts, shown);
    if (pnpm != manifest.end()) out.warnings.push_back("package.json pnpm: ignored, the project is installed by npm");
    return out;
  }
  if (allow_scripts != manifest.end())
    out.warnings.push_back("package.json allowScripts: ignored, the project is installed by pnpm");
  if (pnpm != manifest.end()) pnpm_package_json_rules(*pnpm, shown, out);
  if (const auto yaml = project.read("pnpm-workspace.yaml", kMaxManifestBytes))
    pnpm_workspace_rules(*yaml, project.shown("pnpm-workspace.yaml"), out);
  return out;
}

}  // namespace

std::string verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::approved: return "approved";
    case Verdict::denied: return "denied";
    case Verdict::unreviewed: break;
  }
  return "unreviewed";
}

std::vector<ApprovalRule> allow_rules(const std::vector<std::string>& allow) {
  std::vector<ApprovalRule> out;
  for (const auto& value : allow) {
    std::string why;
    auto rule = name_rule(value, ApprovalRule::Match::any_source, why);
    if (!rule) throw Error("--allow " + value + ": " + why);
    rule->source = "--allow " + value;
    out.push_back(std::move(*rule));
  }
  return out;
}

std::optional<std::string> pnpm_dep_path_entry(const std::string& entry) {
  const auto at = entry.find('@', 1);
  if (at == std::string::npos || !is_package_name(entry.substr(0, at))) return std::nullopt;
  std::string version = entry.substr(at + 1);
  if (const auto peers = version.find('('); peers != std::string::npos) version.erase(peers);
  if (version.find("||") != std::string::npos || semver_version(version) ||
      version.find_first_of(":/#") == std::string::npos)
    return std::nullopt;
  std::string file = entry.substr(0, at) + "@" + version;
  for (auto& c : file)
    if (std::string_view("\\/:*?\"<>|#").find(c) != std::string_view::npos) c = '+';
  return file;
}

std::optional<ApprovalRule> pnpm_entry_rule(const std::string& entry, bool allow, const std::string& source,
                                            std::vector<std::string>& warnings) {
  if (auto file = pnpm_dep_path_entry(entry)) {
    ApprovalRule rule;
    rule.match = ApprovalRule::Match::store_entry;
    rule.name = std::move(*file);
    rule.allow = allow;
    rule.source = source + " " + quoted(entry);
    return rule;
  }
  // pnpm allows by name only a registry package; a deny by name is kept
  // whatever the source (fail closed).
  std::string why;
  auto rule = name_rule(entry, allow ? ApprovalRule::Match::registry : ApprovalRule::Match::any_source, why);
  if (!rule) {
    warnings.push_back(source + ": ignoring " + quoted(entry) + ": " + why);
    return std::nullopt;
  }
  rule->allow = allow;
  rule->source = source + " " + quoted(entry);
  return rule;
}

Approvals npm_allow_scripts_rules(const nlohmann::json& allow_scripts, const std::string& shown) {
  const std::string where = "package.json allowScripts";
  if (!allow_scripts.is_object()) throw Error(shown + ": allowScripts: not an object");
  Approvals out;
  for (const auto& [key, value] : allow_scripts.items()) {
    if (!value.is_boolean())
      throw Error(shown + ": allowScripts[" + quoted(key) + "]: true (allow) or false (deny) expected");
    std::string why;
    auto rule = npm_key_rule(key, why);
    if (!rule) {
      out.warnings.push_back(where + ": ignoring " + quoted(key) + ": " + why);
      continue;
    }
    rule->allow = value.get<bool>();
    rule->source = where + " " + quoted(key);
    out.rules.push_back(std::move(*rule));
  }
  return out;
}

Approvals read_approvals(const std::string& project, Layout layout, const ApprovalOptions& options) {
  Approvals out;
  out.rules = allow_rules(options.allow);
  if (options.ignore_project_lists) return out;
  const ProjectDir dir(project);
  auto lists = project_lists(dir, layout);
  for (auto& rule : lists.rules) out.rules.push_back(std::move(rule));
  out.warnings = std::move(lists.warnings);
  return out;
}

Decision decide(const Package& package, const Approvals& approvals) {
  if (package.in_bundle)
    return {Verdict::denied, "inBundle: npm never runs a bundled dependency's install scripts"};
  const ApprovalRule* allowed = nullptr;
  const ApprovalRule* named = nullptr;
  for (const auto& rule : approvals.rules) {
    if (!matches(rule, package)) {
      if (rule.allow && rule.match == ApprovalRule::Match::registry && same_name(rule, package) && !named) named = &rule;
      continue;
    }
    if (!rule.allow) return {Verdict::denied, rule.source};
    if (!allowed) allowed = &rule;
  }
  if (allowed) return {Verdict::approved, allowed->source};
  if (named && !package.registry && !package.store_entry.empty())
    return {Verdict::unreviewed, named->source + " names a registry package; this one is the store entry " +
                                     package.store_entry + ", not from the registry: only its dep path approves it"};
  if (named && !package.registry)
    return {Verdict::unreviewed, named->source + " names a registry package; this one is from " +
                                     (package.resolved.empty() ? "no registry" : package.resolved) +
                                     ": name keys never match it (--allow " + package.name + " does)"};
  return {};
}

std::string approval_hint(const Package& package, Layout layout) {
  const auto allow = "--allow " + package.name;
  if (layout == Layout::pnpm)
    return "To approve it: pnpm's onlyBuiltDependencies or allowBuilds (package.json \"pnpm\" or pnpm-workspace.yaml; " +
           std::string(package.registry ? "its name" : "its dep path, as pnpm-lock.yaml names it") + ") or " + allow;
  return "To approve it: `npm approve-scripts " + package.name + "` (package.json \"allowScripts\") or " + allow;
}

}  // namespace airlock::packages
