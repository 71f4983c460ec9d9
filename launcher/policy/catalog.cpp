#include "policy/catalog.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "policy/builtin.hpp"
#include "util/error.hpp"

namespace airlock::policy {
namespace fs = std::filesystem;

namespace {

bool is_path_ref(const std::string& ref) {
  return ref.find('/') != std::string::npos || ref.ends_with(".toml");
}

std::string config_home(const std::string& home) {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg == '/') return xdg;
  return home + "/.config";
}

}  // namespace

std::optional<std::string> read_text_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  // A directory opens and reads as nothing: `extends = ["/etc/airlock/"]`
  // would quietly extend an empty profile.
  if (fs::is_directory(path, ec)) throw Error("cannot read " + path + ": it is a directory, not a profile");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path + ": permission denied or not a regular file");
  // Pipes stay readable (`airlock check /dev/stdin`), but an endless file
  // such as /dev/zero must not take all memory.
  std::string text(kMaxProfileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw Error("cannot read " + path);
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxProfileBytes)
    throw Error("cannot read " + path + ": larger than " + std::to_string(kMaxProfileBytes / 1024) +
                " KiB, too large for a profile or policy file");
  return text;
}

Catalog::Catalog(std::vector<std::string> profile_dirs, std::vector<std::string> policy_dirs, bool with_builtin)
    : profile_dirs_(std::move(profile_dirs)), policy_dirs_(std::move(policy_dirs)), with_builtin_(with_builtin) {}

Catalog Catalog::standard(const std::string& project, const std::string& home) {
  const auto user = config_home(home) + "/airlock";
  return Catalog({project + "/.airlock", user + "/profiles", "/etc/airlock/profiles"},
                 {project + "/.airlock/policies", user + "/policies", "/etc/airlock/policies"});
}

std::optional<SourceText> Catalog::find_named(const std::string& name, const std::vector<std::string>& dirs,
                                              bool is_profile) const {
  for (const auto& dir : dirs) {
    const auto path = dir + "/" + name + ".toml";
    if (auto text = read_text_file(path)) return SourceText{name, path, std::move(*text), is_profile};
  }
  if (with_builtin_) {
    const auto kind = is_profile ? BuiltinKind::profile : BuiltinKind::policy;
    for (const auto& file : builtin_files())
      if (file.kind == kind && file.name == name)
        return SourceText{name, std::string(file.origin), std::string(file.text), is_profile};
  }
  return std::nullopt;
}

std::optional<SourceText> Catalog::find(const std::string& ref) const {
  if (is_path_ref(ref)) {
    auto text = read_text_file(ref);
    if (!text) return std::nullopt;
    return SourceText{ref, ref, std::move(*text), true};
  }
  if (auto profile = find_named(ref, profile_dirs_, true)) return profile;
  return find_named(ref, policy_dirs_, false);
}

std::vector<SourceText> Catalog::policy_files() const {
  std::vector<SourceText> out;
  if (with_builtin_)
    for (const auto& file : builtin_files())
      if (file.kind == BuiltinKind::policy)
        out.push_back({std::string(file.name), std::string(file.origin), std::string(file.text), false});
  // Directories are listed highest precedence first; policy files go lowest first.
  for (auto dir = policy_dirs_.rbegin(); dir != policy_dirs_.rend(); ++dir) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(*dir, ec))
      if (entry.path().extension() == ".toml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& path : files)
      if (auto text = read_text_file(path.string()))
        out.push_back({path.stem().string(), path.string(), std::move(*text), false});
  }
  return out;
}

std::vector<SourceText> Catalog::profiles() const {
  std::map<std::string, SourceText> seen;
  for (const auto& dir : profile_dirs_) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() != ".toml") continue;
      const auto name = entry.path().stem().string();
      if (seen.count(name)) continue;
      if (auto text = read_text_file(entry.path().string()))
        seen[name] = SourceText{name, entry.path().string(), std::move(*text), true};
    }
  }
  if (with_builtin_)
    for (const auto& file : builtin_files())
      if (file.kind == BuiltinKind::profile && !seen.count(std::string(file.name)))
        seen[std::string(file.name)] =
            SourceText{std::string(file.name), std::string(file.origin), std::string(file.text), true};
  std::vector<SourceText> out;
  for (auto& [name, source] : seen) out.push_back(std::move(source));
  return out;
}

}  // namespace airlock::policy
