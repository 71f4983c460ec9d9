#include "policy/variables.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "util/error.hpp"

namespace airlock::policy {
namespace {

constexpr int kMaxDepth = 8;

std::string home_of_invoking_user() {
  if (const char* home = std::getenv("HOME"); home && *home == '/') return home;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/";
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

}  // namespace

Context Context::current(const std::optional<std::string>& project) {
  Context ctx;
  std::error_code ec;
  const auto base = project ? std::filesystem::path(*project) : std::filesystem::current_path(ec);
  if (ec) throw Error("cannot determine the working directory: " + ec.message());
  auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(base, ec), ec);
  ctx.project = ec ? base.string() : canonical.string();
  ctx.home = home_of_invoking_user();
  const char* tmpdir = std::getenv("TMPDIR");
  ctx.tmp = (tmpdir && *tmpdir == '/') ? tmpdir : "/tmp";
  ctx.uid = getuid();
  ctx.gid = getgid();
  ctx.npm_registries = [hostile = hostile_places(ctx.project, ctx.home)] {
    return npm_registry_addresses(caller_environment(), hostile);
  };
  ctx.pip_indexes = [hostile = hostile_places(ctx.project, ctx.home)] {
    return pip_index_addresses(caller_environment(), hostile);
  };
  return ctx;
}

Variables::Variables(const Context& ctx, std::map<std::string, Item> user) : ctx_(ctx), user_(std::move(user)) {}

std::optional<std::string> Variables::expand(const Item& item, const std::string& key, Diagnostics& diag) {
  return expand_at(item, key, diag, 0);
}

std::optional<std::string> Variables::expand_at(const Item& item, const std::string& key, Diagnostics& diag,
                                                int depth) {
  const auto& s = item.text;
  // Most entries name no variable: one copy, not one append per character.
  if (s.find('$') == std::string::npos) return s;
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '$') {
      out += s[i];
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '$') {  // "$$" is a literal '$'
      out += '$';
      ++i;
      continue;
    }
    if (i + 1 >= s.size() || s[i + 1] != '{') {
      out += '$';
      continue;
    }
    const auto close = s.find('}', i + 2);
    const auto name = close == std::string::npos ? std::string() : s.substr(i + 2, close - i - 2);
    bool valid = !name.empty();
    for (char c : name) valid = valid && is_name_char(c);
    if (!valid) {
      diag.error(item.where, key, "malformed variable reference in \"" + s + "\": expected ${name}");
      return std::nullopt;
    }
    auto value = lookup(name, item, key, diag, depth);
    if (!value) return std::nullopt;
    out += *value;
    i = close;
  }
  return out;
}

std::optional<std::string> Variables::lookup(const std::string& name, const Item& at, const std::string& key,
                                             Diagnostics& diag, int depth) {
  if (auto it = used_.find(name); it != used_.end()) return it->second;
  std::optional<std::string> value;
  if (auto user = user_.find(name); user != user_.end()) {
    if (depth >= kMaxDepth) {
      diag.error(user->second.where, "variables." + name, "variables refer to each other in a cycle");
      return std::nullopt;
    }
    value = expand_at(user->second, "variables." + name, diag, depth + 1);
    if (!value) return std::nullopt;
  } else if (name == "project") {
    value = ctx_.project;
  } else if (name == "home") {
    value = ctx_.home;
  } else if (name == "tmp") {
    value = ctx_.tmp;
  } else if (name == "uid") {
    value = std::to_string(ctx_.uid);
  } else if (name == "gid") {
    value = std::to_string(ctx_.gid);
  } else if (name == "npm_registry" || name == "npm_registry_port") {
    try {
      const auto& all = npm_registries();
      value = name == "npm_registry" ? all.front().host : all.front().port;
    } catch (const Error& e) {
      diag.error(at.where, key, "${" + name + "}: " + e.what());
      return std::nullopt;
    }
  } else {
    diag.error(at.where, key,
               "undefined variable ${" + name +
                   "}; built-ins are ${project}, ${home}, ${tmp}, ${uid}, ${gid}, ${npm_registry}, "
                   "${npm_registry_port}, "
                   "others must be defined in [variables]");
    return std::nullopt;
  }
  used_[name] = *value;
  return value;
}

const std::vector<RegistryAddress>& Variables::npm_registries() {
  if (!registries_) {
    if (!ctx_.npm_registries) throw Error("no way to ask npm here");
    registries_ = ctx_.npm_registries();
    if (registries_->empty()) throw Error("npm's configuration names no registry");
  }
  return *registries_;
}

const std::vector<RegistryAddress>& Variables::pip_indexes() {
  if (!pip_indexes_) {
    if (!ctx_.pip_indexes) throw Error("no way to ask pip here");
    pip_indexes_ = ctx_.pip_indexes();
  }
  return *pip_indexes_;
}

}  // namespace airlock::policy
