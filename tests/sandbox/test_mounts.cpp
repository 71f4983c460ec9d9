// The mount plan as data (MountsBuild) and as applied in fresh namespaces
// (MountsApply). The behaviour tests run as root and as an unprivileged user.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "namespace_harness.hpp"
#include "sandbox/mounts.hpp"
#include "sandbox/namespaces.hpp"
#include "util/error.hpp"

namespace airlock::mounts {
namespace {

using policy::Filesystem;
using policy::PathRule;
using policy::View;

// A fake host: the paths that exist, directories written with a trailing "/".
ExistsFn fake_host(std::set<std::string> entries) {
  for (const char* dev : {"null", "zero", "full", "random", "urandom", "tty"}) {
    entries.insert(std::string("/dev/") + dev);
  }
  return [entries = std::move(entries)](const std::string& path) {
    if (entries.count(path) != 0) return true;
    if (!path.empty() && path.back() == '/') return false;
    return entries.count(path + "/") != 0;
  };
}

PathRule rule(std::string path, bool optional = false, std::string file = "", unsigned line = 0,
              unsigned column = 0) {
  PathRule r;
  r.path = std::move(path);
  r.optional = optional;
  r.where.file = std::move(file);
  r.where.line = line;
  r.where.column = column;
  return r;
}

std::vector<std::string> summary(const Layout& plan) {
  std::vector<std::string> out;
  for (const Step& step : plan.steps) out.push_back(std::string(op_name(step.op)) + " " + step.target);
  return out;
}

std::ptrdiff_t index_of(const Layout& plan, Op op, const std::string& target) {
  const auto it = std::find_if(plan.steps.begin(), plan.steps.end(),
                               [&](const Step& s) { return s.op == op && s.target == target; });
  return it == plan.steps.end() ? -1 : it - plan.steps.begin();
}

bool has_step_on(const Layout& plan, const std::string& target) {
  return std::any_of(plan.steps.begin(), plan.steps.end(),
                     [&](const Step& s) { return s.target == target; });
}

const std::vector<std::string> kSystemTail = {
    "dev_node /dev/null",   "dev_node /dev/zero",  "dev_node /dev/full",  "dev_node /dev/random",
    "dev_node /dev/urandom", "dev_node /dev/tty",  "devpts /dev/pts",     "symlink /dev/ptmx",
    "tmpfs /dev/shm",       "symlink /dev/fd",     "symlink /dev/stdin",  "symlink /dev/stdout",
    "symlink /dev/stderr",
};

TEST(MountsBuild, HostViewIsTheReadOnlyHostWithPrivateTmpProcAndDev) {
  const Layout plan = build(Filesystem{}, fake_host({}));
  std::vector<std::string> expected = {"bind_ro /", "proc /proc", "tmpfs /tmp", "dev /dev"};
  expected.insert(expected.end(), kSystemTail.begin(), kSystemTail.end());
  expected.push_back("remount_ro /dev");
  EXPECT_EQ(summary(plan), expected);
  EXPECT_EQ(plan.view, View::host);
  EXPECT_EQ(plan.steps[0].source, "/");
  EXPECT_TRUE(plan.skipped.empty());
  const Step& ptmx = plan.steps[static_cast<std::size_t>(index_of(plan, Op::symlink, "/dev/ptmx"))];
  EXPECT_EQ(ptmx.source, "pts/ptmx");
  const Step& pts = plan.steps[static_cast<std::size_t>(index_of(plan, Op::devpts, "/dev/pts"))];
  EXPECT_NE(pts.source.find("ptmxmode=0666"), std::string::npos);
  EXPECT_EQ(plan.steps[static_cast<std::size_t>(index_of(plan, Op::tmpfs, "/tmp"))].source, "mode=1777");
}

TEST(MountsBuild, HostViewBindsWritePathsAndLeavesReadPathsToTheReadOnlyTree) {
  Filesystem fs;
  fs.write = {rule("/home/u/project")};
  fs.read = {rule("/usr"), rule("/home/u/project/src")};
  fs.exec = {rule("/usr/bin")};
  const Layout plan = build(fs, fake_host({"/home/u/project/", "/usr/", "/usr/bin/", "/home/u/project/src/"}));
  const auto at = index_of(plan, Op::bind_rw, "/home/u/project");
  ASSERT_GE(at, 0);
  EXPECT_EQ(plan.steps[static_cast<std::size_t>(at)].source, "/home/u/project");
  EXPECT_FALSE(has_step_on(plan, "/usr"));
  EXPECT_FALSE(has_step_on(plan, "/usr/bin"));
  EXPECT_FALSE(has_step_on(plan, "/home/u/project/src"));
}

TEST(MountsBuild, MinimalViewHoldsOnlyWhatIsListed) {
  Filesystem fs;
  fs.view = View::minimal;
  fs.read = {rule("/usr"), rule("/etc/hosts")};
  fs.exec = {rule("/usr"), rule("/opt/tool/bin")};
  fs.write = {rule("/home/u/project")};
  const Layout plan = build(fs, fake_host({"/usr/", "/etc/hosts", "/opt/tool/bin/", "/home/u/project/"}));
  std::vector<std::string> expected = {
      "tmpfs /",          "proc /proc",     "tmpfs /tmp", "dev /dev", "bind_ro /usr",
  };
  expected.insert(expected.end(), kSystemTail.begin(), kSystemTail.end());
  expected.insert(expected.end(), {"bind_ro /etc/hosts", "bind_rw /home/u/project",
                                   "bind_ro /opt/tool/bin", "remount_ro /dev", "remount_ro /"});
  EXPECT_EQ(summary(plan), expected);
  EXPECT_EQ(plan.view, View::minimal);
}

TEST(MountsBuild, APathBothReadAndWrittenIsBoundOnceWritable) {
  Filesystem fs;
  fs.view = View::minimal;
  fs.read = {rule("/data")};
  fs.write = {rule("/data")};
  const Layout plan = build(fs, fake_host({"/data/"}));
  EXPECT_GE(index_of(plan, Op::bind_rw, "/data"), 0);
  EXPECT_EQ(index_of(plan, Op::bind_ro, "/data"), -1);
}

TEST(MountsBuild, HidesADirectoryWithAnEmptyTmpfsAndAFileWithAnEmptyFile) {
  Filesystem fs;
  fs.hide = {rule("/home/u/.ssh"), rule("/home/u/.npmrc")};
  const Layout plan = build(fs, fake_host({"/home/u/.ssh/", "/home/u/.npmrc"}));
  EXPECT_GE(index_of(plan, Op::tmpfs_ro, "/home/u/.ssh"), 0);
  EXPECT_GE(index_of(plan, Op::hide_file, "/home/u/.npmrc"), 0);
  EXPECT_EQ(index_of(plan, Op::remount_ro, "/home/u/.ssh"), -1);  // already read-only
}

TEST(MountsBuild, OptionalMissingPathsAreSkippedAndRecorded) {
  Filesystem fs;
  fs.hide = {rule("/home/u/.aws", true)};
  fs.write = {rule("/home/u/.cache", true)};
  fs.read = {rule("/opt/present", true)};
  const Layout plan = build(fs, fake_host({"/opt/present/"}));
  EXPECT_EQ(plan.skipped, (std::vector<std::string>{"/home/u/.cache", "/home/u/.aws"}));
  EXPECT_FALSE(has_step_on(plan, "/home/u/.aws"));
  EXPECT_FALSE(has_step_on(plan, "/home/u/.cache"));
}

TEST(MountsBuild, MissingRequiredPathIsAnErrorNamingPathAndProfileLocation) {
  for (const char* list : {"read", "write", "exec", "hide", "devices"}) {
    Filesystem fs;
    const PathRule missing = rule("/dev/nope-or-missing", false, "profiles/npm-ci.toml", 7, 3);
    if (std::string(list) == "read") fs.read = {missing};
    if (std::string(list) == "write") fs.write = {missing};
    if (std::string(list) == "exec") fs.exec = {missing};
    if (std::string(list) == "hide") fs.hide = {missing};
    if (std::string(list) == "devices") fs.devices = {missing};
    try {
      (void)build(fs, fake_host({}));
      ADD_FAILURE() << list << ": no error";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("/dev/nope-or-missing"), std::string::npos) << message;
      EXPECT_NE(message.find("profiles/npm-ci.toml:7:3"), std::string::npos) << message;
      EXPECT_NE(message.find(std::string("filesystem.") + list), std::string::npos) << message;
    }
  }
}

TEST(MountsBuild, MalformedPathsAreErrors) {
  for (const char* bad : {"relative/path", "/a/../etc", ""}) {
    Filesystem fs;
    fs.write = {rule(bad)};
    EXPECT_THROW((void)build(fs, [](const std::string&) { return true; }), Error) << bad;
  }
}

TEST(MountsBuild, PathsAreNormalized) {
  Filesystem fs;
  fs.write = {rule("/home//u/./project/")};
  const Layout plan = build(fs, fake_host({"/home/u/project/"}));
  EXPECT_GE(index_of(plan, Op::bind_rw, "/home/u/project"), 0);
}

TEST(MountsBuild, ProjectUnderTmpIsBoundAfterThePrivateTmp) {
  Filesystem fs;
  // Listed deepest first, to show the order comes from depth, not the profile.
  fs.hide = {rule("/tmp/project/.env")};
  fs.write = {rule("/tmp/project")};
  fs.read = {rule("/tmp/shared-data")};
  const Layout plan = build(fs, fake_host({"/tmp/project/", "/tmp/project/.env", "/tmp/shared-data/"}));
  const auto tmp = index_of(plan, Op::tmpfs, "/tmp");
  const auto project = index_of(plan, Op::bind_rw, "/tmp/project");
  const auto env = index_of(plan, Op::hide_file, "/tmp/project/.env");
  // A read path under the private /tmp would vanish: in the host view it is bound.
  const auto shared = index_of(plan, Op::bind_ro, "/tmp/shared-data");
  ASSERT_GE(tmp, 0);
  EXPECT_GT(project, tmp);
  EXPECT_GT(shared, tmp);
  EXPECT_GT(env, project);
}

TEST(MountsBuild, StepsAreOrderedShallowestFirstWithRemountsLast) {
  Filesystem fs;
  fs.hide = {rule("/home/u/.config"), rule("/home/u/.config/app/token"), rule("/home/u/.ssh")};
  fs.write = {rule("/home/u/a/b/c"), rule("/home/u/a")};
  fs.read = {rule("/home/u/.config/app")};
  fs.devices = {rule("/dev/dri/renderD128")};
  const Layout plan = build(fs, fake_host({"/home/u/.config/", "/home/u/.config/app/", "/home/u/.config/app/token",
                                         "/home/u/.ssh/", "/home/u/a/", "/home/u/a/b/c/",
                                         "/dev/dri/renderD128"}));
  std::size_t previous = 0;
  bool in_remounts = false;
  for (const Step& step : plan.steps) {
    if (step.op == Op::remount_ro) {
      in_remounts = true;
      continue;
    }
    EXPECT_FALSE(in_remounts) << "mount step after a remount: " << step.target;
    const auto depth = static_cast<std::size_t>(
        step.target == "/" ? 0 : std::count(step.target.begin(), step.target.end(), '/'));
    EXPECT_GE(depth, previous) << describe(plan);
    previous = depth;
  }
  EXPECT_GE(index_of(plan, Op::dev_node, "/dev/dri/renderD128"), 0);
}

TEST(MountsBuild, ReadUnderAHiddenDirectoryIsReexposedAndItsOwnHidesKept) {
  Filesystem fs;
  fs.hide = {rule("/home/u/.config/app/token"), rule("/home/u/.config"), rule("/home/u/.config/other")};
  fs.read = {rule("/home/u/.config/app")};
  const Layout plan = build(fs, fake_host({"/home/u/.config/", "/home/u/.config/app/",
                                         "/home/u/.config/app/token", "/home/u/.config/other/"}));
  // Hidden but receiving a nested mount: writable tmpfs now, read-only at the end.
  const auto config = index_of(plan, Op::tmpfs, "/home/u/.config");
  const auto app = index_of(plan, Op::bind_ro, "/home/u/.config/app");
  const auto token = index_of(plan, Op::hide_file, "/home/u/.config/app/token");
  ASSERT_GE(config, 0) << describe(plan);
  EXPECT_GT(app, config);
  EXPECT_GT(token, app);
  EXPECT_GE(index_of(plan, Op::remount_ro, "/home/u/.config"), 0);
  // Already invisible under the hidden directory: nothing to mount on.
  EXPECT_FALSE(has_step_on(plan, "/home/u/.config/other"));
}

TEST(MountsBuild, HideUnderThePrivateTmpIsNotNeeded) {
  Filesystem fs;
  fs.hide = {rule("/tmp/secret")};
  const Layout plan = build(fs, fake_host({"/tmp/secret/"}));
  EXPECT_FALSE(has_step_on(plan, "/tmp/secret"));
}

TEST(MountsBuild, HideWinsOverAWriteOfTheSamePath) {
  Filesystem fs;
  fs.write = {rule("/home/u/.ssh")};
  fs.hide = {rule("/home/u/.ssh")};
  const Layout plan = build(fs, fake_host({"/home/u/.ssh/"}));
  EXPECT_GT(index_of(plan, Op::tmpfs_ro, "/home/u/.ssh"), index_of(plan, Op::bind_rw, "/home/u/.ssh"));
}

TEST(MountsBuild, RulesOnTmpProcAndDevBindNothingFromTheHost) {
  Filesystem fs;
  fs.write = {rule("/tmp"), rule("/dev/null"), rule("/dev/shm")};
  fs.read = {rule("/proc/self/status"), rule("/dev/urandom")};
  const Layout plan = build(fs, fake_host({"/tmp/", "/dev/shm/", "/proc/self/status"}));
  for (const Step& step : plan.steps) {
    if (step.target == "/") continue;  // the host tree itself
    EXPECT_TRUE(step.op != Op::bind_ro && step.op != Op::bind_rw) << describe(plan);
  }
}

TEST(MountsBuild, MinimalViewHidesOnlyWhatIsVisible) {
  Filesystem fs;
  fs.view = View::minimal;
  fs.read = {rule("/home/u")};
  fs.hide = {rule("/home/u/.ssh"), rule("/etc/shadow")};
  const Layout plan = build(fs, fake_host({"/home/u/", "/home/u/.ssh/", "/etc/shadow"}));
  EXPECT_GT(index_of(plan, Op::tmpfs_ro, "/home/u/.ssh"), index_of(plan, Op::bind_ro, "/home/u"));
  EXPECT_FALSE(has_step_on(plan, "/etc/shadow"));
}

TEST(MountsBuild, DevicesMustLieUnderDev) {
  Filesystem fs;
  fs.devices = {rule("/dev/fuse")};
  const Layout plan = build(fs, fake_host({"/dev/fuse"}));
  const auto at = index_of(plan, Op::dev_node, "/dev/fuse");
  ASSERT_GE(at, 0);
  EXPECT_EQ(plan.steps[static_cast<std::size_t>(at)].source, "/dev/fuse");
  fs.devices = {rule("/etc/passwd", false, "p.toml", 2, 1)};
  EXPECT_THROW((void)build(fs, fake_host({"/etc/passwd"})), Error);
}

TEST(MountsBuild, MissingStandardDevicesAreSkipped) {
  const Layout plan = build(Filesystem{}, [](const std::string& path) { return path != "/dev/tty"; });
  EXPECT_EQ(index_of(plan, Op::dev_node, "/dev/tty"), -1);
  EXPECT_EQ(plan.skipped, std::vector<std::string>{"/dev/tty"});
}

TEST(MountsBuild, TheCallersTerminalIsBoundAtDevConsoleKeepingTheOrder) {
  Filesystem fs;
  fs.write = {rule("/home/u/a/b/c")};
  Layout plan = build(fs, fake_host({"/home/u/a/b/c/"}));
  add_terminal(plan, "/dev/pts/3");
  const auto console = index_of(plan, Op::dev_node, "/dev/console");
  ASSERT_GE(console, 0);
  EXPECT_EQ(plan.steps[static_cast<std::size_t>(console)].source, "/dev/pts/3");
  EXPECT_GT(console, index_of(plan, Op::dev, "/dev"));
  EXPECT_LT(console, index_of(plan, Op::bind_rw, "/home/u/a/b/c"));
  EXPECT_LT(console, index_of(plan, Op::remount_ro, "/dev"));
  EXPECT_THROW(add_terminal(plan, "/home/u/fake-tty"), Error);
  EXPECT_THROW(add_terminal(plan, "/dev"), Error);
}

// Which Landlock rules may be added before the view exists: only where the
// view shows the host's own file, through a bind of the same host path that
// nothing placed later covers.
TEST(MountsBuild, HostIdenticalBaseIsTheIdentityBindThatShowsThePath) {
  Layout plan;
  plan.steps = {{Op::tmpfs, "/", "mode=0755", ""},
                {Op::symlink, "/bin", "usr/bin", ""},
                {Op::bind_ro, "/etc", "/etc", ""},
                {Op::bind_ro, "/srv/data", "/mnt/other", ""},
                {Op::tmpfs, "/tmp", "mode=1777", ""},
                {Op::dev_node, "/dev/null", "/dev/null", ""},
                {Op::dev_node, "/dev/console", "/dev/pts/3", ""},
                {Op::bind_rw, "/home/u/p", "/home/u/p", ""},
                {Op::bind_ro, "/home/u/p/.git", "/home/u/p/.git", ""},
                {Op::overlay, "/home/u/.cache", "/home/u/.cache", ""},
                {Op::hide_file, "/etc/shadow", "", ""},
                {Op::tmpfs_ro, "/etc/ssl/private", "mode=0555", ""},
                {Op::bind_content, "/etc/resolv.conf", "nameserver 127.0.0.1\n", ""},
                {Op::remount_ro, "/", "", ""}};
  EXPECT_EQ(host_identical_base(plan, "/etc"), "/etc");
  EXPECT_EQ(host_identical_base(plan, "/etc/hosts"), "/etc");  // remount_ro / changes flags only
  EXPECT_EQ(host_identical_base(plan, "/etc/ssl/certs"), "/etc");
  EXPECT_EQ(host_identical_base(plan, "/home/u/p/src/main.c"), "/home/u/p");
  EXPECT_EQ(host_identical_base(plan, "/home/u/p/.git/config"), "/home/u/p/.git");
  EXPECT_EQ(host_identical_base(plan, "/dev/null"), "/dev/null");
  // Something else than the host's file at that path:
  EXPECT_EQ(host_identical_base(plan, "/etc/shadow"), "");             // hidden
  EXPECT_EQ(host_identical_base(plan, "/etc/ssl/private/key.pem"), "");  // hidden directory
  EXPECT_EQ(host_identical_base(plan, "/etc/resolv.conf"), "");        // the sandbox's own content
  EXPECT_EQ(host_identical_base(plan, "/srv/data/x"), "");             // a bind of another host path
  EXPECT_EQ(host_identical_base(plan, "/dev/console"), "");            // the caller's terminal
  EXPECT_EQ(host_identical_base(plan, "/home/u/.cache/pip"), "");      // an overlay
  EXPECT_EQ(host_identical_base(plan, "/tmp/x"), "");                  // a private tmpfs
  EXPECT_EQ(host_identical_base(plan, "/bin/sh"), "");                 // the view's own root
  EXPECT_EQ(host_identical_base(plan, "/home/u"), "");
  EXPECT_EQ(host_identical_base(plan, "/etc/../root/.ssh"), "");       // ".." is the kernel's to resolve
  EXPECT_EQ(host_identical_base(Layout{}, "/etc/hosts"), "");          // no view at all
}

TEST(MountsBuild, AFileAddedUnderAHiddenDirectoryKeepsTheDirectoryHiddenAndReadOnly) {
  Filesystem fs;
  fs.hide = {rule("/run")};
  Layout plan = build(fs, fake_host({"/run/"}));
  ASSERT_GE(index_of(plan, Op::tmpfs_ro, "/run"), 0);
  add_file(plan, "/run/systemd/resolve/stub-resolv.conf", "nameserver 127.0.0.53\n", "stub");
  // Writable while the mount point is made, read-only right after.
  EXPECT_EQ(index_of(plan, Op::tmpfs_ro, "/run"), -1);
  const auto dir = index_of(plan, Op::tmpfs, "/run");
  const auto file = index_of(plan, Op::bind_content, "/run/systemd/resolve/stub-resolv.conf");
  const auto remount = index_of(plan, Op::remount_ro, "/run");
  ASSERT_GE(dir, 0);
  EXPECT_LT(dir, file);
  EXPECT_LT(file, remount);
}

TEST(MountsBuild, AFileAddedElsewhereLeavesHiddenDirectoriesAlone) {
  Filesystem fs;
  fs.hide = {rule("/run")};
  Layout plan = build(fs, fake_host({"/run/"}));
  add_file(plan, "/etc/resolv.conf", "nameserver 127.0.0.53\n", "stub");
  EXPECT_GE(index_of(plan, Op::tmpfs_ro, "/run"), 0);
  EXPECT_EQ(index_of(plan, Op::remount_ro, "/run"), -1);
  EXPECT_GE(index_of(plan, Op::bind_content, "/etc/resolv.conf"), 0);
}

TEST(MountsHost, FollowHostSymlinksResolvesRelativeAndAbsoluteLinks) {
  char tmpl[] = "/tmp/airlock-links.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ASSERT_EQ(::mkdir((dir + "/etc").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("../run/stub.conf", (dir + "/etc/resolv.conf").c_str()), 0);
  ASSERT_EQ(::symlink((dir + "/etc/resolv.conf").c_str(), (dir + "/chain").c_str()), 0);
  ASSERT_EQ(::symlink("loop2", (dir + "/loop1").c_str()), 0);
  ASSERT_EQ(::symlink("loop1", (dir + "/loop2").c_str()), 0);
  // Dangling is fine: the file is made where the link points.
  EXPECT_EQ(follow_host_symlinks(dir + "/etc/resolv.conf"), dir + "/run/stub.conf");
  EXPECT_EQ(follow_host_symlinks(dir + "/chain"), dir + "/run/stub.conf");
  EXPECT_EQ(follow_host_symlinks(dir + "/etc"), dir + "/etc");
  EXPECT_EQ(follow_host_symlinks(dir + "/missing"), dir + "/missing");
  const auto looped = follow_host_symlinks(dir + "/loop1");  // ends, whatever it names
  EXPECT_TRUE(looped == dir + "/loop1" || looped == dir + "/loop2") << looped;
  for (const char* name : {"/etc/resolv.conf", "/chain", "/loop1", "/loop2"}) ::unlink((dir + name).c_str());
  ::rmdir((dir + "/etc").c_str());
  ::rmdir(dir.c_str());
}

TEST(MountsBuild, PrivateTmpAndShmAreSizedAndNothingElse) {
  Layout plan = build(Filesystem{}, fake_host({}));
  const Layout unsized = plan;
  limit_private_tmp(plan, 8u << 20);
  ASSERT_EQ(plan.steps.size(), unsized.steps.size());
  int sized = 0;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const auto& step = plan.steps[i];
    if (step.op == Op::tmpfs && (step.target == "/tmp" || step.target == "/dev/shm")) {
      EXPECT_EQ(step.source, "mode=1777,size=8388608") << step.target;
      ++sized;
    } else {
      EXPECT_EQ(step, unsized.steps[i]) << step.target;
    }
  }
  EXPECT_EQ(sized, 2);
}

TEST(MountsBuild, DescribeListsEveryStepAndSkippedPath) {
  Filesystem fs;
  fs.write = {rule("/home/u/project", false, "profiles/x.toml", 3, 9)};
  fs.hide = {rule("/home/u/.aws", true)};
  const Layout plan = build(fs, fake_host({"/home/u/project/"}));
  const std::string text = describe(plan);
  EXPECT_NE(text.find("view: host"), std::string::npos);
  EXPECT_NE(text.find("bind_rw"), std::string::npos);
  EXPECT_NE(text.find("write (profiles/x.toml:3:9)"), std::string::npos);
  EXPECT_NE(text.find("/dev/ptmx -> pts/ptmx"), std::string::npos);
  EXPECT_NE(text.find("skipped (does not exist): /home/u/.aws"), std::string::npos);
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  EXPECT_EQ(lines, 1 + plan.steps.size() + plan.skipped.size());
}

}  // namespace
}  // namespace airlock::mounts

namespace airlock::mounts {
namespace {

// A protected path beneath a writable bind: its ancestors up to the bind
// become mount points (renaming one would move the path away), then the
// path itself read-only, all before a hide beneath them.
TEST(MountsBuild, AProtectedPathBeneathAWritableBindIsBoundReadOnlyWithItsAncestorsPinned) {
  Filesystem fs;
  fs.write = {rule("/home/u")};
  fs.protect = {rule("/home/u/.config/airlock", true)};
  fs.hide = {rule("/home/u/.config/airlock/secret", true)};
  const auto plan = build(fs, fake_host({"/home/", "/home/u/", "/home/u/.config/", "/home/u/.config/airlock/",
                                         "/home/u/.config/airlock/secret"}));
  const auto rw_home = index_of(plan, Op::bind_rw, "/home/u");
  const auto pin = index_of(plan, Op::bind_rw, "/home/u/.config");
  const auto ro = index_of(plan, Op::bind_ro, "/home/u/.config/airlock");
  const auto hidden = index_of(plan, Op::hide_file, "/home/u/.config/airlock/secret");
  ASSERT_GE(rw_home, 0);
  ASSERT_GT(pin, rw_home) << ::testing::PrintToString(summary(plan));
  ASSERT_GT(ro, pin);
  EXPECT_GT(hidden, ro);
}

// Outside a writable bind a protected path is read-only already: nothing is
// added, and a minimal view does not gain a path it would not show.
TEST(MountsBuild, AProtectedPathNothingWritesAddsNoStep) {
  Filesystem fs;
  fs.view = View::minimal;
  fs.read = {rule("/usr")};
  fs.protect = {rule("/etc/airlock", true)};
  const auto plan = build(fs, fake_host({"/usr/", "/etc/", "/etc/airlock/"}));
  EXPECT_EQ(index_of(plan, Op::bind_ro, "/etc/airlock"), -1) << ::testing::PrintToString(summary(plan));
}

TEST(MountsBuild, ReadOnlyStepsPinEveryDirectoryBetween) {
  const auto steps = read_only_steps("/a/b/c/d", "/a", "why");
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].target, "/a/b");
  EXPECT_EQ(steps[0].op, Op::bind_rw);
  EXPECT_EQ(steps[1].target, "/a/b/c");
  EXPECT_EQ(steps[2].target, "/a/b/c/d");
  EXPECT_EQ(steps[2].op, Op::bind_ro);
  EXPECT_EQ(read_only_steps("/x", "/", "why").size(), 1u);
  EXPECT_EQ(read_only_steps("/a/b", "/a/b", "why").size(), 1u);
}

TEST(MountsBuild, AnOverlayIsItsOwnStepAndNotAWritableBind) {
  Filesystem fs;
  fs.overlay = {rule("/home/u/.cache")};
  fs.read = {rule("/home/u/.cache/node-gyp")};
  fs.protect = {rule("/home/u/.cache/x")};
  Layout plan = build(fs, fake_host({"/home/", "/home/u/", "/home/u/.cache/", "/home/u/.cache/node-gyp/",
                                   "/home/u/.cache/x"}));
  const auto at = index_of(plan, Op::overlay, "/home/u/.cache");
  ASSERT_GE(at, 0) << describe(plan);
  EXPECT_EQ(plan.steps[static_cast<std::size_t>(at)].source, "/home/u/.cache");
  EXPECT_EQ(index_of(plan, Op::bind_rw, "/home/u/.cache"), -1);
  // Read through the overlay, not bound back from the host over it; a
  // protected path beneath it needs nothing (its writes are discarded).
  EXPECT_EQ(index_of(plan, Op::bind_ro, "/home/u/.cache/node-gyp"), -1) << describe(plan);
  EXPECT_EQ(index_of(plan, Op::bind_ro, "/home/u/.cache/x"), -1) << describe(plan);
  EXPECT_NE(describe(plan).find("overlay"), std::string::npos);
  EXPECT_EQ(plan.overlay_upper, "mode=0755");
  limit_private_tmp(plan, 4096);
  EXPECT_EQ(plan.overlay_upper, "mode=0755,size=4096");
}

TEST(MountsBuild, AnOverlayThatIsAlsoWrittenOrNoDirectoryIsAnError) {
  Filesystem both;
  both.overlay = {rule("/home/u/.cache", false, "p.toml", 3, 12)};
  both.write = {rule("/home/u/.cache")};
  try {
    build(both, fake_host({"/home/", "/home/u/", "/home/u/.cache/"}));
    ADD_FAILURE() << "an overlay also written was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("also in filesystem.write (p.toml:3:12)"), std::string::npos) << e.what();
  }
  Filesystem file;
  file.overlay = {rule("/home/u/.cache")};
  try {
    build(file, fake_host({"/home/", "/home/u/", "/home/u/.cache"}));
    ADD_FAILURE() << "an overlay on a file was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a directory"), std::string::npos) << e.what();
  }
  Filesystem missing;
  missing.overlay = {rule("/home/u/.ccache", true)};
  const Layout plan = build(missing, fake_host({"/home/", "/home/u/"}));
  EXPECT_EQ(index_of(plan, Op::overlay, "/home/u/.ccache"), -1);
}

}  // namespace
}  // namespace airlock::mounts
