#include "policy/variables.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "sandbox/helper.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

extern char** environ;

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
  ctx.npm_registries = [hostile = sandbox::hostile_places(ctx.project, ctx.home)] {
    return npm_registry_addresses(hostile);
  };
  ctx.pip_indexes = [hostile = sandbox::hostile_places(ctx.project, ctx.home)] { return pip_index_addresses(hostile); };
  return ctx;
}

Variables::Variables(const Context& ctx, std::map<std::string, Item> user) : ctx_(ctx), user_(std::move(user)) {}

std::optional<std::string> Variables::expand(const Item& item, const std::string& key, Diagnostics& diag) {
  return expand_at(item, key, diag, 0);
}

std::optional<std::string> Variables::expand_at(const Item& item, const std::string& key, Diagnostics& diag,
                                                int depth) {
  const auto& s = item.text;
  std::string out;
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

std::optional<RegistryAddress> registry_address_from_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  const auto scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return std::nullopt;
  auto rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  RegistryAddress address{rest, scheme == "https" ? "443" : "80"};
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string::npos) return std::nullopt;
    address.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return std::nullopt;
      address.port = rest.substr(close + 2);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    address.host = rest.substr(0, colon);
    address.port = rest.substr(colon + 1);
  }
  if (address.host.empty() || address.port.empty() ||
      address.port.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return address;
}

std::vector<RegistryAddress> registry_addresses_from_npm_config(const std::string& json_text) {
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("`npm config list --json` printed something that is not JSON: ") + e.what());
  }
  std::vector<std::string> urls;
  if (config.contains("registry") && config["registry"].is_string()) urls.push_back(config["registry"]);
  for (const auto& [key, value] : config.items())
    if (key.starts_with('@') && key.ends_with(":registry") && value.is_string()) urls.push_back(value);
  if (urls.empty()) throw Error("npm's configuration names no registry");
  std::vector<RegistryAddress> out;
  for (const auto& url : urls) {
    auto address = registry_address_from_url(url);
    if (!address) throw Error("npm's registry \"" + url + "\" is not an http(s) URL");
    const bool seen = std::any_of(out.begin(), out.end(), [&](const RegistryAddress& a) {
      return a.host == address->host && a.port == address->port;
    });
    if (!seen) out.push_back(*address);
  }
  return out;
}

std::vector<RegistryAddress> npm_registry_addresses(const std::vector<std::string>& hostile) {
  // One call sees every configuration layer but the project's (npm runs in
  // "/", so the project's .npmrc is not read): the built-in and global
  // npmrc, the user's, and the caller's npm_config_* variables; and every
  // @scope:registry key.
  sandbox::Helper npm{"npm", {"config", "list", "--json"}, {"npm_config_*", "NPM_CONFIG_*"},
                      {"npm_config_userconfig", "npm_config_globalconfig", "npm_config_prefix"}};
  return registry_addresses_from_npm_config(sandbox::run_helper(npm, hostile));
}

std::vector<RegistryAddress> pip_addresses_from_json(const std::string& json_text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("pip's configuration query printed something that is not JSON: ") + e.what());
  }
  std::vector<RegistryAddress> out;
  auto add = [&out](const RegistryAddress& a) {
    if (std::none_of(out.begin(), out.end(), [&](const RegistryAddress& b) { return a.host == b.host && a.port == b.port; }))
      out.push_back(a);
  };
  for (const auto& url : doc.value("indexes", nlohmann::json::array())) {
    if (!url.is_string()) continue;
    auto address = registry_address_from_url(url.get<std::string>());
    if (!address) throw Error("pip's index \"" + url.get<std::string>() + "\" is not an http(s) URL");
    add(*address);
  }
  if (doc.contains("files") && doc["files"].is_string()) add(RegistryAddress{doc["files"].get<std::string>(), "443"});
  if (out.empty()) throw Error("pip's configuration names no package index");
  return out;
}

std::vector<RegistryAddress> pip_index_addresses(const std::vector<std::string>& hostile) {
  // pip's own configuration loader sees every layer (files, PIP_* variables);
  // its PyPI model names the default index and the host wheels come from.
  static constexpr const char* kQuery = R"py(
import json
from pip._internal.configuration import Configuration
from pip._internal.models.index import PyPI
config = Configuration(isolated=False)
config.load()
indexes, files = [], None
items = list(config.items())
for key, value in items:
    if key.endswith(".index-url"):
        indexes[:0] = value.split()
for key, value in items:
    if key.endswith(".extra-index-url"):
        indexes += value.split()
if not any(key.endswith(".index-url") for key, _ in items):
    indexes.insert(0, PyPI.simple_url)
    files = PyPI.file_storage_domain
print(json.dumps({"indexes": indexes, "files": files}))
)py";
  // -I: no user site-packages, no PYTHON* variables, no working directory
  // on sys.path; the helper runs in "/" with a python3 from outside the
  // project, so no venv a step could write is its prefix.
  sandbox::Helper python{"python3", {"-I", "-c", kQuery}, {"PIP_*", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS"},
                         {"PIP_CONFIG_FILE", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS"}};
  return pip_addresses_from_json(sandbox::run_helper(python, hostile));
}

}  // namespace airlock::policy
