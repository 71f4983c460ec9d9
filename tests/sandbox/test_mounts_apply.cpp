// Mount plans applied in fresh namespaces (MountsApply). Each test builds a
// plan from fixtures in a temporary directory under /var/tmp (not /tmp: the
// sandbox's /tmp is private), applies it as PID 1 of new namespaces in a
// forked process and checks what that process saw. Run as root and as an
// unprivileged user (uid 65534); both must pass.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <set>
#include <string>
#include <vector>

#include "namespace_harness.hpp"
#include "sandbox/mounts.hpp"
#include "util/error.hpp"

namespace airlock::mounts {
namespace {

using airlock::testing::errno_name;
using airlock::testing::run_in_new_namespaces;
using airlock::testing::SandboxRun;
using airlock::testing::slurp;
using airlock::testing::TempDir;
using policy::Filesystem;
using policy::PathRule;
using policy::View;

// ---- probes run inside the sandbox; each returns "ok", a value, or an errno name

std::string create_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return errno_name(errno);
  ::close(fd);
  return "ok";
}

std::string make_dir(const std::string& path) {
  return ::mkdir(path.c_str(), 0755) == 0 ? "ok" : errno_name(errno);
}

std::string open_for_write(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_name(errno);
  ::close(fd);
  return "ok";
}

std::string listing(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return "error:" + errno_name(errno);
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

std::string present(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? "yes" : errno_name(errno);
}

std::string contents(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "error:" + errno_name(errno);
  ::close(fd);
  return slurp(path);
}

std::string mount_flags(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return errno_name(errno);
  return (fs.f_flag & ST_RDONLY) != 0 ? "ro" : "rw";
}

std::string mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_name(errno);
  char octal[8];
  std::snprintf(octal, sizeof octal, "%o", st.st_mode & 07777);
  return octal;
}

std::string numeric_proc_entries() {
  std::string out;
  for (const std::string& name : [] {
         std::vector<std::string> all;
         DIR* dir = ::opendir("/proc");
         if (dir == nullptr) return all;
         while (const dirent* entry = ::readdir(dir)) all.push_back(entry->d_name);
         ::closedir(dir);
         return all;
       }()) {
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) out += (out.empty() ? "" : ",") + name;
  }
  return out;
}

std::string read_link(const std::string& path) {
  char buffer[PATH_MAX];
  const ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
  return n < 0 ? "error:" + errno_name(errno) : std::string(buffer, static_cast<std::size_t>(n));
}

std::string zero_bytes_from_dev_zero() {
  const int fd = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_name(errno);
  char bytes[4] = {1, 1, 1, 1};
  const ssize_t n = ::read(fd, bytes, sizeof bytes);
  ::close(fd);
  return n == 4 && std::all_of(bytes, bytes + 4, [](char c) { return c == 0; }) ? "zeros" : "not zeros";
}

// Opens a pty pair through /dev/ptmx -> pts/ptmx of the private instance.
std::string pty_pair() {
  const int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return "ptmx:" + errno_name(errno);
  std::string result;
  const char* name = ::ptsname(master);
  if (name == nullptr || ::unlockpt(master) != 0) {
    result = "ptsname/unlockpt:" + errno_name(errno);
  } else {
    const int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    result = slave < 0 ? std::string(name) + ":" + errno_name(errno) : std::string("ok:") + name;
    if (slave >= 0) ::close(slave);
  }
  ::close(master);
  return result;
}

// ---- fixtures

PathRule rule(std::string path) {
  PathRule r;
  r.path = std::move(path);
  return r;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  check_syscall(::chmod(path.c_str(), 0644), "chmod " + path);
}

void make_fixture_dir(const std::string& path) { check_syscall(::mkdir(path.c_str(), 0755), "mkdir " + path); }

// project/ (written), other/readme (only in the read-only host tree),
// secret_dir/key and secret_file (hidden).
struct Fixture {
  TempDir dir{"/var/tmp"};
  Fixture() {
    make_fixture_dir(dir / "project");
    make_fixture_dir(dir / "other");
    write_text(dir / "other/readme", "hello");
    make_fixture_dir(dir / "secret_dir");
    write_text(dir / "secret_dir/key", "KEY");
    write_text(dir / "secret_file", "TOKEN");
  }
};

std::string basename_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

std::string expected_dev_listing() {
  std::set<std::string> names = {"fd", "pts", "ptmx", "shm", "stdin", "stdout", "stderr"};
  for (const char* dev : {"null", "zero", "full", "random", "urandom", "tty"}) {
    if (host_path_exists(std::string("/dev/") + dev)) names.insert(dev);
  }
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

// Runs `probe` after applying `plan` in fresh namespaces; checks that nothing
// stayed mounted on the host.
SandboxRun run_with_plan(const Layout& plan, const std::function<void(std::string&)>& probe) {
  const std::string mounts_before = slurp("/proc/self/mountinfo");
  SandboxRun run = run_in_new_namespaces([&](std::string& out) {
    apply(plan);
    probe(out);
    return 0;
  });
  EXPECT_EQ(slurp("/proc/self/mountinfo"), mounts_before) << "a mount leaked to the host";
  return run;
}

TEST(MountsApply, HostViewIsReadOnlyWithWritableBindsHiddenSecretsAndPrivateTmpProcDev) {
  Fixture fx;
  const std::string written_in_tmp = "airlock-private-" + std::to_string(::getpid());
  Filesystem fs;
  fs.write = {rule(fx.dir / "project")};
  fs.hide = {rule(fx.dir / "secret_dir"), rule(fx.dir / "secret_file")};
  const Layout plan = build(fs, host_path_exists);

  const SandboxRun run = run_with_plan(plan, [&](std::string& out) {
    out += "pid=" + std::to_string(::getpid()) + "\n";
    out += "cwd=" + std::filesystem::current_path().string() + "\n";
    out += "write_project=" + create_file(fx.dir / "project/made-inside") + "\n";
    out += "write_other=" + create_file(fx.dir / "other/made-inside") + "\n";
    out += "read_other=" + contents(fx.dir / "other/readme") + "\n";
    out += "mkdir_root=" + make_dir("/airlock-made-inside") + "\n";
    out += "secret_dir=" + listing(fx.dir / "secret_dir") + "\n";
    out += "secret_file=" + contents(fx.dir / "secret_file") + "\n";
    out += "write_secret_file=" + open_for_write(fx.dir / "secret_file") + "\n";
    out += "tmp=" + listing("/tmp") + "\n";
    out += "write_tmp=" + create_file("/tmp/" + written_in_tmp) + "\n";
    out += "proc=" + numeric_proc_entries() + "\n";
    out += "proc_self=" + read_link("/proc/self") + "\n";
    out += "proc_sys=" + mount_flags("/proc/sys") + "\n";
    out += "proc_mount=" + mount_flags("/proc") + "\n";
    out += "write_sysctl=" + open_for_write("/proc/sys/kernel/hostname") + "\n";
    out += "dev=" + listing("/dev") + "\n";
    out += "dev_null=" + open_for_write("/dev/null") + "\n";
    out += "dev_zero=" + zero_bytes_from_dev_zero() + "\n";
    out += "pty=" + pty_pair() + "\n";
    out += "dev_fd=" + read_link("/dev/fd") + "\n";
    out += "create_in_dev=" + create_file("/dev/airlock") + "\n";
    out += "create_in_shm=" + create_file("/dev/shm/airlock") + "\n";
    out += "kmsg=" + present("/dev/kmsg") + "\n";
    out += "oldroot=" + present("/oldroot") + "\n";
    out += "newroot=" + present("/newroot") + "\n";
    const std::string mountinfo = slurp("/proc/self/mountinfo");
    out += "mountinfo_mentions_oldroot=" + std::string(mountinfo.find("oldroot") != std::string::npos ? "yes" : "no") +
           "\n";
  });

  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["pid"], "1");
  EXPECT_EQ(v["cwd"], "/");
  EXPECT_EQ(v["write_project"], "ok");
  EXPECT_EQ(v["write_other"], "EROFS");
  EXPECT_EQ(v["read_other"], "hello");
  EXPECT_EQ(v["mkdir_root"], "EROFS");
  EXPECT_EQ(v["secret_dir"], "");
  EXPECT_EQ(v["secret_file"], "");
  EXPECT_NE(v["write_secret_file"], "ok");
  EXPECT_EQ(v["tmp"], "");
  EXPECT_EQ(v["write_tmp"], "ok");
  EXPECT_EQ(v["proc"], "1");
  EXPECT_EQ(v["proc_self"], "1");
  EXPECT_EQ(v["proc_sys"], "ro");
  EXPECT_EQ(v["proc_mount"], "rw");
  EXPECT_NE(v["write_sysctl"], "ok");
  EXPECT_EQ(v["dev"], expected_dev_listing());
  EXPECT_EQ(v["dev_null"], "ok");
  EXPECT_EQ(v["dev_zero"], "zeros");
  EXPECT_EQ(v["pty"], "ok:/dev/pts/0");
  EXPECT_EQ(v["dev_fd"], "/proc/self/fd");
  EXPECT_EQ(v["create_in_dev"], "EROFS");
  EXPECT_EQ(v["create_in_shm"], "ok");
  EXPECT_EQ(v["kmsg"], "ENOENT");
  EXPECT_EQ(v["oldroot"], "ENOENT");
  EXPECT_EQ(v["newroot"], "ENOENT");
  EXPECT_EQ(v["mountinfo_mentions_oldroot"], "no");

  // The writable bind reached the host; nothing else did.
  EXPECT_EQ(present(fx.dir / "project/made-inside"), "yes");
  EXPECT_EQ(present(fx.dir / "other/made-inside"), "ENOENT");
  EXPECT_EQ(present("/airlock-made-inside"), "ENOENT");
  EXPECT_EQ(present("/tmp/" + written_in_tmp), "ENOENT");
  EXPECT_EQ(slurp(fx.dir / "secret_file"), "TOKEN");
  // Should the host root have been writable, leave the host as it was.
  if (present("/airlock-made-inside") == "yes") (void)::rmdir("/airlock-made-inside");
  if (present("/tmp/" + written_in_tmp) == "yes") (void)::unlink(("/tmp/" + written_in_tmp).c_str());
}

TEST(MountsApply, MinimalViewShowsOnlyListedPathsUnderAReadOnlyRoot) {
  Fixture fx;
  Filesystem fs;
  fs.view = View::minimal;
  fs.read = {rule(fx.dir / "other"), rule(fx.dir / "secret_file")};
  fs.write = {rule(fx.dir / "project")};
  const Layout plan = build(fs, host_path_exists);

  // Mount points made in the empty root stay traversable whatever the umask.
  const mode_t umask_before = ::umask(077);
  const SandboxRun run = run_with_plan(plan, [&](std::string& out) {
    out += "var_mode=" + mode_of("/var") + "\n";
    out += "root=" + listing("/") + "\n";
    out += "var_tmp=" + listing("/var/tmp") + "\n";
    out += "fixture=" + listing(fx.dir.path()) + "\n";
    out += "read_other=" + contents(fx.dir / "other/readme") + "\n";
    out += "read_file=" + contents(fx.dir / "secret_file") + "\n";
    out += "write_other=" + create_file(fx.dir / "other/made-inside") + "\n";
    out += "write_project=" + create_file(fx.dir / "project/made-inside") + "\n";
    out += "mkdir_root=" + make_dir("/airlock-made-inside") + "\n";
    out += "etc=" + present("/etc") + "\n";
    out += "dev_null=" + open_for_write("/dev/null") + "\n";
    out += "proc=" + numeric_proc_entries() + "\n";
    out += "write_tmp=" + create_file("/tmp/x") + "\n";
  });
  ::umask(umask_before);

  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["root"], "dev,proc,tmp,var");
  EXPECT_EQ(v["var_mode"], "755");
  EXPECT_EQ(v["var_tmp"], basename_of(fx.dir.path()));
  EXPECT_EQ(v["fixture"], "other,project,secret_file");
  EXPECT_EQ(v["read_other"], "hello");
  EXPECT_EQ(v["read_file"], "TOKEN");
  EXPECT_EQ(v["write_other"], "EROFS");
  EXPECT_EQ(v["write_project"], "ok");
  EXPECT_EQ(v["mkdir_root"], "EROFS");
  EXPECT_EQ(v["etc"], "ENOENT");
  EXPECT_EQ(v["dev_null"], "ok");
  EXPECT_EQ(v["proc"], "1");
  EXPECT_EQ(v["write_tmp"], "ok");
  EXPECT_EQ(present(fx.dir / "project/made-inside"), "yes");
}

TEST(MountsApply, APathReadUnderAHiddenDirectoryIsShownAndTheRestStaysHidden) {
  Fixture fx;
  make_fixture_dir(fx.dir / "secret_dir/public");
  write_text(fx.dir / "secret_dir/public/notes", "public");
  Filesystem fs;
  fs.hide = {rule(fx.dir / "secret_dir")};
  fs.read = {rule(fx.dir / "secret_dir/public")};
  const Layout plan = build(fs, host_path_exists);

  const SandboxRun run = run_with_plan(plan, [&](std::string& out) {
    out += "secret_dir=" + listing(fx.dir / "secret_dir") + "\n";
    out += "notes=" + contents(fx.dir / "secret_dir/public/notes") + "\n";
    out += "key=" + contents(fx.dir / "secret_dir/key") + "\n";
    out += "create_in_hidden=" + create_file(fx.dir / "secret_dir/new") + "\n";
  });

  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["secret_dir"], "public");
  EXPECT_EQ(v["notes"], "public");
  EXPECT_EQ(v["key"], "error:ENOENT");
  EXPECT_EQ(v["create_in_hidden"], "EROFS");
}

TEST(MountsApply, ProjectUnderTmpStaysVisibleInThePrivateTmp) {
  TempDir project_parent("/tmp");
  const std::string project = project_parent / "project";
  make_fixture_dir(project);
  write_text(project + "/package.json", "{}");
  Filesystem fs;
  fs.write = {rule(project)};
  const Layout plan = build(fs, host_path_exists);

  const SandboxRun run = run_with_plan(plan, [&](std::string& out) {
    out += "tmp=" + listing("/tmp") + "\n";
    out += "project=" + listing(project) + "\n";
    out += "write_project=" + create_file(project + "/made-inside") + "\n";
    out += "write_beside=" + create_file(project_parent / "beside") + "\n";
  });

  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["tmp"], basename_of(project_parent.path()));
  EXPECT_EQ(v["project"], "package.json");
  EXPECT_EQ(v["write_project"], "ok");
  EXPECT_EQ(v["write_beside"], "ok");  // in the private tmpfs, not on the host
  EXPECT_EQ(present(project + "/made-inside"), "yes");
  EXPECT_EQ(present(project_parent / "beside"), "ENOENT");
}

TEST(MountsApply, SymlinksInPathsResolveAsTheHostAndSandboxSeeThem) {
  Fixture fx;
  // An absolute link: resolved against the staging root it would dangle.
  check_syscall(::symlink((fx.dir / "project").c_str(), (fx.dir / "link").c_str()), "symlink");
  Filesystem fs;
  fs.write = {rule(fx.dir / "link")};
  const Layout plan = build(fs, host_path_exists);

  const SandboxRun run = run_with_plan(plan, [&](std::string& out) {
    out += "write_via_link=" + create_file(fx.dir / "link/made-inside") + "\n";
  });

  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(run.values()["write_via_link"], "ok");
  EXPECT_EQ(present(fx.dir / "project/made-inside"), "yes");
}

TEST(MountsApply, APathThatVanishesBeforeApplyFailsTheSetUp) {
  Fixture fx;
  Filesystem fs;
  fs.write = {rule(fx.dir / "project")};
  const Layout plan = build(fs, host_path_exists);
  check_syscall(::rmdir((fx.dir / "project").c_str()), "rmdir");

  const SandboxRun run = run_with_plan(plan, [](std::string&) {});

  EXPECT_EQ(run.status, airlock::testing::kBodyThrew);
  EXPECT_NE(run.values()["exception"].find(fx.dir / "project"), std::string::npos) << run.output;
}

// A cache a step may use but not leave anything in: the step writes, reads
// back and removes through the overlay; the host directory is untouched,
// and a symbolic link the step makes there is not on the host either.
TEST(MountsApply, AnOverlayIsWritableInsideAndItsWritesAreDiscarded) {
  Fixture fx;
  make_fixture_dir(fx.dir / "cache");
  make_fixture_dir(fx.dir / "cache/node-gyp");
  write_text(fx.dir / "cache/node-gyp/common.gypi", "original");
  write_text(fx.dir / "cache/keep", "keep");
  Filesystem fs;
  fs.overlay = {rule(fx.dir / "cache")};
  Layout plan = build(fs, host_path_exists);
  limit_private_tmp(plan, 1u << 20);

  const SandboxRun run = run_with_plan(plan, [&](std::string& out) {
    out += "before=" + contents(fx.dir / "cache/node-gyp/common.gypi") + "\n";
    write_text(fx.dir / "cache/node-gyp/common.gypi", "planted");
    out += "after=" + contents(fx.dir / "cache/node-gyp/common.gypi") + "\n";
    out += "create=" + create_file(fx.dir / "cache/new") + "\n";
    out += "mkdir=" + make_dir(fx.dir / "cache/npx") + "\n";
    out += "remove=" + std::string(::unlink((fx.dir / "cache/keep").c_str()) == 0 ? "ok" : errno_name(errno)) + "\n";
    out += "link=" + std::string(::symlink("/etc", (fx.dir / "cache/link").c_str()) == 0 ? "ok" : errno_name(errno)) + "\n";
    out += "mode=" + mode_of(fx.dir / "cache") + "\n";
    // The layer is bounded like the private /tmp: a write past it fails.
    const int fd = ::open((fx.dir / "cache/big").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    std::string big(4u << 20, 'x');
    const ssize_t n = fd < 0 ? -1 : ::write(fd, big.data(), big.size());
    out += "big=" + std::string(n == static_cast<ssize_t>(big.size()) ? "written" : "short") + "\n";
    if (fd >= 0) ::close(fd);
  });

  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["before"], "original");
  EXPECT_EQ(v["after"], "planted");
  EXPECT_EQ(v["create"], "ok");
  EXPECT_EQ(v["mkdir"], "ok");
  EXPECT_EQ(v["remove"], "ok");
  EXPECT_EQ(v["link"], "ok");
  EXPECT_EQ(v["mode"], "755");
  EXPECT_EQ(v["big"], "short");
  EXPECT_EQ(slurp(fx.dir / "cache/node-gyp/common.gypi"), "original");
  EXPECT_EQ(slurp(fx.dir / "cache/keep"), "keep");
  EXPECT_EQ(present(fx.dir / "cache/new"), "ENOENT");
  EXPECT_EQ(present(fx.dir / "cache/npx"), "ENOENT");
  EXPECT_EQ(present(fx.dir / "cache/link"), "ENOENT");
  EXPECT_EQ(present(fx.dir / "cache/big"), "ENOENT");
}

}  // namespace
}  // namespace airlock::mounts
