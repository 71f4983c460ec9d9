#pragma once
// Where npm and pip are configured to fetch packages from (@npm-registries,
// @pip-indexes, ${npm_registry}): read from the package managers'
// configuration files and the caller's environment the way npm's
// @npmcli/config and pip's Configuration read them, without starting
// either (starting them cost ~250 ms a run).
//
// Everything a sandboxed step can write is hostile (README, "Trust model"):
// no configuration is read from the project or the caches shipped profiles
// make writable, not even through a symbolic link; npm and python3 are
// looked up on the PATH entries outside those places; the project's own
// configuration layer (its .npmrc) is not read at all.
//
// The parsers are pure (text in, values out) for tests; the *_addresses
// functions at the end read the files.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace airlock::policy {

struct RegistryAddress {
  std::string host;
  std::string port;  // "443" for https, "80" for http unless the URL names one
};

// "https://registry.example.org/" -> {registry.example.org, 443};
// "http://localhost:4873/" -> {localhost, 4873}; nullopt when not a URL.
std::optional<RegistryAddress> registry_address_from_url(const std::string& url);

// An environment as `environ` holds it: "NAME=value" strings. The first of
// two entries with one name counts, as for getenv(3).
using EnvEntries = std::vector<std::string>;
std::optional<std::string> env_get(const EnvEntries& env, std::string_view name);
EnvEntries caller_environment();

// ---- Trust -----------------------------------------------------------------

// Where a sandboxed step may have written: the project, the caches the
// shipped profiles make writable (~/.cache, ~/.npm, ~/.ccache). No program
// is looked up there and no configuration read from there.
std::vector<std::string> hostile_places(const std::string& project, const std::string& home);

// The caller's absolute PATH entries, without those at or beneath a hostile
// place (a step could plant `npm` or `python3` there). Pure but for the
// realpath(3) of each entry.
std::string trusted_path(const std::string& caller_path, const std::vector<std::string>& hostile);

// ---- npm (pure) ------------------------------------------------------------

// One npm configuration layer: key -> value, nullopt for a value that is not
// a string (true, false, null, a list, a section): it hides the layers
// below but names no registry, as in npm.
using NpmLayer = std::map<std::string, std::optional<std::string>>;

// npm's ${VAR} expansion (@npmcli/config env-replace.js): ${VAR} and ${VAR?}
// (empty when unset; ${VAR} stays as written), backslashes escape.
std::string npm_env_replace(std::string_view text, const EnvEntries& env);

// The top-level keys of an npmrc as npm's `ini` package reads them, keys
// ${VAR}-expanded. Values are raw: npm_string_value() interprets them.
NpmLayer parse_npmrc(std::string_view text, const EnvEntries& env);

// npm_config_* variables, any case, as @npmcli/config's loadEnv maps them:
// "NPM_CONFIG_@corp:registry" -> "@corp:registry".
NpmLayer npm_environment_layer(const EnvEntries& env);

// A value as npm's parseField makes it for a key that is not a path
// (trimmed; "true"/"false"/"null"/"undefined" are not strings; ${VAR}
// expanded).
std::optional<std::string> npm_string_value(const std::optional<std::string>& raw, const EnvEntries& env);

// The default of the `registry` setting in npm's definitions file
// (@npmcli/config's definitions.js, or lib/utils/config/definitions.js
// before npm 10). Throws airlock::Error naming `file`.
std::string npm_default_registry(std::string_view definitions_js, const std::string& file);

// The registry URLs of the merged layers (highest priority first), as
// `npm config list --json` shows them: `registry` (or `default_registry`
// when no layer sets it), then every "@scope:registry" in key order.
std::vector<std::string> npm_registry_urls(const std::vector<NpmLayer>& layers, const std::string& default_registry,
                                           const EnvEntries& env);

// ---- pip (pure) ------------------------------------------------------------

// ("section.name", value) pairs in pip's order; pip's keys are unique.
using PipItems = std::vector<std::pair<std::string, std::string>>;

// A pip configuration file as configparser.RawConfigParser reads it ([DEFAULT]
// included in every section, names lower-cased and normalised as pip does).
// Throws airlock::Error naming `file` and the line where pip would refuse it.
PipItems parse_pip_config(std::string_view text, const std::string& file);

// PIP_* variables as pip's Configuration maps them (":env:.index-url", ...).
PipItems pip_environment_items(const EnvEntries& env);

struct PipDefaultIndex {
  std::string url;        // the index pip uses when none is configured
  std::string file_host;  // where that index's files are served from
};

// From pip's pip/_internal/models/index.py (`PyPI = PackageIndex(...)`).
// Throws airlock::Error naming `file`.
PipDefaultIndex pip_default_index(std::string_view index_py, const std::string& file);

// The index URLs and file host of pip's merged configuration, from the
// layers lowest priority first (pip's OVERRIDE_ORDER): every *.index-url
// (the last one first), then every *.extra-index-url; the default index and
// its file host when no index-url is set at all.
std::pair<std::vector<std::string>, std::optional<std::string>> pip_index_urls(const std::vector<PipItems>& layers,
                                                                              const PipDefaultIndex& fallback);

// ---- The package managers' own answers ---------------------------------------

// From the JSON `npm config list --json` prints (the differential test asks npm).
std::vector<RegistryAddress> registry_addresses_from_npm_config(const std::string& json_text);
// From {"indexes": [URL...], "files": HOST}, what pip's Configuration says
// through a python3 query (the differential test asks pip).
std::vector<RegistryAddress> pip_addresses_from_json(const std::string& json_text);

// ---- Reading the files -------------------------------------------------------

// npm's registries, the default one first, then every @scope:registry: the
// layers `npm config list` sees but the project's. `env` is the caller's;
// relative paths in it are taken from the working directory. Throws
// airlock::Error when npm is not installed outside the hostile places, a
// file cannot be parsed, or a configuration file lies in a hostile place.
std::vector<RegistryAddress> npm_registry_addresses(const EnvEntries& env, const std::vector<std::string>& hostile);

// Where npm and node are installed, found as npm_registry_addresses finds
// them (on the caller's PATH outside the hostile places, links resolved):
// install-scripts runs npm's node-gyp and node-gyp-bin from there.
struct NpmAndNode {
  std::string root;  // npm's package directory (its package.json names "npm")
  std::string node;  // node's real path
};
NpmAndNode npm_installation(const EnvEntries& env, const std::vector<std::string>& hostile);

// pip's package indexes (and, for the default index, the host its files
// come from): every file pip's Configuration loads and the PIP_* variables.
std::vector<RegistryAddress> pip_index_addresses(const EnvEntries& env, const std::vector<std::string>& hostile);

}  // namespace airlock::policy
