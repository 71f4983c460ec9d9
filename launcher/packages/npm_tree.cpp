// npm's layout: the lockfile's "packages" map names every installed package
// by its location ("node_modules/a/node_modules/@s/b"); node_modules holds
// what a rebuild would run.
#include <algorithm>
#include <map>
#include <set>

#include "packages/identity.hpp"
#include "packages/scan.hpp"
#include "util/error.hpp"
#include "util/path.hpp"

namespace airlock::packages::scan {
namespace {

// No location npm writes comes near these; a longer one is not followed.
constexpr std::size_t kMaxLocationBytes = 1024;
constexpr std::size_t kMaxLocationDepth = 64;

struct Lockfile {
  std::string relative;  // below the project
  nlohmann::json document;
};

// npm's own order of preference: a published shrinkwrap, the project's
// lockfile, then the "hidden" lockfile npm keeps of node_modules itself.
std::optional<Lockfile> read_lockfile(const ProjectDir& project) {
  for (const char* relative : {"npm-shrinkwrap.json", "package-lock.json", "node_modules/.package-lock.json"}) {
    const auto text = project.read(relative, kMaxLockfileBytes);
    if (!text) continue;
    return Lockfile{relative, parse_json(*text, project.shown(relative))};
  }
  return std::nullopt;
}

class EntryReader {
 public:
  EntryReader(const std::string& file, const std::string& key, const nlohmann::json& entry)
      : file_(file), key_(key), entry_(entry) {}

  std::string text(const char* field) const {
    const auto value = entry_.find(field);
    if (value == entry_.end()) return {};
    if (!value->is_string()) throw Error(where(field) + ": not a string");
    return value->get<std::string>();
  }
  bool flag(const char* field) const {
    const auto value = entry_.find(field);
    if (value == entry_.end()) return false;
    if (!value->is_boolean()) throw Error(where(field) + ": not true or false");
    return value->get<bool>();
  }

 private:
  std::string where(const char* field) const { return file_ + ": packages[\"" + key_ + "\"]." + field; }
  const std::string& file_;
  const std::string& key_;
  const nlohmann::json& entry_;
};

const nlohmann::json& packages_map(const Lockfile& lockfile, const std::string& shown) {
  const auto& doc = lockfile.document;
  if (!doc.is_object()) throw Error(shown + ": not a JSON object");
  const auto version = doc.find("lockfileVersion");
  if (version == doc.end() || !version->is_number_integer())
    throw Error(shown + ": lockfileVersion: missing or not a whole number");
  const auto number = version->get<long long>();
  if (number == 1)
    throw Error(shown + ": lockfileVersion 1 has no \"packages\" map; npm 7 or later rewrites it as version 3 "
                        "(npm install --package-lock-only)");
  if (number != 2 && number != 3)
    throw Error(shown + ": lockfileVersion " + std::to_string(number) + " is not one airlock reads (2 or 3)");
  const auto packages = doc.find("packages");
  if (packages == doc.end() || !packages->is_object()) throw Error(shown + ": packages: missing or not an object");
  return *packages;
}

// Sets what the lockfile tells about the package: its version (verified
// when the resolved tarball URL names it, as npm's allowScripts matcher
// trusts it), whether it is a registry package, bundled, announced as
// having install scripts.
void describe_from_lockfile(const EntryReader& entry, const std::string& name, Package& package) {
  package.name = name;
  package.resolved = entry.text("resolved");
  const auto lockfile_version = entry.text("version");
  if (const auto identity = tarball_identity(package.resolved)) {
    package.version = identity->version;
    package.version_verified = true;
    package.registry_name = identity->name;
  } else {
    package.version = lockfile_version;
  }
  package.registry = is_registry_entry(package.resolved, lockfile_version);
  package.in_bundle = entry.flag("inBundle");
  package.lockfile_has_install_script = entry.flag("hasInstallScript");
}

}  // namespace

void read_npm_tree(Scan& scan) {
  const auto& project = scan.project();
  const auto lockfile = read_lockfile(project);
  if (!lockfile) {
    if (!project.list("node_modules").empty())
      throw Error(project.shown("node_modules") + ": installed, but there is no package-lock.json, "
                  "npm-shrinkwrap.json or node_modules/.package-lock.json to say what it holds");
    return;
  }
  const auto shown = project.shown(lockfile->relative);
  scan.out().lockfile = shown;
  std::vector<Found> found;
  // Locations present in node_modules, built or not: Node's lookup stops at
  // the nearest one even when it is a link.
  std::set<std::string> present;
  for (const auto& [key, value] : packages_map(*lockfile, shown).items()) {
    if (key.empty()) continue;  // the project itself
    if (!value.is_object()) throw Error(shown + ": packages[\"" + key + "\"]: not an object");
    const EntryReader entry(shown, key, value);
    const auto name = key.size() <= kMaxLocationBytes && path_depth("/" + key) <= kMaxLocationDepth
                          ? name_at_location(key)
                          : std::nullopt;
    if (entry.flag("link")) {
      present.insert(key);
      scan.out().skipped.push_back({key, "a link to " + entry.text("resolved") + ": the project's own workspace code"});
      continue;
    }
    if (!name) {
      if (key.find("node_modules") == std::string::npos)
        scan.out().skipped.push_back({key, "a workspace folder: the project's own code"});
      else
        scan.warn(shown + ": packages[\"" + key + "\"]: not a location airlock follows: not built");
      continue;
    }
    const auto dir = project.directory(key);
    if (dir.kind == DirKind::missing) continue;  // optional, for another platform, or omitted
    present.insert(key);
    if (dir.kind != DirKind::real) {
      scan.warn(dir.detail + ": " + (dir.detail.starts_with(key + " ") ? "not built" : "packages below it are not built"));
      continue;
    }
    Found item;
    describe_from_lockfile(entry, *name, item.package);
    if (!scan.read_package(key, item)) continue;
    // node_modules is what a rebuild runs (it reads each package.json); a
    // lockfile without hasInstallScript only means `npm ci` would not have
    // looked. Either way the scripts are found, and the difference said
    // (not for an implicit node-gyp rebuild: a lockfile written without the
    // tarball's files, --package-lock-only, cannot know of a binding.gyp).
    const auto& scripts = item.package.scripts;
    const bool declared = std::any_of(scripts.begin(), scripts.end(), [](const Script& s) { return !s.implicit_gyp; });
    if (declared && !item.package.lockfile_has_install_script && !item.package.in_bundle)
      scan.warn(key + ": package.json has install scripts its lockfile entry does not announce (no hasInstallScript)");
    found.push_back(std::move(item));
  }
  std::set<std::string> built;
  for (const auto& item : found) built.insert(item.package.relative_path);
  scan.finish(found, [&](const Found& item) {
    std::vector<std::string> out;
    for (const auto& dependency : item.dependency_names)
      for (const auto& location : node_lookup_locations(item.package.relative_path, dependency)) {
        if (!present.count(location)) continue;
        if (built.count(location)) out.push_back(location);
        break;
      }
    return out;
  });
}

}  // namespace airlock::packages::scan
