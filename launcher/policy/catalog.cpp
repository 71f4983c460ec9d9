#include "policy/catalog.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "policy/builtin.hpp"
#include "util/error.hpp"
#include "util/path.hpp"

namespace airlock::policy {
namespace fs = std::filesystem;

namespace {

bool is_path_ref(const std::string& ref) {
  return ref.find('/') != std::string::npos || ref.ends_with(".toml");
}


std::string canonical_or_self(const std::string& path) {
  std::error_code ec;
  auto canonical = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? path : canonical.string();
}

constexpr const char* kProjectDir = ".airlock";

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
  const auto user = user_config_dir(home);
  Catalog catalog({user + "/profiles", std::string(kSystemConfigDir) + "/profiles"},
                  {user + "/policies", std::string(kSystemConfigDir) + "/policies"});
  catalog.project_ = Project{project, load_trust_record(home, project),
                             {canonical_or_self(user), kSystemConfigDir}, true};
  return catalog;
}

Catalog Catalog::without_project() const {
  Catalog out = *this;
  if (out.project_) out.project_->use_config_dir = false;
  return out;
}

Catalog Catalog::for_review() const {
  Catalog out = *this;
  if (out.project_) out.project_->review = true;
  return out;
}

// The path of `origin` relative to the project when it is a project file:
// where it is written (a symbolic link in the project that leads out is
// still the project's: a step put it there), else where it leads.
std::optional<std::string> Catalog::project_relative(const std::string& origin) const {
  if (!project_ || origin.starts_with("builtin:")) return std::nullopt;
  std::error_code ec;
  const auto lexical = fs::absolute(origin, ec).lexically_normal().string();
  for (const auto& path : {lexical, canonical_or_self(origin)}) {
    auto relative = path_relative_to(path, project_->dir);
    if (!relative) continue;
    if (std::any_of(project_->exempt.begin(), project_->exempt.end(),
                    [&](const std::string& dir) { return path_within(path, dir); }))
      continue;
    return relative;
  }
  return std::nullopt;
}

bool Catalog::is_project_file(const std::string& origin) const { return project_relative(origin).has_value(); }

const std::map<std::string, std::string>& Catalog::trusted_config() const {
  if (!checked_config_) {
    auto now = scan_project_config(project_->dir);
    const auto differences = trust_differences(now, *project_->record);
    if (!differences.empty()) {
      std::string list;
      for (const auto& d : differences) list += "\n  " + project_->dir + "/" + d;
      throw Error("the project's airlock configuration is not what was trusted:" + list +
                  "\nA sandboxed step can write the project, so airlock refuses to use it. Review the files, "
                  "then run `airlock trust` in " + project_->dir + " to trust them as they are now.");
    }
    checked_config_ = std::move(now);
  }
  return *checked_config_;
}

std::optional<SourceText> Catalog::find_in_project(const std::string& relative, const std::string& name,
                                                   bool is_profile) const {
  const auto& config = trusted_config();
  const auto it = config.find(relative);
  if (it == config.end()) return std::nullopt;
  auto text = read_project_file(project_->dir, relative);
  if (sha256_hex(text) != it->second)
    throw Error(project_->dir + "/" + relative + " changed while airlock read it; run `airlock trust` after review");
  return SourceText{name, project_->dir + "/" + relative, std::move(text), is_profile};
}

std::optional<SourceText> Catalog::find_file(const std::string& ref) const {
  const auto in_project = project_relative(ref);
  if (!in_project) {
    auto text = read_text_file(ref);
    if (!text) return std::nullopt;
    return SourceText{ref, ref, std::move(*text), true};
  }
  struct stat st {};
  if (::lstat(ref.c_str(), &st) != 0) return std::nullopt;
  const auto& relative = *in_project;
  const auto untrusted = [&](const std::string& why) {
    return Error(ref + " is in the project (" + project_->dir + "), which a sandboxed step can write, and " + why +
                 ". airlock loads configuration from the project only as the operator approved it: review the "
                 "file, then run `airlock trust " + ref + "`.");
  };
  auto text = read_project_file(project_->dir, relative);
  const bool trusted = project_->record && project_->record->files.count(relative) &&
                       sha256_hex(text) == project_->record->files.at(relative);
  if (!trusted && project_->review) {
    spdlog::warn("{} is in the project and not trusted as it is: `airlock run` would refuse it until `airlock trust {}`",
                 ref, ref);
  } else if (!trusted) {
    throw untrusted(project_->record && project_->record->files.count(relative) ? "it changed since it was trusted"
                                                                                : "it is not trusted");
  }
  return SourceText{ref, ref, std::move(text), true};
}

std::optional<SourceText> Catalog::find_named(const std::string& name, const std::vector<std::string>& dirs,
                                              bool is_profile) const {
  if (project_dir_in_use()) {
    const auto relative = std::string(kProjectDir) + (is_profile ? "/" : "/policies/") + name + ".toml";
    if (auto found = find_in_project(relative, name, is_profile)) return found;
  } else if (project_ && project_->use_config_dir && is_profile) {
    // Said, not used: a step may have planted it, and the operator who put
    // it there learns why it has no effect.
    const auto planted = project_->dir + "/" + kProjectDir + "/" + name + ".toml";
    struct stat st {};
    if (::lstat(planted.c_str(), &st) == 0)
      spdlog::warn("{} is not used: the project's airlock configuration is not trusted (a sandboxed step can write "
                   "the project). If you wrote it, review it and run `airlock trust` there.",
                   planted);
  }
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
  if (is_path_ref(ref)) return find_file(ref);
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
  if (project_dir_in_use()) {
    const std::string prefix = std::string(kProjectDir) + "/policies/";
    for (const auto& [relative, digest] : trusted_config())
      if (relative.starts_with(prefix)) {
        const auto name = relative.substr(prefix.size(), relative.size() - prefix.size() - 5);
        if (auto found = find_in_project(relative, name, false)) out.push_back(std::move(*found));
      }
  }
  return out;
}

std::vector<SourceText> Catalog::profiles() const {
  std::map<std::string, SourceText> seen;
  if (project_dir_in_use()) {
    const std::string prefix = std::string(kProjectDir) + "/";
    for (const auto& [relative, digest] : trusted_config())
      if (relative.find('/', prefix.size()) == std::string::npos) {
        const auto name = relative.substr(prefix.size(), relative.size() - prefix.size() - 5);
        if (auto found = find_in_project(relative, name, true)) seen[name] = std::move(*found);
      }
  }
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
