// pnpm's layout: each package lives once, as a real directory, in its store
// entry node_modules/.pnpm/<name with + for />@<version>[_<peers>]/
// node_modules/<name>; beside it in that node_modules are symbolic links to
// its dependencies' entries. The links in node_modules/ itself are the
// project's view and are never followed here.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <utility>

#include "packages/identity.hpp"
#include "packages/scan.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

namespace airlock::packages::scan {
namespace {

constexpr const char* kStore = "node_modules/.pnpm";

struct StoreEntry {
  std::string name;     // "@s/b" from "@s+b@1.0.0"
  std::string version;  // "1.0.0": up to a peer suffix ("_react@18.2.0", "(react@18.2.0)")
};

// pnpm's dep-path-to-filename: the name with "+" for "/", "@", the version;
// a version holds no "_" or "(" (semver allows neither), so the first one
// starts the peers. A non-registry version ("file+..", "https+...") is kept
// as written and is no semantic version.
std::optional<StoreEntry> parse_store_entry(const std::string& entry) {
  const auto at = entry.find('@', 1);
  if (at == std::string::npos) return std::nullopt;
  std::string name = entry.substr(0, at);
  for (auto& c : name)
    if (c == '+') c = '/';
  if (!is_package_name(name)) return std::nullopt;
  const auto version_end = entry.find_first_of("_(", at + 1);
  return StoreEntry{name, entry.substr(at + 1, version_end == std::string::npos ? std::string::npos : version_end - at - 1)};
}

// The names in a store entry's node_modules, "@s/b" for scoped ones.
std::vector<std::string> names_in(const ProjectDir& project, const std::string& modules) {
  std::vector<std::string> names;
  for (const auto& name : project.list(modules)) {
    if (name.starts_with('.')) continue;  // .bin
    if (!name.starts_with('@')) {
      names.push_back(name);
      continue;
    }
    // A scope directory is real even when all in it are links; listing one
    // that is a link fails, and its packages are then not found as real.
    if (project.directory(modules + "/" + name).kind != DirKind::real) continue;
    for (const auto& scoped : project.list(modules + "/" + name)) names.push_back(name + "/" + scoped);
  }
  return names;
}

using Inode = std::pair<dev_t, ino_t>;

std::optional<Inode> inode_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  return Inode{st.st_dev, st.st_ino};
}

class StoreReader {
 public:
  explicit StoreReader(Scan& scan) : scan_(scan), project_(scan.project()) {}

  void read_entry(const std::string& entry) {
    const auto location = std::string(kStore) + "/" + entry;
    const auto dir = project_.directory(location);
    if (dir.kind == DirKind::link) scan_.warn(dir.detail + ": a store entry that is a link: not built");
    if (dir.kind != DirKind::real) return;
    const auto parsed = parse_store_entry(entry);
    if (!parsed) {
      scan_.warn(location + ": not a store entry pnpm writes (<name>@<version>): not built");
      return;
    }
    const auto modules = location + "/node_modules";
    if (const auto listed = project_.directory(modules); listed.kind != DirKind::real) {
      if (listed.kind != DirKind::missing) scan_.warn(listed.detail + ": not built");
      return;
    }
    bool own_found = false;
    for (const auto& name : names_in(project_, modules)) {
      if (!is_package_name(name)) continue;
      const auto package_location = modules + "/" + name;
      auto package_dir = project_.directory(package_location);
      if (package_dir.kind != DirKind::real) continue;  // a link: a dependency of this entry
      own_found = own_found || name == parsed->name;
      read_package(entry, *parsed, name, package_location, package_dir);
    }
    if (!own_found) {
      const auto own = project_.directory(modules + "/" + parsed->name);
      scan_.warn(own.kind == DirKind::link ? own.detail + ": not built"
                                           : location + ": no real directory for " + parsed->name + ": not built");
    }
  }

  // Each dependency is the sibling link of the same name, followed within
  // the project and matched to a store package by its inode.
  std::vector<std::string> dependencies_of(const Found& item) {
    std::vector<std::string> out;
    const auto& entry_modules = modules_of_.at(item.package.relative_path);
    for (const auto& dependency : item.dependency_names) {
      const auto sibling = entry_modules + "/" + dependency;
      auto fd = open_resolved(project_.fd(), sibling, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
      if (!fd) {
        if (errno == EXDEV) scan_.warn(sibling + ": a symbolic link that leads out of the project: not followed");
        continue;
      }
      const auto inode = inode_of(fd.get());
      if (!inode) continue;
      const auto known = by_inode_.find(*inode);
      if (known != by_inode_.end()) out.push_back(known->second);
    }
    return out;
  }

  std::vector<Found>& found() { return found_; }

 private:
  void read_package(const std::string& entry, const StoreEntry& parsed, const std::string& name,
                    const std::string& location, const DirLookup& dir) {
    Found item;
    item.package.name = name;
    if (name == parsed.name) {
      item.package.version = parsed.version;
      item.package.version_verified = semver_version(parsed.version) == parsed.version;
      // pnpm writes a semantic version only for a registry package ("file+...",
      // "https+..." for the others).
      item.package.registry = item.package.version_verified;
      item.package.store_entry = entry;
    } else {
      // Not the entry's own package (pnpm puts only that one there as a
      // directory): its version is unknown.
      scan_.warn(location + ": a directory in the store entry " + entry + " for another package than " + parsed.name);
    }
    if (!scan_.read_package(location, item)) return;
    if (const auto inode = inode_of(dir.fd.get())) by_inode_.emplace(*inode, location);
    modules_of_[location] = std::string(kStore) + "/" + entry + "/node_modules";
    found_.push_back(std::move(item));
  }

  Scan& scan_;
  const ProjectDir& project_;
  std::vector<Found> found_;
  std::map<Inode, std::string> by_inode_;
  std::map<std::string, std::string> modules_of_;  // package location -> its entry's node_modules
};

}  // namespace

void read_pnpm_store(Scan& scan) {
  const auto& project = scan.project();
  const auto store = project.directory(kStore);
  if (store.kind != DirKind::real) {
    scan.warn(store.kind == DirKind::missing
                  ? std::string(kStore) + ": missing (pnpm's hoisted node-linker is not read): nothing is built"
                  : store.detail + ": nothing in it is built");
    return;
  }
  StoreReader reader(scan);
  for (const auto& entry : project.list(kStore)) {
    // node_modules: pnpm's hoisted links into the store; lock.yaml and
    // other files: no entries.
    if (entry.starts_with('.') || entry == "node_modules" || entry == "lock.yaml") continue;
    reader.read_entry(entry);
  }
  scan.finish(reader.found(), [&](const Found& item) { return reader.dependencies_of(item); });
}

}  // namespace airlock::packages::scan
