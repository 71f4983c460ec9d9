// prepare() builds a run's whole Spec as data and changes nothing. For each
// shipped profile, the Spec it builds on one fixed machine is pinned in
// tests/golden/<profile>.spec: a change to any layer (a mount, a Landlock
// rule, a seccomp rule, a variable kept or dropped) shows up here as a
// reviewed diff, never as a silent one.
//
// The fixed machine is a small tree on a tmpfs, made in a private mount
// namespace and entered with chroot(2), so that prepare() reads exactly the
// files below (what exists, where links lead) on any host. Its caller, its
// kernel and its environment are fixed too.
//
// AIRLOCK_UPDATE_GOLDEN=1 rewrites the files instead of comparing.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../support/run_in_child.hpp"
#include "../support/temp_dir.hpp"
#include "kernel/features.hpp"
#include "policy/catalog.hpp"
#include "policy/resolve.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/spec.hpp"
#include "util/error.hpp"

namespace {

namespace fs = std::filesystem;
using namespace airlock;

const char* const kProfiles[] = {"default", "ci-step", "make-build", "node-service", "npm-build",
                                 "npm-ci",  "npm-install-script", "npm-scripts", "npm-test", "pip-install"};

// The fixed machine: a merged-/usr Debian-like root, a user with the usual
// credentials, and a project with control files at its top and below.
struct Entry {
  const char* path;
  const char* content;  // nullptr: a directory; "->target": a symbolic link
  mode_t mode = 0644;
};
const Entry kTree[] = {
    {"/usr/bin", nullptr},        {"/usr/sbin", nullptr},       {"/usr/lib", nullptr},
    {"/usr/lib64", nullptr},      {"/usr/local/bin", nullptr},  {"/usr/share", nullptr},
    {"/bin", "->usr/bin"},        {"/sbin", "->usr/sbin"},      {"/lib", "->usr/lib"},
    {"/lib64", "->usr/lib64"},    {"/etc/ssl/certs", nullptr},  {"/opt", nullptr},
    {"/srv", nullptr},            {"/root", nullptr, 0700},     {"/run/secrets", nullptr},
    {"/tmp", nullptr, 01777},     {"/var/tmp", nullptr, 01777}, {"/proc", nullptr},
    {"/dev", nullptr},            {"/sys", nullptr},
    {"/usr/bin/sh", "#!/bin/sh\n", 0755},
    {"/usr/bin/make", "#!/bin/sh\n", 0755},
    {"/usr/bin/node", "#!/bin/sh\n", 0755},
    {"/usr/bin/npm", "#!/bin/sh\n", 0755},
    {"/usr/bin/python3", "#!/bin/sh\n", 0755},
    {"/etc/passwd", "root:x:0:0::/root:/bin/sh\ndev:x:1000:1000::/home/dev:/bin/sh\n"},
    {"/etc/group", "root:x:0:\ndev:x:1000:\n"},
    {"/etc/shadow", "root:*:19000::::::\n", 0600},
    {"/etc/hosts", "127.0.0.1 localhost\n"},
    {"/etc/resolv.conf", "nameserver 10.0.0.2\n"},
    {"/run/secrets/db_password", "hunter2\n", 0600},
    {"/home/dev/.ssh/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n", 0600},
    {"/home/dev/.aws/credentials", "[default]\naws_secret_access_key = x\n", 0600},
    {"/home/dev/.npmrc", "//registry.example.test/:_authToken=npm_secret\n", 0600},
    {"/home/dev/.gitconfig", "[user]\nname = dev\n"},
    {"/home/dev/.bashrc", "export PS1='$ '\n"},
    {"/home/dev/.npm", nullptr},
    {"/home/dev/.cache", nullptr},
    {"/home/dev/project/Makefile", "all:\n\ttrue\n"},
    {"/home/dev/project/package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}\n"},
    {"/home/dev/project/.env", "API_KEY=secret\n"},
    {"/home/dev/project/.git/config", "[remote \"origin\"]\nurl = https://user:token@git.example.test/p.git\n"},
    {"/home/dev/project/.git/hooks", nullptr},
    {"/home/dev/project/src/main.c", "int main(void) { return 0; }\n"},
    {"/home/dev/project/sub/.git/config", "[core]\n"},
    {"/home/dev/project/node_modules/left-pad/package.json", "{\"name\": \"left-pad\"}\n"},
    {"/home/dev/project/data", nullptr},
};

void make_tree(const fs::path& root) {
  for (const auto& e : kTree) {
    const fs::path path = root / fs::path(e.path).relative_path();
    fs::create_directories(e.content == nullptr ? path : path.parent_path());
    if (e.content == nullptr) {
      fs::permissions(path, static_cast<fs::perms>(e.mode == 0644 ? 0755 : e.mode));
    } else if (e.content[0] == '-' && e.content[1] == '>') {
      fs::create_symlink(e.content + 2, path);
    } else {
      std::ofstream(path) << e.content;
      fs::permissions(path, static_cast<fs::perms>(e.mode));
    }
  }
  fs::permissions(root / "home/dev/project", static_cast<fs::perms>(0755));
}

// Enters a private copy of the fixed machine: a tmpfs in a mount namespace
// of our own (and a user namespace, when not root), then chroot into it.
void enter_fixed_machine(const fs::path& where) {
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  check_syscall(unshare(uid == 0 ? CLONE_NEWNS : CLONE_NEWNS | CLONE_NEWUSER), "unshare");
  if (uid != 0) {
    std::ofstream("/proc/self/setgroups") << "deny";
    std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
    std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
  }
  check_syscall(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make / private");
  check_syscall(mount("tmpfs", where.c_str(), "tmpfs", 0, "mode=0755"), "mount the fixed machine's tmpfs");
  make_tree(where);
  check_syscall(chroot(where.c_str()), "chroot");
  check_syscall(chdir("/"), "chdir");
}

kernel::Features every_feature() {
  kernel::Features f;
  for (auto* probe : {&f.user_namespaces, &f.landlock, &f.seccomp, &f.seccomp_notify, &f.handoff, &f.mount_setattr,
                      &f.overlay, &f.pid_max, &f.fresh_proc, &f.hostname})
    *probe = {true, "fixed"};
  f.landlock_abi = 7;
  return f;
}

// The Spec of `profile` for `make -j2` in the project, as describe() says it.
std::string spec_text(const std::string& profile) {
  policy::Context ctx;
  ctx.project = "/home/dev/project";
  ctx.home = "/home/dev";
  ctx.tmp = "/tmp";
  ctx.uid = 1000;
  ctx.gid = 1000;
  ctx.npm_registries = [] { return std::vector<policy::RegistryAddress>{{"registry.example.test", "443"}}; };
  ctx.pip_indexes = [] {
    return std::vector<policy::RegistryAddress>{{"index.example.test", "443"}, {"files.example.test", "443"}};
  };
  const policy::Catalog catalog({}, {}, true);
  const auto policy = policy::resolve(profile, catalog, ctx);
  const auto plan = sandbox::plan_enforcement(policy, every_feature());
  sandbox::HostState host;
  host.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/dev",  "USER=dev", "LANG=C.UTF-8",
              "TERM=xterm-256color", "NPM_TOKEN=npm_secret", "AWS_SECRET_ACCESS_KEY=x", "CI=true",
              "GITHUB_TOKEN=ghp_000000000000000000000000000000000000"};
  host.cwd = ctx.project;
  host.uid = 1000;
  host.gid = 1000;
  host.pid = 4242;
  host.open_fds = {0, 1, 2};
  host.memory_bytes = std::uint64_t{8} << 30;
  return sandbox::describe(sandbox::prepare(policy, plan, {"make", "-j2"}, host));
}

fs::path golden_path(const std::string& profile) {
  return fs::path(AIRLOCK_SOURCE_DIR) / "tests" / "golden" / (profile + ".spec");
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The first line where the two differ, for the failure message.
std::string first_difference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int n = 1;; ++n) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "no difference";
    if (!more_a || !more_b || la != lb)
      return "line " + std::to_string(n) + ":\n  golden: " + (more_a ? la : "(end)") + "\n  now:    " + (more_b ? lb : "(end)");
  }
}

class PrepareGolden : public testing::TestWithParam<const char*> {};

TEST_P(PrepareGolden, TheSpecOfEachShippedProfileIsPinned) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "the golden Specs hold x86_64's seccomp filter";
#endif
  const std::string profile = GetParam();
  test::TempDir dir;
  const auto child = test::run_in_child([&](int out) {
    enter_fixed_machine(dir.path());
    if (!test::write_all(out, spec_text(profile))) _exit(3);
  });
  ASSERT_EQ(child.exit_code, 0) << child.output;
  const auto path = golden_path(profile);
  if (const char* update = std::getenv("AIRLOCK_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    std::ofstream(path) << child.output;
    return;
  }
  const auto want = read_file(path);
  ASSERT_FALSE(want.empty()) << path << " is missing: run with AIRLOCK_UPDATE_GOLDEN=1 and review it";
  EXPECT_TRUE(want == child.output) << profile << ": prepare() built another Spec than " << path << " holds, at "
                                    << first_difference(want, child.output)
                                    << "\nIf the change is meant, run with AIRLOCK_UPDATE_GOLDEN=1 and review the diff.";
}

INSTANTIATE_TEST_SUITE_P(ShippedProfiles, PrepareGolden, testing::ValuesIn(kProfiles),
                         [](const testing::TestParamInfo<const char*>& param) {
                           std::string name = param.param;
                           for (auto& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

// prepare() leaves the host as it found it: a "+" cache rule whose directory
// is missing is not created by prepare() (make_ready_on_host() does that).
TEST(PrepareGolden, PrepareCreatesNothing) {
  test::TempDir dir;
  const auto child = test::run_in_child([&](int out) {
    enter_fixed_machine(dir.path());
    fs::remove_all("/home/dev/.npm");
    (void)spec_text("npm-ci");
    if (!test::write_all(out, fs::exists("/home/dev/.npm") ? "created" : "absent")) _exit(3);
  });
  ASSERT_EQ(child.exit_code, 0) << child.output;
  EXPECT_EQ(child.output, "absent");
}

}  // namespace
