// The host view hides the top-level host directories no rule covers
// (mounts.hpp, build()): unix sockets there would otherwise answer
// connect(2), which neither a read-only mount nor Landlock stops
// (integration/escapes/host_sockets.c found it).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "sandbox/mounts.hpp"

namespace airlock::mounts {
namespace {

using policy::Filesystem;
using policy::PathRule;
using policy::View;

// A fake host: `dirs` are directories (with their parents), `files` other entries.
struct FakeHost {
  std::set<std::string> dirs;
  std::set<std::string> files;

  ExistsFn exists() const {
    return [this](const std::string& path) {
      if (!path.empty() && path.back() == '/') return path == "/" || dirs.count(path.substr(0, path.size() - 1)) != 0;
      return path == "/" || dirs.count(path) != 0 || files.count(path) != 0 || path.rfind("/dev/", 0) == 0;
    };
  }
  ListFn lister() const {
    return [this](const std::string& dir) -> std::optional<std::vector<std::string>> {
      std::vector<std::string> names;
      const std::string prefix = dir == "/" ? "/" : dir + "/";
      for (const auto* set : {&dirs, &files}) {
        for (const auto& p : *set) {
          if (p.rfind(prefix, 0) == 0 && p.find('/', prefix.size()) == std::string::npos) names.push_back(p.substr(prefix.size()));
        }
      }
      return names;
    };
  }
};

FakeHost typical_host() {
  return FakeHost{{"/usr", "/etc", "/home", "/home/u", "/home/u/src", "/home/u/src/app", "/home/u/.cache", "/run",
                   "/run/user", "/var", "/var/tmp", "/srv", "/opt", "/proc", "/dev", "/tmp", "/sys", "/data"},
                  {"/vmlinuz", "/home/u/.ssh"}};
}

PathRule rule(std::string path) {
  PathRule r;
  r.path = std::move(path);
  return r;
}

std::vector<std::string> hidden_dirs(const Layout& plan) {
  std::vector<std::string> out;
  for (const Step& s : plan.steps)
    if (s.op == Op::tmpfs_ro || (s.op == Op::tmpfs && s.target != "/tmp" && s.target != "/dev/shm" && s.target != "/"))
      out.push_back(s.target);
  std::sort(out.begin(), out.end());
  return out;
}

std::ptrdiff_t index_of(const Layout& plan, Op op, const std::string& target) {
  const auto it = std::find_if(plan.steps.begin(), plan.steps.end(),
                               [&](const Step& s) { return s.op == op && s.target == target; });
  return it == plan.steps.end() ? -1 : it - plan.steps.begin();
}

Filesystem default_like() {
  Filesystem fs;
  fs.read = {rule("/usr"), rule("/etc"), rule("/opt"), rule("/proc"), rule("/dev"), rule("/tmp"), rule("/home/u/src/app")};
  fs.write = {rule("/home/u/src/app"), rule("/tmp"), rule("/dev"), rule("/home/u/.cache")};
  return fs;
}

TEST(MountsUnreached, TopLevelDirectoriesNoRuleCoversAreHidden) {
  const FakeHost host = typical_host();
  const Layout plan = build(default_like(), host.exists(), host.lister());
  // /home holds rules but is not covered whole: hidden, the rules bound back.
  const std::vector<std::string> expected = {"/data", "/home", "/run", "/srv", "/sys", "/var"};
  EXPECT_EQ(hidden_dirs(plan), expected) << describe(plan);
  EXPECT_GT(index_of(plan, Op::bind_rw, "/home/u/src/app"), index_of(plan, Op::tmpfs, "/home"));
  EXPECT_GT(index_of(plan, Op::bind_rw, "/home/u/.cache"), index_of(plan, Op::tmpfs, "/home"));
  EXPECT_GE(index_of(plan, Op::remount_ro, "/home"), 0) << "hidden once its nested binds are made";
}

TEST(MountsUnreached, CoveredSystemAndFileEntriesStay) {
  const FakeHost host = typical_host();
  const Layout plan = build(default_like(), host.exists(), host.lister());
  for (const char* kept : {"/usr", "/etc", "/opt", "/vmlinuz"}) {
    EXPECT_LT(index_of(plan, Op::tmpfs_ro, kept), 0) << kept;
    EXPECT_LT(index_of(plan, Op::tmpfs, kept), 0) << kept;
  }
  // The sandbox's own /proc, /dev and /tmp are not host directories to hide.
  EXPECT_GE(index_of(plan, Op::proc, "/proc"), 0);
  EXPECT_LT(index_of(plan, Op::tmpfs_ro, "/proc"), 0);
  EXPECT_LT(index_of(plan, Op::tmpfs_ro, "/dev"), 0);
}

TEST(MountsUnreached, AReadOfTheRootCoversEverything) {
  const FakeHost host = typical_host();
  Filesystem fs = default_like();
  fs.read.push_back(rule("/"));
  EXPECT_TRUE(hidden_dirs(build(fs, host.exists(), host.lister())).empty());
}

TEST(MountsUnreached, AReadUnderAnUnreachedDirectoryIsBoundBack) {
  const FakeHost host = typical_host();
  Filesystem fs = default_like();
  fs.read.push_back(rule("/var/tmp"));
  const Layout plan = build(fs, host.exists(), host.lister());
  EXPECT_GT(index_of(plan, Op::bind_ro, "/var/tmp"), index_of(plan, Op::tmpfs, "/var")) << describe(plan);
}

TEST(MountsUnreached, AProjectThatIsTheHomeKeepsItsOwnHides) {
  const FakeHost host = typical_host();
  Filesystem fs = default_like();
  fs.write.push_back(rule("/home/u"));
  fs.hide = {rule("/home/u/.ssh")};
  const Layout plan = build(fs, host.exists(), host.lister());
  EXPECT_GT(index_of(plan, Op::hide_file, "/home/u/.ssh"), index_of(plan, Op::bind_rw, "/home/u")) << describe(plan);
}

TEST(MountsUnreached, OnlyTheHostViewAndOnlyWithALister) {
  const FakeHost host = typical_host();
  Filesystem minimal = default_like();
  minimal.view = View::minimal;
  EXPECT_LT(index_of(build(minimal, host.exists(), host.lister()), Op::tmpfs_ro, "/run"), 0);
  EXPECT_LT(index_of(build(default_like(), host.exists()), Op::tmpfs_ro, "/run"), 0);
}

// The top of a typical merged-/usr host, as host_top_level() lists it.
TopLevelFn typical_top() {
  using K = TopEntry::Kind;
  return [] {
    return std::optional<std::vector<TopEntry>>({{"bin", K::symlink, "usr/bin"}, {"data", K::directory, ""},
                                                 {"dev", K::directory, ""}, {"etc", K::directory, ""},
                                                 {"home", K::directory, ""}, {"opt", K::directory, ""},
                                                 {"proc", K::directory, ""}, {"run", K::directory, ""},
                                                 {"sock", K::other, ""}, {"srv", K::directory, ""},
                                                 {"sys", K::directory, ""}, {"tmp", K::directory, ""},
                                                 {"usr", K::directory, ""}, {"var", K::directory, ""},
                                                 {"vmlinuz", K::file, ""}});
  };
}

// With the top level listed, the root is an empty tmpfs and the host's
// top-level entries come one by one: host mounts outside what the view
// shows (under /data, /sys, the host's /dev) are not carried in.
TEST(MountsUnreached, TheRootIsBuiltFromTheTopLevelEntries) {
  const FakeHost host = typical_host();
  const Layout plan = build(default_like(), host.exists(), host.lister(), typical_top());
  ASSERT_FALSE(plan.steps.empty());
  EXPECT_EQ(plan.steps.front(), (Step{Op::tmpfs, "/", "mode=0755", plan.steps.front().detail})) << describe(plan);
  EXPECT_LT(index_of(plan, Op::bind_ro, "/"), 0);
  for (const char* shown : {"/usr", "/etc", "/opt"}) EXPECT_GE(index_of(plan, Op::bind_ro, shown), 0) << shown;
  EXPECT_LT(index_of(plan, Op::bind_ro, "/vmlinuz"), 0) << "a file at the top no rule covers is left out";
  for (const char* hidden : {"/data", "/home", "/run", "/srv", "/sys", "/var"}) {
    EXPECT_GE(index_of(plan, Op::dir, hidden), 0) << hidden;
    EXPECT_LT(index_of(plan, Op::bind_ro, hidden), 0) << hidden;
    EXPECT_LT(index_of(plan, Op::tmpfs_ro, hidden), 0) << "an empty directory, not a mount: " << hidden;
  }
  EXPECT_GE(index_of(plan, Op::symlink, "/bin"), 0);
  EXPECT_EQ(plan.steps[static_cast<std::size_t>(index_of(plan, Op::symlink, "/bin"))].source, "usr/bin");
  EXPECT_LT(index_of(plan, Op::bind_ro, "/sock"), 0) << "a socket at the top is not bound";
  for (const char* own : {"/proc", "/dev", "/tmp"}) EXPECT_LT(index_of(plan, Op::bind_ro, own), 0) << own;
  // The project under hidden /home is bound into the empty directory, and
  // the root turns read-only once every mount is made.
  EXPECT_GT(index_of(plan, Op::bind_rw, "/home/u/src/app"), index_of(plan, Op::dir, "/home"));
  EXPECT_GT(index_of(plan, Op::remount_ro, "/"), index_of(plan, Op::bind_rw, "/home/u/src/app"));
}

// A rule through a top-level link lands where the link leads: a hide of
// /bin/x that stayed at /bin/x would be decided by the empty root and
// skipped, while /usr/bin/x stayed visible.
TEST(MountsUnreached, RulesAreReadThroughTopLevelLinks) {
  FakeHost host = typical_host();
  host.files.insert({"/usr/bin/token-helper", "/bin", "/bin/token-helper"});  // stat(2) follows the link
  Filesystem fs = default_like();
  fs.read.push_back(rule("/bin"));
  fs.hide = {rule("/bin/token-helper")};
  const Layout plan = build(fs, host.exists(), host.lister(), typical_top());
  EXPECT_GE(index_of(plan, Op::hide_file, "/usr/bin/token-helper"), 0) << describe(plan);
  EXPECT_LT(index_of(plan, Op::bind_ro, "/bin"), 0) << "/usr/bin is shown with /usr already";
  EXPECT_LT(index_of(plan, Op::bind_ro, "/usr/bin"), 0) << describe(plan);
}

TEST(MountsUnreached, ARuleOnTheRootKeepsTheHostTree) {
  const FakeHost host = typical_host();
  Filesystem fs = default_like();
  fs.read.push_back(rule("/"));
  const Layout plan = build(fs, host.exists(), host.lister(), typical_top());
  EXPECT_EQ(index_of(plan, Op::bind_ro, "/"), 0) << describe(plan);
  EXPECT_LT(index_of(plan, Op::dir, "/home"), 0);
}

TEST(MountsUnreached, DescribeSaysWhy) {
  const FakeHost host = typical_host();
  const std::string text = describe(build(default_like(), host.exists(), host.lister()));
  EXPECT_NE(text.find("/run"), std::string::npos);
  EXPECT_NE(text.find("no rule covers it"), std::string::npos) << text;
}

}  // namespace
}  // namespace airlock::mounts
