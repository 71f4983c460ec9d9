#pragma once
// `${name}` substitution in profile values. Built-ins describe the invoking
// user and project; `[variables]` adds the profile's own. An undefined
// variable is an error, never an empty string: "${hme}/.cache" must not
// quietly become "/.cache".
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/diagnostics.hpp"
#include "policy/document.hpp"

namespace airlock::policy {

struct RegistryAddress {
  std::string host;
  std::string port;  // "443" for https, "80" for http unless the URL names one
};

struct Context {
  std::string project;  // absolute
  std::string home;
  std::string tmp;
  unsigned uid = 0;
  unsigned gid = 0;
  // The default registry first, then every @scope:registry. Evaluated only
  // when a profile uses ${npm_registry} or @npm-registries: running npm costs
  // ~100 ms and npm may not even be installed where it is not needed.
  std::function<std::vector<RegistryAddress>()> npm_registries;
  // The package indexes pip is configured with (and, for the default index,
  // the host its files come from), asked of pip on first use.
  std::function<std::vector<RegistryAddress>()> pip_indexes;

  // The invoking user's context; `project` defaults to the working directory.
  static Context current(const std::optional<std::string>& project = std::nullopt);
};

class Variables {
 public:
  Variables(const Context& ctx, std::map<std::string, Item> user);

  // Substitutes every ${name} in `item`; reports problems to `diag` under
  // `key` and returns nullopt.
  std::optional<std::string> expand(const Item& item, const std::string& key, Diagnostics& diag);

  // The registries npm is configured with (asked once, on first use).
  // Throws airlock::Error when npm cannot say.
  const std::vector<RegistryAddress>& npm_registries();
  const std::vector<RegistryAddress>& pip_indexes();

  // Every variable that was expanded at least once, with its value.
  const std::map<std::string, std::string>& used() const { return used_; }

 private:
  std::optional<std::string> lookup(const std::string& name, const Item& at, const std::string& key,
                                    Diagnostics& diag, int depth);
  std::optional<std::string> expand_at(const Item& item, const std::string& key, Diagnostics& diag, int depth);

  const Context& ctx_;
  std::map<std::string, Item> user_;
  std::map<std::string, std::string> used_;
  std::optional<std::vector<RegistryAddress>> registries_;
  std::optional<std::vector<RegistryAddress>> pip_indexes_;
};

// The registries npm is configured to use, the default one first, then
// every "@scope:registry": `npm config list --json`, so every npm
// configuration layer but the project's counts (sandbox/helper.hpp: npm
// runs isolated, in "/"). Throws airlock::Error.
std::vector<RegistryAddress> npm_registry_addresses(const std::vector<std::string>& hostile);

// pip's package indexes (index-url, extra-index-url from every pip
// configuration layer and PIP_* variables; pip's default index and its file
// host when none is set), asked of pip itself through `python3`.
std::vector<RegistryAddress> pip_index_addresses(const std::vector<std::string>& hostile);

// From the JSON our pip query prints: {"indexes": [URL...], "files": HOST}.
std::vector<RegistryAddress> pip_addresses_from_json(const std::string& json_text);

// The same, from the JSON npm printed (pure, for tests).
std::vector<RegistryAddress> registry_addresses_from_npm_config(const std::string& json_text);

// "https://registry.example.org/" -> {registry.example.org, 443};
// "http://localhost:4873/" -> {localhost, 4873}; nullopt when not a URL.
std::optional<RegistryAddress> registry_address_from_url(const std::string& url);

}  // namespace airlock::policy
