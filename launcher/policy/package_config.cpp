#include "policy/package_config.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/path.hpp"

extern char** environ;

namespace airlock::policy {
namespace {

constexpr std::size_t kMaxConfigFile = 4 * 1024 * 1024;

// ---- Text ------------------------------------------------------------------

// The whitespace JavaScript's trim() and Python's str.strip() remove, as far
// as configuration files meet it: ASCII, no-break space, byte order mark.
std::size_t leading_space(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || (c >= '\t' && c <= '\r')) {
      ++i;
    } else if (s.substr(i, 2) == "\xC2\xA0") {
      i += 2;
    } else if (s.substr(i, 3) == "\xEF\xBB\xBF") {
      i += 3;
    } else {
      break;
    }
  }
  return i;
}

std::string_view trim_space(std::string_view s) {
  s.remove_prefix(leading_space(s));
  while (!s.empty()) {
    const auto c = static_cast<unsigned char>(s.back());
    if (c == ' ' || (c >= '\t' && c <= '\r')) {
      s.remove_suffix(1);
    } else if (s.ends_with("\xC2\xA0")) {
      s.remove_suffix(2);
    } else if (s.ends_with("\xEF\xBB\xBF")) {
      s.remove_suffix(3);
    } else {
      break;
    }
  }
  return s;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Lines split at \r, \n or \r\n (Python's universal newlines), numbered from 1.
std::vector<std::string_view> text_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r' && text[i] != '\n') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

// A key -> value table that keeps the position of a key's first assignment,
// as JavaScript objects and Python dicts do.
template <typename Value>
class Ordered {
 public:
  void assign(const std::string& key, Value value) {
    for (auto& [k, v] : items_)
      if (k == key) {
        v = std::move(value);
        return;
      }
    items_.emplace_back(key, std::move(value));
  }
  const Value* find(const std::string& key) const {
    for (const auto& [k, v] : items_)
      if (k == key) return &v;
    return nullptr;
  }
  Value* find(const std::string& key) {
    for (auto& [k, v] : items_)
      if (k == key) return &v;
    return nullptr;
  }
  void erase(const std::string& key) {
    std::erase_if(items_, [&](const auto& item) { return item.first == key; });
  }
  const std::vector<std::pair<std::string, Value>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, Value>> items_;
};

// ---- npm's ini -------------------------------------------------------------

// A value as npm's ini `unsafe()` leaves it: a string, or (from a quoted
// JSON literal) something that is not one.
struct IniValue {
  std::string text;
  bool is_string = true;
};

bool ini_quoted(std::string_view v) {
  return !v.empty() && ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\''));
}

IniValue npm_ini_unsafe(std::string_view raw) {
  auto v = trim_space(raw);
  if (ini_quoted(v)) {
    if (v.front() == '\'') v = v.size() >= 2 ? v.substr(1, v.size() - 2) : std::string_view();
    const auto parsed = nlohmann::json::parse(v, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return {std::string(v), true};
    if (parsed.is_string()) return {parsed.get<std::string>(), true};
    return {std::string(v), false};
  }
  // Up to the first ';' or '#' that no backslash escapes.
  std::string out;
  bool escaped = false;
  for (char c : v) {
    if (escaped) {
      if (c != '\\' && c != ';' && c != '#') out += '\\';
      out += c;
      escaped = false;
    } else if (c == ';' || c == '#') {
      break;
    } else if (c == '\\') {
      escaped = true;
    } else {
      out += c;
    }
  }
  if (escaped) out += '\\';
  return {std::string(trim_space(out)), true};
}

// ini's splitSections: at every '.' that no backslash precedes.
std::vector<std::string> ini_split_sections(const std::string& s) {
  std::vector<std::string> parts;
  std::size_t from = 0, search = 0;
  while (true) {
    const auto dot = s.find('.', search);
    if (dot == std::string::npos) break;
    search = dot + 1;
    if (dot > 0 && s[dot - 1] == '\\') continue;
    parts.push_back(s.substr(from, dot - from));
    from = dot + 1;
  }
  parts.push_back(s.substr(from));
  return parts;
}

std::string unescape_dots(std::string s) {
  for (std::size_t pos = 0; (pos = s.find("\\.", pos)) != std::string::npos; ++pos) s.erase(pos, 1);
  return s;
}

// path.resolve(base, p) of Node: lexical, ".." folded.
std::string lexical_resolve(const std::string& base, const std::string& p) {
  const std::string joined = p.starts_with('/') ? p : base + "/" + p;
  std::vector<std::string_view> parts;
  std::string_view rest(joined);
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const auto part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (auto part : parts) (out += '/') += part;
  return out.empty() ? "/" : out;
}

std::string dirname_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string basename_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// ---- pip's configparser ----------------------------------------------------

std::string pip_normalize_name(std::string_view name) {
  auto out = ascii_lower(name);
  std::replace(out.begin(), out.end(), '_', '-');
  if (out.starts_with("--")) out.erase(0, 2);
  return out;
}

std::vector<std::string> split_whitespace(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    s.remove_prefix(leading_space(s));
    if (s.empty()) break;
    std::size_t end = 0;
    while (end < s.size() && leading_space(s.substr(end)) == 0) ++end;
    out.emplace_back(s.substr(0, end));
    s.remove_prefix(end);
  }
  return out;
}

// urllib.parse.urljoin(url, "simple") for the URLs pip defines.
std::string url_join_simple(const std::string& url) {
  const auto scheme = url.find("://");
  const auto path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos) return url + "/simple";
  return url.substr(0, url.find_last_of('/') + 1) + "simple";
}

// Moves `rest` past leading whitespace and then `token`; false, with only
// the whitespace skipped, when `token` does not follow.
bool skip_token(std::string_view& rest, std::string_view token) {
  rest.remove_prefix(leading_space(rest));
  if (!rest.starts_with(token)) return false;
  rest.remove_prefix(token.size());
  return true;
}

// A Python or JavaScript string literal at `pos` ('...', "..." or `...`),
// escapes taken literally but for \\ and the quote itself; nullopt when
// there is none.
std::optional<std::string> string_literal(std::string_view text, std::size_t& pos) {
  while (pos < text.size() && leading_space(text.substr(pos)) > 0) pos += leading_space(text.substr(pos));
  if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"' && text[pos] != '`')) return std::nullopt;
  const char quote = text[pos];
  std::string out;
  for (std::size_t i = pos + 1; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      out += text[++i];
    } else if (text[i] == quote) {
      pos = i + 1;
      return out;
    } else if (text[i] == '\n') {
      return std::nullopt;
    } else {
      out += text[i];
    }
  }
  return std::nullopt;
}

// ---- Files -------------------------------------------------------------------

std::string real_path_of(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  return real ? std::string(real.get()) : path;
}

// Each hostile place as written and where it really is (~/.cache may be a
// symbolic link to another disk).
std::vector<std::string> hostile_forms(const std::vector<std::string>& hostile) {
  std::vector<std::string> out;
  for (const auto& place : hostile) {
    out.push_back(place);
    if (auto real = real_path_of(place); real != place) out.push_back(real);
  }
  return out;
}

const std::string* hostile_place_of(const std::string& path, const std::vector<std::string>& forms) {
  for (const auto& place : forms)
    if (path_within(path, place)) return &place;
  return nullptr;
}

// `forms`: hostile_forms() of the hostile places.
bool in_hostile_place(const std::string& path, const std::vector<std::string>& forms) {
  const auto lexical = normalize_absolute(path);
  if (!lexical) return true;
  return hostile_place_of(*lexical, forms) || hostile_place_of(real_path_of(path), forms);
}

[[noreturn]] void refuse_hostile(const std::string& what, const std::string& path, const std::string& place) {
  throw Error(what + " " + path + " lies in " + place +
              ", a place a sandboxed step can write (the project or a cache shipped profiles write); airlock "
              "does not take a package manager's configuration from there to decide where a token may go");
}

// The configuration files one resolution reads, each checked against the
// hostile places before and after it is opened.
class ConfigReader {
 public:
  explicit ConfigReader(const std::vector<std::string>& hostile) : forms_(hostile_forms(hostile)) {}

  // Throws when `path` (as written, or where it leads: symbolic links are
  // followed, and the file actually opened is what is checked, so a link
  // swapped in between cannot slip through) lies in a hostile place. A file
  // that does not exist, cannot be read or is not a regular file is
  // nullopt: npm and pip skip those silently too.
  //
  // A link into a hostile place is refused, not skipped: skipping would
  // quietly drop or change a registry the user configured, and the user
  // learns of the link only from a refused connection.
  std::optional<std::string> read(const std::string& what, const std::string& path) const {
    const auto lexical = lexical_resolve("/", path);
    if (const auto* place = hostile_place_of(lexical, forms_)) refuse_hostile(what, path, *place);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return std::nullopt;
    std::array<char, 4096> link{};
    const auto proc = "/proc/self/fd/" + std::to_string(fd.get());
    const auto n = ::readlink(proc.c_str(), link.data(), link.size());
    const auto real = n > 0 && static_cast<std::size_t>(n) < link.size()
                          ? std::string(link.data(), static_cast<std::size_t>(n))
                          : real_path_of(path);
    if (const auto* place = hostile_place_of(real, forms_)) refuse_hostile(what, path + " (" + real + ")", *place);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    if (static_cast<std::size_t>(st.st_size) > kMaxConfigFile) throw Error(what + " " + path + " is too large");
    std::string text;
    std::array<char, 16384> buf{};
    while (true) {
      const auto got = ::read(fd.get(), buf.data(), buf.size());
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw SystemError("read " + path, errno);
      if (got == 0) break;
      text.append(buf.data(), static_cast<std::size_t>(got));
      if (text.size() > kMaxConfigFile) throw Error(what + " " + path + " is too large");
    }
    return text;
  }

  std::string read_required(const std::string& what, const std::string& path) const {
    auto text = read(what, path);
    if (!text) throw Error("cannot read " + what + " " + path);
    return *text;
  }

  // The path of a directory or file named by a variable or a setting: refused
  // when it is, or leads, into a hostile place, whether or not it exists.
  void check_named(const std::string& what, const std::string& path) const {
    const auto lexical = lexical_resolve("/", path);
    if (const auto* place = hostile_place_of(lexical, forms_)) refuse_hostile(what, path, *place);
    if (const auto* place = hostile_place_of(real_path_of(lexical), forms_)) refuse_hostile(what, path, *place);
  }

 private:
  std::vector<std::string> forms_;
};

// What both package managers' lookups start from.
struct Lookup {
  ConfigReader reader;
  std::string home;  // HOME, or the password database's when it is unset
  std::string cwd;   // where relative paths in settings and variables lead
  std::string path;  // the trusted PATH

  Lookup(const EnvEntries& env, const std::vector<std::string>& hostile);
};

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string working_directory() {
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  return ec ? "/" : cwd.string();
}

// HOME, or the password database's when it is unset, as npm
// (`env.HOME || os.homedir()`) and Python's expanduser do.
std::string home_from(const EnvEntries& env) {
  if (auto home = env_get(env, "HOME"); home && !home->empty()) return *home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/";
}

Lookup::Lookup(const EnvEntries& env, const std::vector<std::string>& hostile)
    : reader(hostile), home(home_from(env)), cwd(working_directory()),
      path(trusted_path(env_get(env, "PATH").value_or(""), hostile)) {
  reader.check_named("HOME", home);
}

std::string program_not_found(const std::string& program) {
  return program + " not found on PATH outside the project and the caches sandboxed steps write: airlock only "
                   "reads the configuration of a package manager installed where no step can plant one";
}

// The first `program` on the trusted PATH that `accept` takes.
template <typename Accept>
std::optional<std::string> find_on_path(const std::string& program, const std::string& path,
                                        const std::vector<std::string>& hostile, Accept accept) {
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const auto next = std::min(path.find(':', pos), path.size());
    const auto dir = path.substr(pos, next - pos);
    pos = next + 1;
    if (dir.empty()) continue;
    const auto candidate = dir + "/" + program;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(candidate.c_str(), X_OK) != 0)
      continue;
    if (in_hostile_place(candidate, hostile_forms(hostile))) continue;  // a symlink from a system directory into the project
    if (accept(candidate)) return candidate;
  }
  return std::nullopt;
}

bool is_elf(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::array<char, 4> magic{};
  return fd && ::read(fd.get(), magic.data(), magic.size()) == 4 && std::string_view(magic.data(), 4) == "\x7f" "ELF";
}

struct CloseDir {
  void operator()(DIR* dir) const noexcept { (void)::closedir(dir); }
};

std::vector<std::string> python_version_dirs(const std::string& lib) {
  std::vector<std::string> out;
  std::unique_ptr<DIR, CloseDir> dir(::opendir(lib.c_str()));
  if (!dir) return out;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string name = entry->d_name;
    if (name.starts_with("python3.")) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<RegistryAddress> addresses_of(const std::vector<std::string>& urls, const std::string& what) {
  std::vector<RegistryAddress> out;
  for (const auto& url : urls) {
    auto address = registry_address_from_url(url);
    if (!address) throw Error(what + " \"" + url + "\" is not an http(s) URL");
    const bool seen = std::any_of(out.begin(), out.end(), [&](const RegistryAddress& a) {
      return a.host == address->host && a.port == address->port;
    });
    if (!seen) out.push_back(*address);
  }
  return out;
}

// pip's index URLs, then the host the default index's files come from (on
// https), each address once.
std::vector<RegistryAddress> pip_addresses_of(const std::vector<std::string>& urls,
                                              const std::optional<std::string>& files) {
  auto out = addresses_of(urls, "pip's index");
  if (files && std::none_of(out.begin(), out.end(),
                            [&](const RegistryAddress& a) { return a.host == *files && a.port == "443"; }))
    out.push_back({*files, "443"});
  if (out.empty()) throw Error("pip's configuration names no package index");
  return out;
}

}  // namespace

// ---- Shared ------------------------------------------------------------------

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

std::optional<std::string> env_get(const EnvEntries& env, std::string_view name) {
  for (const auto& entry : env)
    if (entry.size() > name.size() && entry[name.size()] == '=' && entry.starts_with(name))
      return entry.substr(name.size() + 1);
  return std::nullopt;
}

EnvEntries caller_environment() {
  EnvEntries env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

std::vector<std::string> hostile_places(const std::string& project, const std::string& home) {
  return {project, home + "/.cache", home + "/.npm", home + "/.ccache"};
}

std::string trusted_path(const std::string& caller_path, const std::vector<std::string>& hostile) {
  const auto forms = hostile_forms(hostile);
  std::string out;
  std::size_t pos = 0;
  while (pos <= caller_path.size()) {
    const auto next = std::min(caller_path.find(':', pos), caller_path.size());
    const auto dir = caller_path.substr(pos, next - pos);
    pos = next + 1;
    // An empty entry or a relative one means the working directory.
    if (dir.empty() || !dir.starts_with('/') || in_hostile_place(dir, forms)) continue;
    out += (out.empty() ? "" : ":") + dir;
  }
  return out;
}

// ---- npm (pure) ------------------------------------------------------------

std::string npm_env_replace(std::string_view text, const EnvEntries& env) {
  // env-replace.js: /(?<!\\)(\\*)\$\{([^${}?]+)(\?)?\}/g
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const bool may_start = (text[i] == '\\' || text[i] == '$') && (i == 0 || text[i - 1] != '\\');
    if (may_start) {
      std::size_t j = i;
      while (j < text.size() && text[j] == '\\') ++j;
      const std::size_t escapes = j - i;
      if (text.substr(j, 2) == "${") {
        std::size_t k = j + 2;
        while (k < text.size() && std::string_view("${}?").find(text[k]) == std::string_view::npos) ++k;
        const auto name = text.substr(j + 2, k - j - 2);
        const bool optional = k < text.size() && text[k] == '?';
        if (optional) ++k;
        if (!name.empty() && k < text.size() && text[k] == '}') {
          const auto whole = text.substr(i, k + 1 - i);
          if (escapes % 2 == 1) {
            out += whole.substr((escapes + 1) / 2);
          } else {
            out.append(escapes / 2, '\\');
            if (auto value = env_get(env, name)) {
              out += *value;
            } else if (!optional) {
              (out += "${") += std::string(name) + "}";
            }
          }
          i = k + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

NpmLayer parse_npmrc(std::string_view text, const EnvEntries& env) {
  // ini's decode(): only the keys before the first [section] are npm
  // settings; a section replaces a setting of its name with an object.
  Ordered<std::optional<std::string>> top;
  std::set<std::string> arrays;
  std::vector<std::string> object_sections;
  bool in_section = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find_first_of("\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    const auto line = text.substr(start, end - start);
    start = end + 1;
    const auto content = line.substr(leading_space(line));
    if (content.empty() || content.front() == ';' || content.front() == '#') continue;
    if (line.front() == '[') {
      const auto close = line.find(']');
      if (close != std::string_view::npos && trim_space(line.substr(close + 1)).empty()) {
        const auto section = npm_ini_unsafe(line.substr(1, close - 1)).text;
        in_section = true;
        if (section == "__proto__") continue;
        const auto* existing = top.find(section);
        if (!existing || !*existing || (*existing)->empty()) {
          top.assign(section, std::nullopt);
          object_sections.push_back(section);
        }
        continue;
      }
    }
    if (line.front() == '=') continue;  // /^([^=]+)(=(.*))?$/ needs a key
    const auto eq = line.find('=');
    auto key = npm_ini_unsafe(line.substr(0, eq));
    if (in_section) continue;
    std::optional<std::string> value;
    if (eq != std::string_view::npos) {
      auto v = npm_ini_unsafe(line.substr(eq + 1));
      if (v.is_string && v.text != "true" && v.text != "false" && v.text != "null") value = std::move(v.text);
    }
    bool is_array = key.is_string && key.text.size() > 2 && key.text.ends_with("[]");
    if (is_array) key.text.resize(key.text.size() - 2);
    if (key.text == "__proto__") continue;
    if (is_array || arrays.contains(key.text)) {
      arrays.insert(key.text);
      top.assign(key.text, std::nullopt);
    } else {
      top.assign(key.text, std::move(value));
    }
  }
  // {"a.b": {...}} becomes {a: {b: {...}}}: "a" is then an object too.
  for (const auto& section : object_sections) {
    auto parts = ini_split_sections(section);
    const auto last = unescape_dots(parts.back());
    parts.pop_back();
    const auto first = std::find_if(parts.begin(), parts.end(), [](const std::string& p) { return p != "__proto__"; });
    if (first != parts.end()) {
      top.erase(section);
      top.assign(*first, std::nullopt);
    } else if (last != section) {
      top.erase(section);
      top.assign(last, std::nullopt);
    }
  }
  NpmLayer layer;
  for (const auto& [key, value] : top.items()) layer[npm_env_replace(key, env)] = value;
  return layer;
}

NpmLayer npm_environment_layer(const EnvEntries& env) {
  NpmLayer layer;
  std::set<std::string> seen;
  for (const auto& entry : env) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq + 1 == entry.size()) continue;
    const auto name = entry.substr(0, eq);
    if (!seen.insert(name).second) continue;  // getenv's: the first one
    if (name.size() < 11 || ascii_lower(name.substr(0, 11)) != "npm_config_") continue;
    auto key = name.substr(11);
    if (!key.starts_with("//")) {  // a nerf-darted key keeps its case and underscores
      for (std::size_t i = 1; i < key.size(); ++i)
        if (key[i] == '_') key[i] = '-';
      key = ascii_lower(key);
    }
    layer[npm_env_replace(key, env)] = entry.substr(eq + 1);
  }
  return layer;
}

std::optional<std::string> npm_string_value(const std::optional<std::string>& raw, const EnvEntries& env) {
  if (!raw) return std::nullopt;
  const auto value = trim_space(*raw);
  if (value == "true" || value == "false" || value == "null" || value == "undefined") return std::nullopt;
  return npm_env_replace(value, env);
}

std::string npm_default_registry(std::string_view js, const std::string& file) {
  // `new Definition('registry', {` (@npmcli/config) or `define('registry', {`
  // (npm 7 to 9), then its `default:`.
  for (std::size_t pos = 0; (pos = js.find("registry", pos)) != std::string_view::npos; ++pos) {
    if (pos < 2 || pos + 8 >= js.size() || (js[pos - 1] != '\'' && js[pos - 1] != '"') || js[pos + 8] != js[pos - 1])
      continue;
    auto before = js.substr(0, pos - 1);
    while (!before.empty() && (before.back() == ' ' || before.back() == '\t')) before.remove_suffix(1);
    if (!before.ends_with('(')) continue;
    auto after = js.substr(pos + 9);
    if (!skip_token(after, ",") || !skip_token(after, "{")) continue;
    const auto body_start = static_cast<std::size_t>(after.data() - js.data());
    const auto next_definition = std::min(js.find("Definition(", body_start), js.find("define(", body_start));
    const auto key = js.find("default:", body_start);
    if (key == std::string_view::npos || key > next_definition) break;
    std::size_t at = key + 8;
    if (auto url = string_literal(js, at); url && !url->empty()) return *url;
    break;
  }
  throw Error("cannot find the default of npm's `registry` setting in " + file +
              " (npm's definitions of its settings); airlock reads npm's default registry there");
}

std::vector<std::string> npm_registry_urls(const std::vector<NpmLayer>& layers, const std::string& default_registry,
                                           const EnvEntries& env) {
  std::vector<std::string> urls;
  const NpmLayer* with_registry = nullptr;
  std::map<std::string, std::optional<std::string>> scoped;
  for (const auto& layer : layers) {
    if (!with_registry && layer.contains("registry")) with_registry = &layer;
    for (const auto& [key, value] : layer)
      if (key.starts_with('@') && key.ends_with(":registry")) scoped.emplace(key, value);  // the highest layer's
  }
  if (!with_registry) {
    urls.push_back(default_registry);
  } else if (auto url = npm_string_value(with_registry->at("registry"), env)) {
    urls.push_back(*url);
  }
  for (const auto& [key, raw] : scoped)
    if (auto url = npm_string_value(raw, env)) urls.push_back(*url);
  return urls;
}

// ---- pip (pure) ------------------------------------------------------------

PipItems parse_pip_config(std::string_view text, const std::string& file) {
  // configparser.RawConfigParser, strict, ('=', ':') delimiters, '#' and ';'
  // full-line comments, indented continuation lines, empty lines in values.
  using Options = Ordered<std::vector<std::string>>;
  Options defaults;
  std::deque<std::pair<std::string, Options>> sections;  // `current` points into it
  Options* current = nullptr;
  std::string section_name;
  std::optional<std::string> option;
  std::size_t indent_level = 0;
  std::set<std::string> sections_added;
  std::set<std::pair<std::string, std::string>> options_added;
  std::optional<std::string> parse_error;
  auto fail = [&](std::size_t line, const std::string& why) {
    return Error("pip cannot read its configuration file " + file + ": line " + std::to_string(line) + ": " + why);
  };
  const auto lines = text_lines(text);
  for (std::size_t number = 1; number <= lines.size(); ++number) {
    const auto line = lines[number - 1];
    const auto stripped = trim_space(line);
    const bool comment = stripped.starts_with('#') || stripped.starts_with(';');
    const auto value = comment ? std::string_view() : stripped;
    if (value.empty()) {
      if (!comment && current && option) current->find(*option)->push_back("");
      continue;
    }
    const std::size_t indent = leading_space(line);
    if (current && option && indent > indent_level) {
      current->find(*option)->push_back(std::string(value));
      continue;
    }
    indent_level = indent;
    const auto close = value.find_last_of(']');
    if (value.front() == '[' && close != std::string_view::npos && close >= 2) {
      section_name = std::string(value.substr(1, close - 1));
      option.reset();
      auto it = std::find_if(sections.begin(), sections.end(), [&](const auto& s) { return s.first == section_name; });
      if (it != sections.end()) {
        if (sections_added.contains(section_name)) throw fail(number, "section [" + section_name + "] appears twice");
        current = &it->second;
        sections_added.insert(section_name);
      } else if (section_name == "DEFAULT") {
        current = &defaults;
      } else {
        sections.emplace_back(section_name, Options());
        current = &sections.back().second;
        sections_added.insert(section_name);
      }
      continue;
    }
    if (!current) throw fail(number, "no [section] header before it");
    const auto delimiter = value.find_first_of("=:");
    if (delimiter == std::string_view::npos) {
      if (!parse_error) parse_error = fail(number, "neither '=' nor ':' in \"" + std::string(value) + "\"").what();
      continue;
    }
    auto name = value.substr(0, delimiter);
    while (!name.empty() && leading_space(name.substr(name.size() - 1)) > 0) name.remove_suffix(1);
    if (name.empty() && !parse_error) parse_error = fail(number, "an option without a name").what();
    const auto lowered = ascii_lower(name);
    if (!options_added.insert({section_name, lowered}).second)
      throw fail(number, "option \"" + lowered + "\" appears twice in [" + section_name + "]");
    current->assign(lowered, {std::string(trim_space(value.substr(delimiter + 1)))});
    option = lowered;
  }
  if (parse_error) throw Error(*parse_error);

  auto joined = [](const std::vector<std::string>& parts) {  // '\n'.join(parts).rstrip()
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) (out += (i ? "\n" : "")) += parts[i];
    while (!out.empty() && leading_space(std::string_view(out).substr(out.size() - 1)) > 0) out.pop_back();
    return out;
  };
  Ordered<std::string> items;
  for (const auto& [name, options] : sections) {
    // parser.items(section): the defaults first, overridden by the section.
    Ordered<std::vector<std::string>> merged = defaults;
    for (const auto& [key, parts] : options.items()) merged.assign(key, parts);
    for (const auto& [key, parts] : merged.items()) items.assign(name + "." + pip_normalize_name(key), joined(parts));
  }
  return items.items();
}

PipItems pip_environment_items(const EnvEntries& env) {
  Ordered<std::string> items;
  std::set<std::string> seen;
  for (const auto& entry : env) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const auto name = entry.substr(0, eq);
    if (!seen.insert(name).second || !name.starts_with("PIP_")) continue;
    const auto lowered = ascii_lower(name.substr(4));
    if (lowered == "version" || lowered == "help") continue;
    items.assign(":env:." + pip_normalize_name(lowered), entry.substr(eq + 1));
  }
  return items.items();
}

PipDefaultIndex pip_default_index(std::string_view py, const std::string& file) {
  // PyPI = PackageIndex("URL", file_storage_domain="HOST")
  for (std::size_t pos = 0; (pos = py.find("PyPI", pos)) != std::string_view::npos; ++pos) {
    if (pos > 0 && py[pos - 1] != '\n') continue;
    auto rest = py.substr(pos + 4);
    if (!skip_token(rest, "=") || !skip_token(rest, "PackageIndex(")) continue;
    (void)skip_token(rest, "url=");
    auto at = static_cast<std::size_t>(rest.data() - py.data());
    const auto url = string_literal(py, at);
    const auto keyword = py.find("file_storage_domain", at);
    const auto call_end = py.find(')', at);
    if (!url || keyword == std::string_view::npos || keyword > call_end) break;
    auto equals = py.find('=', keyword);
    if (equals == std::string_view::npos || equals > call_end) break;
    ++equals;
    const auto host = string_literal(py, equals);
    if (!host || host->empty() || url->empty()) break;
    return {*url, *host};
  }
  throw Error("cannot find pip's default index (PyPI = PackageIndex(...)) in " + file +
              "; airlock reads pip's default index and its file host there");
}

std::pair<std::vector<std::string>, std::optional<std::string>> pip_index_urls(const std::vector<PipItems>& layers,
                                                                              const PipDefaultIndex& fallback) {
  Ordered<std::string> merged;
  for (const auto& layer : layers)
    for (const auto& [key, value] : layer) merged.assign(key, value);
  std::vector<std::string> indexes;
  bool any_index_url = false;
  for (const auto& [key, value] : merged.items()) {
    if (!key.ends_with(".index-url")) continue;
    any_index_url = true;
    auto urls = split_whitespace(value);
    indexes.insert(indexes.begin(), urls.begin(), urls.end());
  }
  for (const auto& [key, value] : merged.items()) {
    if (!key.ends_with(".extra-index-url")) continue;
    auto urls = split_whitespace(value);
    indexes.insert(indexes.end(), urls.begin(), urls.end());
  }
  if (any_index_url) return {indexes, std::nullopt};
  indexes.insert(indexes.begin(), url_join_simple(fallback.url));
  return {indexes, fallback.file_host};
}

// ---- The package managers' own answers ---------------------------------------

namespace {

nlohmann::json json_printed_by(const std::string& who, const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(who + " printed something that is not JSON: " + e.what());
  }
}

}  // namespace

std::vector<RegistryAddress> registry_addresses_from_npm_config(const std::string& json_text) {
  const auto config = json_printed_by("`npm config list --json`", json_text);
  std::vector<std::string> urls;
  if (config.contains("registry") && config["registry"].is_string()) urls.push_back(config["registry"].get<std::string>());
  for (const auto& [key, value] : config.items())
    if (key.starts_with('@') && key.ends_with(":registry") && value.is_string()) urls.push_back(value.get<std::string>());
  if (urls.empty()) throw Error("npm's configuration names no registry");
  return addresses_of(urls, "npm's registry");
}

std::vector<RegistryAddress> pip_addresses_from_json(const std::string& json_text) {
  const auto doc = json_printed_by("pip's configuration query", json_text);
  std::vector<std::string> urls;
  for (const auto& url : doc.value("indexes", nlohmann::json::array()))
    if (url.is_string()) urls.push_back(url.get<std::string>());
  std::optional<std::string> files;
  if (doc.contains("files") && doc["files"].is_string()) files = doc["files"].get<std::string>();
  return pip_addresses_of(urls, files);
}

// ---- Reading the files -------------------------------------------------------

namespace {

// npm's install directory: where the `npm` on the trusted PATH really is,
// bin/npm-cli.js in it (npm's own npmRoot: dirname(__dirname) of lib/npm.js).
std::string npm_root_of(const Lookup& lookup, const std::vector<std::string>& hostile) {
  const auto npm = find_on_path("npm", lookup.path, hostile, [](const std::string&) { return true; });
  if (!npm) throw Error(program_not_found("npm"));
  const auto npm_real = real_path_of(*npm);
  const auto root = dirname_of(dirname_of(npm_real));
  const auto package = lookup.reader.read("npm's package.json", root + "/package.json");
  const auto manifest = nlohmann::json::parse(package.value_or(""), nullptr, false);
  if (basename_of(dirname_of(npm_real)) != "bin" || !manifest.is_object() || manifest.value("name", "") != "npm")
    throw Error("cannot tell where npm is installed: " + *npm + " leads to " + npm_real +
                ", which is not the bin/ of an npm package");
  return root;
}

}  // namespace

NpmAndNode npm_installation(const EnvEntries& env, const std::vector<std::string>& hostile) {
  const Lookup lookup(env, hostile);
  NpmAndNode out;
  out.root = npm_root_of(lookup, hostile);
  const auto node = find_on_path("node", lookup.path, hostile, [](const std::string&) { return true; });
  if (!node) throw Error(program_not_found("node"));
  out.node = real_path_of(*node);
  return out;
}

std::vector<RegistryAddress> npm_registry_addresses(const EnvEntries& env, const std::vector<std::string>& hostile) {
  const Lookup lookup(env, hostile);
  const auto& reader = lookup.reader;
  const auto& home = lookup.home;
  const auto& cwd = lookup.cwd;
  const auto& path = lookup.path;

  const auto root = npm_root_of(lookup, hostile);

  // The layers in npm's order of loading (defaults, builtin, env, [project,]
  // user, global); the project's is not read.
  const auto builtin_file = root + "/npmrc";
  const NpmLayer builtin = parse_npmrc(reader.read("npm's built-in configuration", builtin_file).value_or(""), env);
  const NpmLayer environment = npm_environment_layer(env);
  // A path setting from the first layer that has it, as parseField makes it:
  // "~/" is HOME, a relative path is taken from the working directory;
  // nullopt for a value that is not a string. nullopt too when no layer
  // has it, with `unset` true.
  auto path_setting = [&](const std::string& key, std::initializer_list<const NpmLayer*> layers,
                          bool& unset) -> std::optional<std::string> {
    unset = false;
    for (const auto* layer : layers) {
      const auto it = layer->find(key);
      if (it == layer->end()) continue;
      if (!it->second) return std::nullopt;
      auto value = npm_env_replace(trim_space(*it->second), env);
      if (value.starts_with("~/")) return lexical_resolve(home, value.substr(2));
      return lexical_resolve(cwd, value);
    }
    unset = true;
    return std::nullopt;
  };

  bool unset = false;
  auto user_file = path_setting("userconfig", {&environment, &builtin}, unset);
  if (unset) user_file = lexical_resolve(home, ".npmrc");
  NpmLayer user;
  if (user_file) user = parse_npmrc(reader.read("npm's user configuration", *user_file).value_or(""), env);

  auto global_file = path_setting("globalconfig", {&environment, &user, &builtin}, unset);
  if (unset) {
    // <prefix>/etc/npmrc; prefix defaults to where node is installed
    // (dirname(dirname(process.execPath)), execPath being node's real
    // path). PREFIX and DESTDIR, which npm also honours, are not taken from
    // the caller's environment: npm was not given them here before either.
    auto prefix = path_setting("prefix", {&environment, &user, &builtin}, unset);
    if (unset) {
      const auto node = find_on_path("node", path, hostile, [](const std::string&) { return true; });
      if (!node)
        throw Error(program_not_found("node") +
                    " (npm's global configuration is <prefix>/etc/npmrc, and its prefix is where node is installed)");
      prefix = dirname_of(dirname_of(real_path_of(*node)));
    }
    if (prefix) global_file = lexical_resolve(*prefix, "etc/npmrc");
  }
  // npm refuses to load one file as two layers ("double-loading config").
  if (user_file && global_file && *user_file == *global_file)
    throw Error("npm refuses " + *user_file + " as both its user and its global configuration");
  for (const auto* file : {&user_file, &global_file})
    if (*file && **file == builtin_file)
      throw Error("npm refuses " + builtin_file + " as both its built-in and another configuration");
  NpmLayer global;
  if (global_file) global = parse_npmrc(reader.read("npm's global configuration", *global_file).value_or(""), env);

  const std::vector<NpmLayer> layers{environment, user, global, builtin};
  std::string default_registry;
  if (std::none_of(layers.begin(), layers.end(), [](const NpmLayer& l) { return l.contains("registry"); })) {
    // npm's own definitions, where it keeps the default registry.
    const std::array<std::string, 3> candidates{
        root + "/node_modules/@npmcli/config/lib/definitions/definitions.js",
        root + "/lib/utils/config/definitions.js",  // npm 7 to 9
        dirname_of(root) + "/@npmcli/config/lib/definitions/definitions.js"};  // a sibling package (Debian)
    std::optional<std::string> text;
    std::string file;
    for (const auto& candidate : candidates)
      if ((text = reader.read("npm's definitions", candidate))) {
        file = candidate;
        break;
      }
    if (!text)
      throw Error("cannot find npm's definitions of its settings (where its default registry is written): none of " +
                  candidates[0] + ", " + candidates[1] + ", " + candidates[2]);
    default_registry = npm_default_registry(*text, file);
  }
  const auto urls = npm_registry_urls(layers, default_registry, env);
  auto out = addresses_of(urls, "npm's registry");
  if (out.empty()) throw Error("npm's configuration names no registry");
  return out;
}

std::vector<RegistryAddress> pip_index_addresses(const EnvEntries& env, const std::vector<std::string>& hostile) {
  const Lookup lookup(env, hostile);
  auto absolute = [&](const std::string& p) { return p.starts_with('/') ? p : lookup.cwd + "/" + p; };
  auto expand_user = [&](const std::string& p) {
    if (p == "~" || p.starts_with("~/")) return lookup.home + p.substr(1);
    return p;
  };

  // The python3 pip runs with: the first one on the trusted PATH that is an
  // interpreter, not a launcher script (pyenv's shim picks a python by the
  // working directory's files). Its sys.prefix holds the site pip.conf.
  const auto python = find_on_path("python3", lookup.path, hostile, is_elf);
  if (!python) throw Error(program_not_found("python3") + " (pip's configuration depends on it)");
  const auto python_real = real_path_of(*python);
  std::string prefix;
  bool venv = false;
  for (const auto& dir : {dirname_of(*python), dirname_of(dirname_of(*python))})
    if (exists(dir + "/pyvenv.cfg")) {
      prefix = dir;
      venv = true;
      break;
    }
  if (!venv) prefix = dirname_of(dirname_of(python_real));

  // pip itself, for its default index: where `import pip` finds it under
  // `python3 -I` (no user site, no PYTHONPATH), Debian's places first.
  std::vector<std::string> versions;
  if (const auto name = basename_of(python_real); name.starts_with("python3.")) versions.push_back(name.substr(6));
  if (versions.empty())
    for (const auto& dir : python_version_dirs(prefix + "/lib")) versions.push_back(dir.substr(6));
  std::vector<std::string> pip_dirs;
  for (const auto& v : versions) {
    if (!venv) {
      pip_dirs.push_back(prefix + "/local/lib/python" + v + "/dist-packages/pip");
      pip_dirs.push_back(prefix + "/lib/python3/dist-packages/pip");
    }
    pip_dirs.push_back(prefix + "/lib/python" + v + "/site-packages/pip");
  }
  std::optional<PipDefaultIndex> fallback;
  for (const auto& dir : pip_dirs) {
    const auto file = dir + "/_internal/models/index.py";
    if (auto text = lookup.reader.read("pip's index definitions", file)) {
      fallback = pip_default_index(*text, file);
      break;
    }
  }
  if (!fallback)
    throw Error("pip is not installed for " + *python + " (" + python_real + "): no pip/_internal/models/index.py under " +
                prefix);

  // pip's Configuration: PIP_CONFIG_FILE (os.devnull: no files at all), the
  // global files, the user's unless PIP_CONFIG_FILE names one that exists,
  // the site file; then PIP_* variables, in OVERRIDE_ORDER.
  const auto config_file = env_get(env, "PIP_CONFIG_FILE");
  std::vector<std::string> global_files, user_files, site_files, env_files;
  if (config_file != "/dev/null") {
    auto dirs = env_get(env, "XDG_CONFIG_DIRS").value_or("");
    if (trim_space(dirs).empty()) dirs = "/etc/xdg";
    for (std::size_t pos = 0; pos <= dirs.size();) {
      const auto next = std::min(dirs.find(':', pos), dirs.size());
      global_files.push_back(absolute(expand_user(dirs.substr(pos, next - pos))) + "/pip/pip.conf");
      pos = next + 1;
    }
    global_files.push_back("/etc/pip.conf");
    if (!config_file || config_file->empty() || !exists(absolute(*config_file))) {
      auto config_home = env_get(env, "XDG_CONFIG_HOME").value_or("");
      if (trim_space(config_home).empty()) config_home = lookup.home + "/.config";
      user_files = {lookup.home + "/.pip/pip.conf", absolute(config_home) + "/pip/pip.conf"};
    }
    site_files.push_back(prefix + "/pip.conf");
    if (config_file && !config_file->empty()) env_files.push_back(absolute(*config_file));
  }
  std::vector<PipItems> layers;
  for (const auto* files : {&global_files, &user_files, &site_files, &env_files})
    for (const auto& file : *files)
      if (auto text = lookup.reader.read("pip's configuration file", file)) layers.push_back(parse_pip_config(*text, file));
  layers.push_back(pip_environment_items(env));

  const auto indexes = pip_index_urls(layers, *fallback);
  return pip_addresses_of(indexes.first, indexes.second);
}

}  // namespace airlock::policy
