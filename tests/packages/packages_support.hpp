#pragma once
// Builders for the packages/ tests: an npm or pnpm project in a temporary
// directory, with packages installed as their package managers lay them out.
// Fixtures name a made-up registry host, never a real one.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "packages/installed.hpp"
#include "support/temp_dir.hpp"

namespace airlock::packages::testing {

using nlohmann::json;

// "https://packages.example/@s/b/-/b-1.0.0.tgz", as a registry resolves it.
inline std::string tarball_url(const std::string& name, const std::string& version) {
  const auto base = name.substr(name.rfind('/') + 1);
  return "https://packages.example/" + name + "/-/" + base + "-" + version + ".tgz";
}

inline json manifest(const std::string& name, const std::string& version, json scripts = json::object()) {
  json out{{"name", name}, {"version", version}};
  if (!scripts.empty()) out["scripts"] = std::move(scripts);
  return out;
}

// The lockfile entry npm writes for a registry package.
inline json registry_entry(const std::string& name, const std::string& version, bool has_install_script = true) {
  json out{{"version", version}, {"resolved", tarball_url(name, version)}, {"integrity", "sha512-x"}};
  if (has_install_script) out["hasInstallScript"] = true;
  return out;
}

inline void make_link(const std::string& target, const std::string& at) {
  std::filesystem::create_directories(std::filesystem::path(at).parent_path());
  if (::symlink(target.c_str(), at.c_str()) != 0) throw std::runtime_error("symlink " + at);
}

class NpmProject {
 public:
  NpmProject() { dir_.write("package.json", json{{"name", "proj"}, {"version", "1.0.0"}}.dump()); }

  const test::TempDir& dir() const { return dir_; }
  const std::string& path() const { return dir_.path(); }
  std::string real() const { return std::filesystem::canonical(dir_.path()).string(); }

  // Installs package.json `manifest` at `location` and records `entry` in
  // the lockfile under that key.
  void install(const std::string& location, const json& manifest_json, const json& entry) {
    dir_.write(location + "/package.json", manifest_json.dump());
    lock_["packages"][location] = entry;
  }
  // A registry package with its scripts, at node_modules/<name>.
  void install_registry(const std::string& location, const std::string& name, const std::string& version,
                        json scripts = json::object(), json dependencies = json::object()) {
    auto m = manifest(name, version, std::move(scripts));
    if (!dependencies.empty()) m["dependencies"] = std::move(dependencies);
    install(location, m, registry_entry(name, version, m.contains("scripts")));
  }
  void entry_only(const std::string& key, const json& entry) { lock_["packages"][key] = entry; }
  void write_lockfile(const std::string& file = "package-lock.json") const { dir_.write(file, lock_.dump(2)); }
  std::string root_manifest(const json& extra) const {
    auto root = json{{"name", "proj"}, {"version", "1.0.0"}};
    if (extra.is_object()) root.update(extra);
    return dir_.write("package.json", root.dump());
  }

 private:
  test::TempDir dir_;
  json lock_{{"name", "proj"}, {"lockfileVersion", 3}, {"requires", true},
             {"packages", {{"", {{"name", "proj"}, {"version", "1.0.0"}}}}}};
};

// pnpm's isolated layout: node_modules/.pnpm/<entry>/node_modules/<name> is
// the package; its dependencies are links beside it; node_modules/<name>
// links into the store for the project's direct dependencies.
class PnpmProject {
 public:
  PnpmProject() {
    dir_.write("package.json", json{{"name", "proj"}, {"version", "1.0.0"}}.dump());
    dir_.write("node_modules/.modules.yaml", "layoutVersion: 5\n");
    dir_.write("node_modules/.pnpm/lock.yaml", "lockfileVersion: '9.0'\n");
  }
  const test::TempDir& dir() const { return dir_; }
  const std::string& path() const { return dir_.path(); }
  std::string real() const { return std::filesystem::canonical(dir_.path()).string(); }

  static std::string entry_name(const std::string& name, const std::string& version) {
    auto encoded = name;
    std::replace(encoded.begin(), encoded.end(), '/', '+');
    return encoded + "@" + version;
  }
  // The package's directory in the store; `entry` defaults to name@version.
  std::string install(const std::string& name, const std::string& version, json scripts = json::object(),
                      json dependencies = json::object(), std::string entry = "") {
    if (entry.empty()) entry = entry_name(name, version);
    auto m = manifest(name, version, std::move(scripts));
    if (!dependencies.empty()) m["dependencies"] = dependencies;
    const auto location = "node_modules/.pnpm/" + entry + "/node_modules/" + name;
    dir_.write(location + "/package.json", m.dump());
    entries_[name] = entry;
    return location;
  }
  // The sibling link pnpm makes in `from`'s entry to `to`'s entry.
  void link_dependency(const std::string& from, const std::string& to) {
    const auto from_modules = dir_.path() + "/node_modules/.pnpm/" + entries_.at(from) + "/node_modules/";
    const auto depth = static_cast<std::size_t>(std::count(to.begin(), to.end(), '/'));
    std::string up = "../../";
    for (std::size_t i = 0; i < depth; ++i) up += "../";
    make_link(up + entries_.at(to) + "/node_modules/" + to, from_modules + to);
  }
  // node_modules/<name> -> the store, as for a direct dependency.
  void link_top(const std::string& name) {
    const std::string up = name.find('/') == std::string::npos ? "" : "../";
    make_link(up + ".pnpm/" + entries_.at(name) + "/node_modules/" + name, dir_.path() + "/node_modules/" + name);
  }

 private:
  test::TempDir dir_;
  std::map<std::string, std::string> entries_;
};

inline const Package* find_package(const Installed& installed, const std::string& relative_path) {
  for (const auto& package : installed.packages)
    if (package.relative_path == relative_path) return &package;
  return nullptr;
}

inline bool any_warning_contains(const Installed& installed, const std::string& text) {
  return std::any_of(installed.warnings.begin(), installed.warnings.end(),
                     [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

}  // namespace airlock::packages::testing
