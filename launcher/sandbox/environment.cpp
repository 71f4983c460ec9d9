#include "sandbox/environment.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "util/error.hpp"

namespace airlock::environment {
namespace {

// ---- Credential detectors --------------------------------------------------
// Hand-written scanners: each looks for a fixed prefix that vendors put on
// their tokens precisely so that scanners can find them, then checks the
// length and alphabet of what follows. The near misses they must reject
// ("ghp_short", a PATH, a proxy URL without a password) are in the tests.

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool is_alnum(char c) { return is_digit(c) || is_upper(c) || is_lower(c); }
constexpr bool is_upper_or_digit(char c) { return is_upper(c) || is_digit(c); }
constexpr bool is_word(char c) { return is_alnum(c) || c == '_'; }
constexpr bool is_base64url(char c) { return is_alnum(c) || c == '-' || c == '_'; }
constexpr bool is_alnum_or_dash(char c) { return is_alnum(c) || c == '-'; }
constexpr bool is_url_path(char c) { return is_alnum(c) || c == '/'; }
constexpr bool is_scheme(char c) { return is_alnum(c) || c == '+' || c == '.' || c == '-'; }
constexpr bool ends_authority(char c) {
  return c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

using CharClass = bool (*)(char);

std::size_t run_length(std::string_view s, CharClass cls) {
  std::size_t n = 0;
  while (n < s.size() && cls(s[n])) ++n;
  return n;
}

// Random tokens mix digits and both cases; words, paths and identifiers
// rarely do. Used where the prefix alone is too common ("sk-").
bool looks_random(std::string_view s) {
  return std::any_of(s.begin(), s.end(), is_digit) && std::any_of(s.begin(), s.end(), is_upper) &&
         std::any_of(s.begin(), s.end(), is_lower);
}

// True if `prefix` occurs in `value` at the start of a word (not preceded by
// a letter or digit) and `body_ok` accepts the text that follows it.
template <typename BodyOk>
bool any_token(std::string_view value, std::string_view prefix, BodyOk body_ok) {
  for (std::size_t at = value.find(prefix); at != std::string_view::npos;
       at = value.find(prefix, at + 1)) {
    if (at > 0 && is_alnum(value[at - 1])) continue;
    if (body_ok(value.substr(at + prefix.size()))) return true;
  }
  return false;
}

template <std::size_t N, typename BodyOk>
bool any_token(std::string_view value, const std::array<std::string_view, N>& prefixes,
               BodyOk body_ok) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view p) { return any_token(value, p, body_ok); });
}

// Classic tokens: prefix + 36 base62 characters (GitHub's "Behind GitHub's
// new authentication token formats", 2021). Fine-grained PATs are
// github_pat_ + 22 + '_' + 59 word characters.
bool github_token(std::string_view v) {
  static constexpr std::array<std::string_view, 5> kClassic = {"ghp_", "gho_", "ghu_", "ghs_",
                                                               "ghr_"};
  return any_token(v, kClassic, [](std::string_view b) { return run_length(b, is_alnum) >= 36; }) ||
         any_token(v, "github_pat_", [](std::string_view b) { return run_length(b, is_word) >= 40; });
}

// GitLab's documented token prefixes (personal, deploy, runner, CI job,
// trigger, feed, OAuth app secret, SCIM, incoming mail, agent).
bool gitlab_token(std::string_view v) {
  static constexpr std::array<std::string_view, 10> kPrefixes = {
      "glpat-", "gldt-", "glrt-", "glcbt-", "glptt-", "glft-", "gloas-", "glsoat-", "glimt-", "glagent-"};
  return any_token(v, kPrefixes, [](std::string_view b) { return run_length(b, is_base64url) >= 20; });
}

bool npm_token(std::string_view v) {
  return any_token(v, "npm_", [](std::string_view b) { return run_length(b, is_alnum) >= 36; });
}

// PyPI API tokens are macaroons whose base64 starts with the same header.
bool pypi_token(std::string_view v) {
  return any_token(v, "pypi-AgEIcHlwaS5vcmc",
                   [](std::string_view b) { return run_length(b, is_base64url) >= 20; });
}

// Access key ids are exactly 20 characters: AKIA (long-term) or ASIA
// (temporary) + 16 upper-case letters and digits.
bool aws_access_key_id(std::string_view v) {
  static constexpr std::array<std::string_view, 2> kPrefixes = {"AKIA", "ASIA"};
  return any_token(v, kPrefixes, [](std::string_view b) {
    return run_length(b, is_upper_or_digit) == 16 && (b.size() == 16 || !is_alnum(b[16]));
  });
}

bool slack_webhook(std::string_view v) {
  return any_token(v, "https://hooks.slack.com/services/",
                   [](std::string_view b) { return run_length(b, is_url_path) >= 20; });
}

// xoxb- bot, xoxp- user, xoxa-/xoxr- app and refresh, xoxo-/xoxs- legacy.
bool slack_token(std::string_view v) {
  static constexpr std::array<std::string_view, 6> kPrefixes = {"xoxa-", "xoxb-", "xoxo-",
                                                                "xoxp-", "xoxr-", "xoxs-"};
  return any_token(v, kPrefixes, [](std::string_view b) {
    const auto body = b.substr(0, run_length(b, is_alnum_or_dash));
    return body.size() >= 10 && std::any_of(body.begin(), body.end(), is_digit);
  });
}

// Secret and restricted keys, live and test, and webhook signing secrets.
// Publishable keys (pk_) are public by design and not listed.
bool stripe_key(std::string_view v) {
  static constexpr std::array<std::string_view, 4> kKeys = {"sk_live_", "rk_live_", "sk_test_",
                                                            "rk_test_"};
  return any_token(v, kKeys, [](std::string_view b) { return run_length(b, is_alnum) >= 16; }) ||
         any_token(v, "whsec_", [](std::string_view b) { return run_length(b, is_alnum) >= 24; });
}

bool google_api_key(std::string_view v) {
  return any_token(v, "AIza", [](std::string_view b) { return run_length(b, is_base64url) >= 35; });
}

// OpenAI (sk-, sk-proj-, sk-svcacct-) and Anthropic (sk-ant-) keys. "sk-" is
// a common fragment of words and paths, hence the length and mix checks.
bool sk_dash_key(std::string_view v) {
  return any_token(v, "sk-", [](std::string_view b) {
    const auto body = b.substr(0, run_length(b, is_base64url));
    return body.size() >= 32 && looks_random(body);
  });
}

// PEM and OpenSSH armour: "-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED ]PRIVATE
// KEY-----", and PGP's "-----BEGIN PGP PRIVATE KEY BLOCK-----".
bool private_key_block(std::string_view v) {
  static constexpr std::string_view kBegin = "-----BEGIN ";
  for (std::size_t at = v.find(kBegin); at != std::string_view::npos; at = v.find(kBegin, at + 1)) {
    const auto rest = v.substr(at + kBegin.size());
    const auto end = rest.find("-----");
    if (end == std::string_view::npos) return false;
    const auto label = rest.substr(0, end);
    if (label.find('\n') == std::string_view::npos &&
        label.find("PRIVATE KEY") != std::string_view::npos)
      return true;
  }
  return false;
}

// header.payload.signature, base64url; a JSON object always encodes to
// "eyJ". The signature may be empty (alg "none"), the dot may not.
bool jwt(std::string_view v) {
  return any_token(v, "eyJ", [](std::string_view b) {
    const auto header = run_length(b, is_base64url);
    if (header == 0 || header >= b.size() || b[header] != '.') return false;
    auto rest = b.substr(header + 1);
    if (!rest.starts_with("eyJ")) return false;
    rest.remove_prefix(3);
    const auto payload = run_length(rest, is_base64url);
    return payload > 0 && payload < rest.size() && rest[payload] == '.';
  });
}

// scheme://userinfo@host (RFC 3986), in any form: user:password, but also a
// token as the user name alone (https://TOKEN@host/, https://TOKEN:@host/,
// a private index in PIP_INDEX_URL), which cannot be told from a plain user
// name. The last '@' of the authority ends the userinfo, since passwords
// are often not percent-encoded.
bool url_with_userinfo(std::string_view v) {
  for (std::size_t at = v.find("://"); at != std::string_view::npos; at = v.find("://", at + 1)) {
    std::size_t scheme_start = at;
    while (scheme_start > 0 && is_scheme(v[scheme_start - 1])) --scheme_start;
    if (scheme_start == at || !(is_upper(v[scheme_start]) || is_lower(v[scheme_start]))) continue;
    auto authority = v.substr(at + 3);
    authority = authority.substr(0, static_cast<std::size_t>(
                                        std::find_if(authority.begin(), authority.end(), ends_authority) -
                                        authority.begin()));
    const auto at_sign = authority.rfind('@');
    if (at_sign == std::string_view::npos) continue;
    if (at_sign > 0) return true;
  }
  return false;
}

struct Detector {
  std::string_view kind;
  bool (*found)(std::string_view value);
};

// Most specific first: a GitHub token inside a URL is reported as a token.
constexpr std::array<Detector, 13> kDetectors = {{
    {"GitHub token", github_token},
    {"GitLab token", gitlab_token},
    {"npm token", npm_token},
    {"PyPI token", pypi_token},
    {"AWS access key id", aws_access_key_id},
    {"Slack webhook URL", slack_webhook},
    {"Slack token", slack_token},
    {"Stripe key", stripe_key},
    {"Google API key", google_api_key},
    {"OpenAI-style API key", sk_dash_key},
    {"private key", private_key_block},
    {"JWT", jwt},
    {"URL with embedded credentials", url_with_userinfo},
}};

// ---- Scrubbing --------------------------------------------------------------

bool glob_matches(const std::string& pattern, const std::string& name, int flags) {
  return ::fnmatch(pattern.c_str(), name.c_str(), flags) == 0;
}

const std::string* first_match(const std::vector<std::string>& patterns, const std::string& name,
                               int flags) {
  for (const auto& p : patterns)
    if (glob_matches(p, name, flags)) return &p;
  return nullptr;
}

void check_deny_patterns(const std::vector<std::string>& deny) {
  for (const auto& p : deny)
    if (p.starts_with("@"))
      throw Error("environment.deny still names the policy set '" + p +
                  "': it must be expanded before the environment is scrubbed");
}

void check_settable(const std::string& name, const std::string& value) {
  if (name.empty() || name.find('=') != std::string::npos || name.find('\0') != std::string::npos)
    throw Error("environment.set has an invalid variable name '" + name +
                "': names must be non-empty and contain neither '=' nor NUL");
  if (value.find('\0') != std::string::npos)
    throw Error("environment.set." + name + " contains a NUL character, which execve cannot pass");
}

// Why the variable must not reach the payload, or nullopt to keep it.
std::optional<std::string> drop_reason(const std::string& name, const std::string& value,
                                       const policy::Environment& policy) {
  const bool secret_allowed =
      std::find(policy.allow_secrets.begin(), policy.allow_secrets.end(), name) !=
      policy.allow_secrets.end();
  if (!secret_allowed) {
    if (const auto* p = first_match(policy.deny, name, FNM_CASEFOLD))
      return "secret name (matches " + *p + ")";
  }
  if (first_match(policy.keep, name, 0) == nullptr) return "not kept";
  if (!secret_allowed) {
    if (auto kind = credential_kind(value)) return "value looks like a " + *kind;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> credential_kind(std::string_view value) {
  for (const auto& d : kDetectors)
    if (d.found(value)) return std::string(d.kind);
  return std::nullopt;
}

Result scrub(const std::vector<std::string>& host_env, const policy::Environment& policy) {
  check_deny_patterns(policy.deny);
  Result result;
  std::map<std::string, std::string> kept;
  std::set<std::string> seen;
  for (const auto& entry : host_env) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      // The entry has no name to report; its text may be a secret itself.
      result.dropped.push_back({"<malformed>", "entry without NAME="});
      continue;
    }
    std::string name = entry.substr(0, eq);
    if (!seen.insert(name).second) {
      result.dropped.push_back({std::move(name), "duplicate (only the first is used)"});
      continue;
    }
    std::string value = entry.substr(eq + 1);
    if (auto reason = drop_reason(name, value, policy))
      result.dropped.push_back({std::move(name), std::move(*reason)});
    else
      kept.emplace(std::move(name), std::move(value));
  }
  for (const auto& [name, value] : policy.set) {
    check_settable(name, value);
    kept.insert_or_assign(name, value);
  }
  result.env.assign(kept.begin(), kept.end());
  return result;
}

std::vector<std::string> to_envp(const Result& result) {
  std::vector<std::string> envp;
  envp.reserve(result.env.size());
  for (const auto& [name, value] : result.env) envp.push_back(name + "=" + value);
  return envp;
}

}  // namespace airlock::environment
