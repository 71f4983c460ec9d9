#include "packages/installed.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "packages/identity.hpp"
#include "packages/scan.hpp"
#include "util/error.hpp"

namespace airlock::packages {

std::string layout_name(Layout layout) { return layout == Layout::pnpm ? "pnpm" : "npm"; }

namespace scan {
namespace {

std::string script_of(const nlohmann::json& manifest, const char* event) {
  const auto scripts = manifest.find("scripts");
  if (scripts == manifest.end() || !scripts->is_object()) return {};
  const auto command = scripts->find(event);
  // npm's package.json normalisation drops a script that is not a string;
  // an empty one is false to rebuild.js and never runs.
  return command != scripts->end() && command->is_string() ? command->get<std::string>() : std::string();
}

std::optional<std::string> manifest_string(const nlohmann::json& manifest, const char* key) {
  const auto value = manifest.find(key);
  if (value == manifest.end() || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

}  // namespace

std::vector<Script> install_scripts(const nlohmann::json& manifest, const std::function<bool()>& has_binding_gyp) {
  const auto preinstall = script_of(manifest, "preinstall");
  const auto install = script_of(manifest, "install");
  const auto postinstall = script_of(manifest, "postinstall");
  const auto gypfile = manifest.find("gypfile");
  const bool gyp_off = gypfile != manifest.end() && gypfile->is_boolean() && !gypfile->get<bool>();
  std::vector<Script> out;
  if (!preinstall.empty()) out.push_back({"preinstall", preinstall, false});
  if (!install.empty()) out.push_back({"install", install, false});
  else if (preinstall.empty() && !gyp_off && has_binding_gyp()) out.push_back({"install", "node-gyp rebuild", true});
  if (!postinstall.empty()) out.push_back({"postinstall", postinstall, false});
  return out;
}

std::vector<std::string> declared_dependencies(const nlohmann::json& manifest) {
  std::set<std::string> names;
  for (const char* field : {"dependencies", "optionalDependencies", "peerDependencies"}) {
    const auto list = manifest.find(field);
    if (list == manifest.end() || !list->is_object()) continue;
    for (const auto& item : list->items())
      if (is_package_name(item.key())) names.insert(item.key());
  }
  return {names.begin(), names.end()};
}

void Scan::warn(const std::string& warning) {
  if (said_.insert(warning).second) out_.warnings.push_back(warning);
}

bool Scan::read_package(const std::string& location, Found& found) {
  const auto text = project_.read(location + "/package.json", kMaxManifestBytes);
  if (!text) {
    warn(location + ": no package.json: not built");
    return false;
  }
  const auto manifest = parse_json(*text, project_.shown(location + "/package.json"));
  if (!manifest.is_object()) throw Error(project_.shown(location + "/package.json") + ": not a JSON object");
  ++out_.scanned;
  auto& package = found.package;
  package.relative_path = location;
  package.dir = project_.shown(location);
  package.manifest_name = manifest_string(manifest, "name");
  package.manifest_version = manifest_string(manifest, "version");
  package.scripts = install_scripts(manifest, [&] {
    // npm stat()s binding.gyp, following links; one out of the project is
    // not looked at, and said.
    std::string outside;
    const bool file = project_.is_file(location + "/binding.gyp", &outside);
    if (!outside.empty()) warn(outside + ": not followed, so no implicit node-gyp rebuild");
    return file;
  });
  found.dependency_names = declared_dependencies(manifest);
  return true;
}

void Scan::finish(std::vector<Found>& found, const std::function<std::vector<std::string>(const Found&)>& resolve) {
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.package.relative_path < b.package.relative_path; });
  for (auto& item : found) {
    auto dependencies = resolve(item);
    std::sort(dependencies.begin(), dependencies.end());
    dependencies.erase(std::unique(dependencies.begin(), dependencies.end()), dependencies.end());
    std::erase(dependencies, item.package.relative_path);
    out_.dependency_graph[item.package.relative_path] = dependencies;
    item.package.dependencies = std::move(dependencies);
    if (!item.package.scripts.empty()) out_.packages.push_back(std::move(item.package));
  }
}

}  // namespace scan

Installed find_installed(const std::string& project) {
  const ProjectDir dir(project);
  Installed out;
  out.project = dir.path();
  scan::Scan scan(dir, out);
  const auto modules = dir.directory("node_modules");
  const auto present_in_modules = [&](const char* name) {
    struct stat st {};
    return modules.kind == DirKind::real && ::fstatat(modules.fd.get(), name, &st, AT_SYMLINK_NOFOLLOW) == 0;
  };
  out.layout = present_in_modules(".pnpm") || present_in_modules(".modules.yaml") ? Layout::pnpm : Layout::npm;
  if (modules.kind == DirKind::missing) return out;  // nothing installed, nothing to build
  if (modules.kind != DirKind::real) {
    scan.warn(modules.detail + ": nothing in it is built");
    return out;
  }
  if (out.layout == Layout::pnpm) scan::read_pnpm_store(scan);
  else scan::read_npm_tree(scan);
  return out;
}

}  // namespace airlock::packages
