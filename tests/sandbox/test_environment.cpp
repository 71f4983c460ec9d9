#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sandbox/environment.hpp"
#include "support/policy_sets.hpp"
#include "util/error.hpp"

namespace env = airlock::environment;
using airlock::policy::Environment;

namespace {

// Fake tokens are assembled at run time so that this file holds nothing a
// secret scanner would flag.
std::string base62(std::size_t n) {
  static const std::string kAlphabet = "aB3xY9kQ7mZ2pR5tW8";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += kAlphabet[i % kAlphabet.size()];
  return s;
}

std::optional<std::string> reason_for(const env::Result& r, const std::string& name) {
  for (const auto& d : r.dropped)
    if (d.name == name) return d.reason;
  return std::nullopt;
}

bool has_var(const env::Result& r, const std::string& name) {
  return std::any_of(r.env.begin(), r.env.end(), [&](const auto& kv) { return kv.first == name; });
}

std::string value_of(const env::Result& r, const std::string& name) {
  for (const auto& [k, v] : r.env)
    if (k == name) return v;
  return "<absent>";
}

}  // namespace

// ---- credential_kind ---------------------------------------------------------

struct CredentialCase {
  std::string value;
  std::optional<std::string> kind;
};

// Each detector with values it must find and near misses it must not.
TEST(EnvironmentCredentialKind, FindsCredentialsAndRejectsNearMisses) {
  const std::string kGitHub = "GitHub token";
  const std::string kUrl = "URL with embedded credentials";
  const std::vector<CredentialCase> cases = {
      // GitHub
      CredentialCase{"ghp_" + base62(36), kGitHub},
      CredentialCase{"Bearer gho_" + base62(36), kGitHub},
      CredentialCase{"ghs_" + base62(36) + "\n", kGitHub},
      CredentialCase{"github_pat_" + base62(22) + "_" + base62(59), kGitHub},
      CredentialCase{"ghp_short", std::nullopt},
      CredentialCase{"ghp_" + base62(35), std::nullopt},
      CredentialCase{"xghp_" + base62(36), std::nullopt},
      CredentialCase{"github_pat_short", std::nullopt},
      // GitLab
      CredentialCase{"glpat-" + base62(20), "GitLab token"},
      CredentialCase{"glpat-abc", std::nullopt},
      // npm
      CredentialCase{"npm_" + base62(36), "npm token"},
      CredentialCase{"npm_config_cache", std::nullopt},
      // PyPI
      CredentialCase{"pypi-AgEIcHlwaS5vcmc" + base62(60), "PyPI token"},
      CredentialCase{"pypi-simple-index", std::nullopt},
      // AWS
      CredentialCase{"AKIA" + std::string("IOSFODNN7EXAMPL1"), "AWS access key id"},
      CredentialCase{"id=ASIA" + std::string("ABCDEFGHIJ012345"), "AWS access key id"},
      CredentialCase{"AKIA" + std::string("IOSFODNN7EXAMPL"), std::nullopt},
      CredentialCase{"AKIA" + std::string("IOSFODNN7EXAMPL12"), std::nullopt},
      CredentialCase{"AKIA" + std::string("IOSFODNN7example"), std::nullopt},
      // Slack
      CredentialCase{"xoxb-" + std::string("123456789012-") + base62(24), "Slack token"},
      CredentialCase{"xoxb-short", std::nullopt},
      CredentialCase{"xoxp-abcdefghijklmnop", std::nullopt},
      CredentialCase{"https://hooks.slack.com/services/T0001/B0001/" + base62(24),
                     "Slack webhook URL"},
      CredentialCase{"https://hooks.slack.com/services/", std::nullopt},
      // Stripe
      CredentialCase{"sk_live_" + base62(24), "Stripe key"},
      CredentialCase{"rk_test_" + base62(24), "Stripe key"},
      CredentialCase{"whsec_" + base62(32), "Stripe key"},
      CredentialCase{"pk_live_" + base62(24), std::nullopt},
      CredentialCase{"sk_live_abc", std::nullopt},
      // Google
      CredentialCase{"AIza" + base62(35), "Google API key"},
      CredentialCase{"AIza" + base62(20), std::nullopt},
      // OpenAI-style
      CredentialCase{"sk-proj-" + base62(48), "OpenAI-style API key"},
      CredentialCase{"sk-ant-api03-" + base62(80), "OpenAI-style API key"},
      CredentialCase{"sk-short", std::nullopt},
      CredentialCase{"/opt/sk-some-really-long-directory-name-that-is-long", std::nullopt},
      CredentialCase{"task-" + base62(48), std::nullopt},
      // Private keys
      CredentialCase{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                     "-----END OPENSSH PRIVATE KEY-----\n",
                     "private key"},
      CredentialCase{"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n", "private key"},
      CredentialCase{"-----BEGIN PGP PRIVATE KEY BLOCK-----\n", "private key"},
      CredentialCase{"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", std::nullopt},
      CredentialCase{"-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----", std::nullopt},
      // JWT
      CredentialCase{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0." + base62(43), "JWT"},
      CredentialCase{"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "JWT"},
      CredentialCase{"eyJhbGciOiJIUzI1NiJ9", std::nullopt},
      CredentialCase{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", std::nullopt},
      CredentialCase{"eyJ.eyJ.", std::nullopt},
      // URLs with credentials
      CredentialCase{"postgres://app:s3cret@db.internal:5432/app", kUrl},
      CredentialCase{"https://x-access-token:abc@github.com/o/r.git", kUrl},
      CredentialCase{"https://:onlypassword@host/", kUrl},
      CredentialCase{"http://user:p@ss@proxy:3128", kUrl},
      CredentialCase{"http://proxy.local:3128", std::nullopt},
      // A token as the user name alone is a credential too: any userinfo is.
      CredentialCase{"https://ghx1234567890abcdefTOKEN@pypi.private.example/simple", kUrl},
      CredentialCase{"https://TOKEN:@host/", kUrl},
      CredentialCase{"ssh://git@github.com/o/r.git", kUrl},
      CredentialCase{"https://user:@host/", kUrl},
      CredentialCase{"https://@host/", std::nullopt},
      CredentialCase{"https://example.com/pkg@1.2.3", std::nullopt},
      CredentialCase{"git@github.com:org/repo.git", std::nullopt},
      CredentialCase{"http://[::1]:8080/", std::nullopt},
      // Ordinary values
      CredentialCase{"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", std::nullopt},
      CredentialCase{"en_US.UTF-8", std::nullopt}, CredentialCase{"xterm-256color", std::nullopt},
      CredentialCase{"", std::nullopt},
      CredentialCase{"123e4567-e89b-12d3-a456-426614174000", std::nullopt},
      CredentialCase{"--max-old-space-size=4096", std::nullopt}};
  for (const auto& c : cases)
    EXPECT_EQ(env::credential_kind(c.value), c.kind) << "value: " << c.value;
}

// ---- scrub -------------------------------------------------------------------

TEST(EnvironmentScrub, KeepsOnlyKeptNamesSortedByName) {
  Environment policy;
  policy.keep = {"PATH", "LC_*", "HOME"};
  const auto r = env::scrub({"PATH=/bin", "LC_ALL=C", "EDITOR=vi", "HOME=/root", "LC_CTYPE=C"}, policy);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"HOME", "/root"}, {"LC_ALL", "C"}, {"LC_CTYPE", "C"}, {"PATH", "/bin"}};
  EXPECT_EQ(r.env, expected);
  ASSERT_EQ(r.dropped.size(), 1u);
  EXPECT_EQ(r.dropped[0].name, "EDITOR");
  EXPECT_EQ(r.dropped[0].reason, "not kept");
}

TEST(EnvironmentScrub, EmptyPolicyKeepsNothing) {
  const auto r = env::scrub({"PATH=/bin", "HOME=/root"}, Environment{});
  EXPECT_TRUE(r.env.empty());
  EXPECT_EQ(r.dropped.size(), 2u);
}

TEST(EnvironmentScrub, DenyWinsOverKeepAndNamesThePattern) {
  Environment policy;
  policy.keep = {"*"};
  policy.deny = {"*_TOKEN", "AWS_*"};
  const auto r = env::scrub({"AWS_SECRET_ACCESS_KEY=x", "GITHUB_TOKEN=y", "PATH=/bin"}, policy);
  EXPECT_EQ(reason_for(r, "AWS_SECRET_ACCESS_KEY"), "secret name (matches AWS_*)");
  EXPECT_EQ(reason_for(r, "GITHUB_TOKEN"), "secret name (matches *_TOKEN)");
  EXPECT_TRUE(has_var(r, "PATH"));
  EXPECT_EQ(r.env.size(), 1u);
}

TEST(EnvironmentScrub, DenyIgnoresCase) {
  Environment policy;
  policy.keep = {"npm_config_*"};
  policy.deny = {"*TOKEN"};
  const auto r = env::scrub({"npm_config__authToken=x", "npm_config_cache=/c"}, policy);
  EXPECT_EQ(reason_for(r, "npm_config__authToken"), "secret name (matches *TOKEN)");
  EXPECT_TRUE(has_var(r, "npm_config_cache"));
}

TEST(EnvironmentScrub, KeepIsCaseSensitive) {
  Environment policy;
  policy.keep = {"PATH"};
  const auto r = env::scrub({"path=/bin"}, policy);
  EXPECT_FALSE(has_var(r, "path"));
}

TEST(EnvironmentScrub, AllowSecretsLetsExactNameThroughDenyAndValueCheck) {
  Environment policy;
  policy.keep = {"*"};
  policy.deny = {"*_TOKEN"};
  policy.allow_secrets = {"NPM_TOKEN"};
  const auto token = "npm_" + base62(36);
  const auto r = env::scrub({"NPM_TOKEN=" + token, "NODE_AUTH_TOKEN=" + token}, policy);
  EXPECT_EQ(value_of(r, "NPM_TOKEN"), token);
  EXPECT_EQ(reason_for(r, "NODE_AUTH_TOKEN"), "secret name (matches *_TOKEN)");
}

TEST(EnvironmentScrub, AllowSecretsDoesNotImplyKeep) {
  Environment policy;
  policy.keep = {"PATH"};
  policy.allow_secrets = {"NPM_TOKEN"};
  const auto r = env::scrub({"NPM_TOKEN=x"}, policy);
  EXPECT_EQ(reason_for(r, "NPM_TOKEN"), "not kept");
}

TEST(EnvironmentScrub, DropsKeptVariableWhoseValueIsACredentialWithoutLeakingIt) {
  Environment policy;
  policy.keep = {"*"};
  const auto token = "ghp_" + base62(36);
  const auto r = env::scrub({"BUILD_NOTE=" + token, "PATH=/bin"}, policy);
  EXPECT_EQ(reason_for(r, "BUILD_NOTE"), "value looks like a GitHub token");
  EXPECT_FALSE(has_var(r, "BUILD_NOTE"));
  for (const auto& d : r.dropped) {
    EXPECT_EQ(d.name.find(token), std::string::npos);
    EXPECT_EQ(d.reason.find(token), std::string::npos);
  }
}

TEST(EnvironmentScrub, SetOverridesAndIsNeverDropped) {
  Environment policy;
  policy.keep = {"NODE_ENV"};
  policy.deny = {"*_TOKEN"};
  const auto jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0." + base62(43);
  policy.set = {{"NODE_ENV", "production"}, {"MY_TOKEN", jwt}};
  const auto r = env::scrub({"NODE_ENV=development"}, policy);
  EXPECT_EQ(value_of(r, "NODE_ENV"), "production");
  EXPECT_EQ(value_of(r, "MY_TOKEN"), jwt);
  EXPECT_TRUE(r.dropped.empty());
}

TEST(EnvironmentScrub, FirstOfDuplicateNamesWins) {
  Environment policy;
  policy.keep = {"A"};
  const auto r = env::scrub({"A=first", "A=second"}, policy);
  EXPECT_EQ(value_of(r, "A"), "first");
  EXPECT_EQ(reason_for(r, "A"), "duplicate (only the first is used)");
}

TEST(EnvironmentScrub, MalformedEntriesAreDroppedWithoutTheirText) {
  Environment policy;
  policy.keep = {"*"};
  const auto r = env::scrub({"no-equals-sign-secret", "=value", "A=1=2"}, policy);
  EXPECT_EQ(value_of(r, "A"), "1=2");
  ASSERT_EQ(r.dropped.size(), 2u);
  for (const auto& d : r.dropped) EXPECT_EQ(d.name, "<malformed>");
}

TEST(EnvironmentScrub, RefusesUnexpandedPolicySet) {
  Environment policy;
  policy.keep = {"*"};
  policy.deny = {"@secret-names"};
  try {
    (void)env::scrub({"PATH=/bin"}, policy);
    FAIL() << "expected airlock::Error";
  } catch (const airlock::Error& e) {
    EXPECT_NE(std::string(e.what()).find("@secret-names"), std::string::npos);
  }
}

TEST(EnvironmentScrub, RefusesSetEntriesExecveCannotPass) {
  Environment bad_name;
  bad_name.set = {{"A=B", "x"}};
  EXPECT_THROW((void)env::scrub({}, bad_name), airlock::Error);
  Environment empty_name;
  empty_name.set = {{"", "x"}};
  EXPECT_THROW((void)env::scrub({}, empty_name), airlock::Error);
  Environment nul_value;
  nul_value.set = {{"A", std::string("x\0y", 3)}};
  EXPECT_THROW((void)env::scrub({}, nul_value), airlock::Error);
}

TEST(EnvironmentScrub, ToEnvpJoinsNameAndValue) {
  Environment policy;
  policy.keep = {"*"};
  policy.set = {{"B", "2=3"}};
  const auto r = env::scrub({"A=1", "C="}, policy);
  EXPECT_EQ(env::to_envp(r), (std::vector<std::string>{"A=1", "B=2=3", "C="}));
}

// ---- policies/secrets.toml -------------------------------------------------

namespace {

const airlock::test::PolicySet& secrets_set(const std::string& set) {
  static const auto file = airlock::test::read_policy_sets(AIRLOCK_SOURCE_DIR "/policies/secrets.toml");
  return file.at(set);
}

std::vector<std::string> set_entries(const std::string& set) { return secrets_set(set).entries; }

}  // namespace

TEST(EnvironmentSecretsPolicy, SetsHaveTheFormatTheProfileEngineReads) {
  const std::vector<std::pair<std::string, std::string>> sets = {
      {"secret-names", "names"}, {"secret-files", "paths"}, {"shell-startup", "paths"}};
  for (const auto& [set, kind] : sets) {
    SCOPED_TRACE(set);
    EXPECT_EQ(secrets_set(set).kind, kind);
    EXPECT_FALSE(secrets_set(set).description.empty());
    EXPECT_FALSE(set_entries(set).empty());
  }
}

TEST(EnvironmentSecretsPolicy, EveryPathIsOptionalAndAbsolute) {
  for (const auto* set : {"secret-files", "shell-startup"}) {
    for (const auto& p : set_entries(set)) {
      EXPECT_TRUE(p.starts_with("?${home}/") || p.starts_with("?/")) << set << ": " << p;
    }
  }
  const auto files = set_entries("secret-files");
  for (const auto* must : {"?${home}/.npmrc", "?${home}/.ssh", "?${home}/.aws", "?/run/secrets",
                           "?/var/run/docker.sock", "?${home}/.git-credentials"}) {
    EXPECT_NE(std::find(files.begin(), files.end(), must), files.end()) << must;
  }
}

TEST(EnvironmentSecretsPolicy, SecretNamesDropRealWorldSecretsAndKeepOrdinaryVariables) {
  Environment policy;
  policy.keep = {"*"};
  policy.deny = set_entries("secret-names");

  const std::vector<std::string> secrets = {
      "GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_PAT", "ACTIONS_RUNTIME_TOKEN",
      "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_CACHE_URL",
      "CI_JOB_TOKEN", "CI_JOB_JWT", "CI_JOB_JWT_V2", "CI_REGISTRY_PASSWORD", "CI_DEPLOY_PASSWORD",
      "CI_REPOSITORY_URL", "GITLAB_TOKEN", "GITLAB_PRIVATE_TOKEN", "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AZURE_CLIENT_SECRET",
      "AZURE_CLIENT_ID", "ARM_CLIENT_SECRET", "GOOGLE_APPLICATION_CREDENTIALS",
      "GOOGLE_GHA_CREDS_PATH", "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", "GCP_SA_KEY",
      "GCLOUD_KEYFILE_JSON", "VAULT_TOKEN", "NODE_AUTH_TOKEN", "NPM_TOKEN",
      "npm_config__authToken", "npm_config__auth", "npm_config_//registry.example.org/:_authToken",
      "npm_config_//npm.pkg.github.com/:username",
      "NPM_CONFIG__PASSWORD", "YARN_NPM_AUTH_TOKEN", "TWINE_PASSWORD", "PYPI_API_TOKEN",
      "CARGO_REGISTRY_TOKEN", "GEM_HOST_API_KEY", "NUGET_API_KEY", "SONAR_TOKEN", "CODECOV_TOKEN",
      "SNYK_TOKEN", "SENTRY_AUTH_TOKEN", "DOCKER_PASSWORD", "DOCKER_AUTH_CONFIG", "DOCKERHUB_TOKEN",
      "KUBECONFIG", "SSH_AUTH_SOCK", "SSH_PRIVATE_KEY", "GPG_PRIVATE_KEY", "GPG_PASSPHRASE",
      "GPG_AGENT_INFO", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HF_TOKEN", "SLACK_BOT_TOKEN",
      "SLACK_WEBHOOK_URL", "STRIPE_SECRET_KEY", "STRIPE_API_KEY", "DATADOG_API_KEY", "DD_APP_KEY",
      "HEROKU_API_KEY", "DIGITALOCEAN_ACCESS_TOKEN", "CLOUDFLARE_API_TOKEN",
      "TF_TOKEN_app_terraform_io", "PGPASSWORD", "MYSQL_PWD", "DB_PASS", "REDIS_PASSWORD",
      "SECRET_KEY_BASE", "RAILS_MASTER_KEY", "DJANGO_SECRET_KEY", "JWT_SECRET",
      "ORG_GRADLE_PROJECT_signingKey", "ANDROID_KEYSTORE_PASSWORD", "MATCH_PASSWORD",
      "GIT_ASKPASS", "SSH_ASKPASS", "KRB5CCNAME", "RABBITMQ_ERLANG_COOKIE",
      "AZURE_STORAGE_CONNECTION_STRING", "APPLICATIONINSIGHTS_CONNECTION_STRING",
      "HOMEBREW_GITHUB_API_TOKEN", "BUILDKITE_AGENT_ACCESS_TOKEN", "CIRCLE_TOKEN",
      "SYSTEM_ACCESSTOKEN", "NETLIFY_AUTH_TOKEN", "VERCEL_TOKEN", "FIREBASE_TOKEN", "EXPO_TOKEN",
      "NGROK_AUTHTOKEN", "BASIC_AUTH", "OS_PASSWORD", "CONSUL_HTTP_TOKEN", "ALGOLIA_ADMIN_KEY"};
  const std::vector<std::string> ordinary = {
      "PATH", "HOME", "LANG", "LC_ALL", "TERM", "TZ", "CI", "USER", "SHELL", "PWD", "OLDPWD",
      "TMPDIR", "HOSTNAME", "npm_config_cache", "npm_config_registry", "npm_config_user_agent",
      "NODE_ENV", "NODE_OPTIONS", "GITHUB_ACTIONS", "GITHUB_WORKSPACE", "GITHUB_SHA", "GITHUB_REF",
      "RUNNER_OS", "CI_COMMIT_SHA", "CI_PROJECT_DIR", "KEYBOARD_LAYOUT", "XKB_DEFAULT_LAYOUT",
      "MAKEFLAGS", "JAVA_HOME", "GOPATH", "PYTHONPATH", "PKG_CONFIG_PATH", "LD_LIBRARY_PATH",
      "TOKENIZERS_PARALLELISM", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "DBUS_SESSION_BUS_ADDRESS",
      "XDG_SESSION_TYPE", "XDG_RUNTIME_DIR", "HTTPS_PROXY", "NO_PROXY", "CARGO_HOME",
      "RUSTUP_HOME", "PUPPETEER_SKIP_DOWNLOAD", "HOMEBREW_NO_AUTO_UPDATE", "DEBIAN_FRONTEND",
      "SOURCE_DATE_EPOCH", "KEYTIMEOUT"};

  std::vector<std::string> host;
  for (const auto& n : secrets) host.push_back(n + "=placeholder");
  for (const auto& n : ordinary) host.push_back(n + "=placeholder");
  const auto r = env::scrub(host, policy);
  for (const auto& n : secrets) {
    const auto reason = reason_for(r, n);
    EXPECT_TRUE(reason && reason->starts_with("secret name")) << n << " was not dropped";
  }
  for (const auto& n : ordinary) {
    EXPECT_TRUE(has_var(r, n)) << n << " was dropped: " << reason_for(r, n).value_or("?");
  }
}
