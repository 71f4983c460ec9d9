#include "sandbox/landlock.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <map>
#include <memory>
#include <sstream>
#include <utility>

#include "sandbox/no_new_privs.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/files.hpp"
#include "util/path.hpp"

// Debian 12 ships uapi headers from Linux 6.1 (Landlock ABI 2/3): everything
// newer is defined here with the values of include/uapi/linux/landlock.h.
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF
#define LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF (1U << 0)
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON
#define LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1)
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF
#define LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF (1U << 2)
#endif

namespace airlock::landlock {

static_assert(fs::kExecute == LANDLOCK_ACCESS_FS_EXECUTE);
static_assert(fs::kWriteFile == LANDLOCK_ACCESS_FS_WRITE_FILE);
static_assert(fs::kReadFile == LANDLOCK_ACCESS_FS_READ_FILE);
static_assert(fs::kReadDir == LANDLOCK_ACCESS_FS_READ_DIR);
static_assert(fs::kRemoveDir == LANDLOCK_ACCESS_FS_REMOVE_DIR);
static_assert(fs::kRemoveFile == LANDLOCK_ACCESS_FS_REMOVE_FILE);
static_assert(fs::kMakeChar == LANDLOCK_ACCESS_FS_MAKE_CHAR);
static_assert(fs::kMakeDir == LANDLOCK_ACCESS_FS_MAKE_DIR);
static_assert(fs::kMakeReg == LANDLOCK_ACCESS_FS_MAKE_REG);
static_assert(fs::kMakeSock == LANDLOCK_ACCESS_FS_MAKE_SOCK);
static_assert(fs::kMakeFifo == LANDLOCK_ACCESS_FS_MAKE_FIFO);
static_assert(fs::kMakeBlock == LANDLOCK_ACCESS_FS_MAKE_BLOCK);
static_assert(fs::kMakeSym == LANDLOCK_ACCESS_FS_MAKE_SYM);
static_assert(fs::kRefer == LANDLOCK_ACCESS_FS_REFER);
static_assert(fs::kTruncate == LANDLOCK_ACCESS_FS_TRUNCATE);
static_assert(fs::kIoctlDev == LANDLOCK_ACCESS_FS_IOCTL_DEV);
static_assert(net::kBindTcp == LANDLOCK_ACCESS_NET_BIND_TCP);
static_assert(net::kConnectTcp == LANDLOCK_ACCESS_NET_CONNECT_TCP);
static_assert(scope::kAbstractUnixSocket == LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET);
static_assert(scope::kSignal == LANDLOCK_SCOPE_SIGNAL);
static_assert(restrict_flag::kLogSameExecOff == LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF);
static_assert(restrict_flag::kLogNewExecOn == LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON);
static_assert(restrict_flag::kLogSubdomainsOff == LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF);

namespace {

// ---- The kernel interface --------------------------------------------------

// struct landlock_ruleset_attr as of ABI 6. The installed header may stop at
// handled_access_fs; the kernel takes the size and reads only what it knows
// (copy_struct_from_user), so the size passed follows the ABI.
struct RulesetAttr {
  std::uint64_t handled_access_fs;
  std::uint64_t handled_access_net;  // ABI 4
  std::uint64_t scoped;              // ABI 6
};

// struct landlock_net_port_attr (ABI 4); `port` is in host byte order.
struct NetPortAttr {
  std::uint64_t allowed_access;
  std::uint64_t port;
};

// enum landlock_rule_type: an enum in the header, so it cannot be #ifndef-ed.
constexpr int kRulePathBeneath = LANDLOCK_RULE_PATH_BENEATH;
constexpr int kRuleNetPort = 2;  // ABI 4

long create_ruleset_syscall(const RulesetAttr* attr, std::size_t size, std::uint32_t flags) {
  return ::syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

long add_rule_syscall(int ruleset_fd, int rule_type, const void* rule_attr) {
  return ::syscall(SYS_landlock_add_rule, ruleset_fd, rule_type, rule_attr, 0U);
}

long restrict_self_syscall(int ruleset_fd, std::uint32_t flags) {
  return ::syscall(SYS_landlock_restrict_self, ruleset_fd, flags);
}

// ---- Rights ----------------------------------------------------------------

constexpr std::uint64_t kAllFsRights = (fs::kIoctlDev << 1) - 1;
constexpr std::uint64_t kAllNetRights = net::kBindTcp | net::kConnectTcp;

constexpr std::uint64_t kReadRights = fs::kReadFile | fs::kReadDir;
constexpr std::uint64_t kExecRights = kReadRights | fs::kExecute;
// No EXECUTE: a writable tree is not executable unless also listed in exec.
// No MAKE_CHAR/MAKE_BLOCK: a build never creates device nodes.
// IOCTL_DEV only here: device ioctls belong to writable device trees (/dev).
constexpr std::uint64_t kWriteRights =
    kReadRights | fs::kWriteFile | fs::kRemoveDir | fs::kRemoveFile | fs::kMakeDir |
    fs::kMakeReg | fs::kMakeSock | fs::kMakeFifo | fs::kMakeSym | fs::kRefer |
    fs::kTruncate | fs::kIoctlDev;

struct RightName {
  std::uint64_t bit;
  const char* name;
};

constexpr RightName kFsRightNames[] = {
    {fs::kExecute, "execute"},       {fs::kWriteFile, "write_file"},
    {fs::kReadFile, "read_file"},    {fs::kReadDir, "read_dir"},
    {fs::kRemoveDir, "remove_dir"},  {fs::kRemoveFile, "remove_file"},
    {fs::kMakeChar, "make_char"},    {fs::kMakeDir, "make_dir"},
    {fs::kMakeReg, "make_reg"},      {fs::kMakeSock, "make_sock"},
    {fs::kMakeFifo, "make_fifo"},    {fs::kMakeBlock, "make_block"},
    {fs::kMakeSym, "make_sym"},      {fs::kRefer, "refer"},
    {fs::kTruncate, "truncate"},     {fs::kIoctlDev, "ioctl_dev"},
};
constexpr RightName kNetRightNames[] = {
    {net::kBindTcp, "bind_tcp"}, {net::kConnectTcp, "connect_tcp"}};
constexpr RightName kScopeNames[] = {
    {scope::kAbstractUnixSocket, "abstract_unix_socket"}, {scope::kSignal, "signal"}};

template <std::size_t N>
std::string name_bits(std::uint64_t bits, const RightName (&names)[N]) {
  std::string out;
  for (const auto& [bit, name] : names) {
    if ((bits & bit) == 0) continue;
    if (!out.empty()) out += ' ';
    out += name;
  }
  return out.empty() ? "none" : out;
}

// ---- build() helpers -------------------------------------------------------

// "//a/./b/" -> "/a/b", so that one directory written two ways is one rule.
// ".." stays for the kernel to resolve when it opens the path: the program
// found on a PATH such as /opt/tool/../bin must still be granted.
std::string normalize_path(const std::string& path) {
  if (path.empty() || path.front() != '/') {
    throw Error("Landlock path must be absolute: \"" + path + "\"");
  }
  return normalize_keeping_dot_dot(path);
}

void validate_ranges(const std::vector<PortRange>& ranges, const char* what) {
  for (const auto& r : ranges) {
    if (r.first > r.last) {
      throw Error(std::string("TCP ") + what + " port range " + std::to_string(r.first) +
                  "-" + std::to_string(r.last) + " is reversed");
    }
  }
}

void grant_paths(std::map<std::string, std::uint64_t>& rules,
                 const std::vector<std::string>& paths, std::uint64_t rights) {
  for (const auto& path : paths) rules[normalize_path(path)] |= rights;
}

// Ports are 16-bit, so merging by port bounds the expansion at 65536 rules
// however many ranges the request lists.
void grant_ports(std::map<std::uint16_t, std::uint64_t>& rules,
                 const std::vector<PortRange>& ranges, std::uint64_t rights) {
  for (const auto& r : ranges) {
    for (std::uint32_t p = r.first; p <= r.last; ++p) {
      rules[static_cast<std::uint16_t>(p)] |= rights;
    }
  }
}

std::string ranges_text(const std::vector<PortRange>& ranges) {
  if (ranges.empty()) return "none";
  std::string out;
  for (const auto& r : ranges) {
    if (!out.empty()) out += ", ";
    out += std::to_string(r.first);
    if (r.last != r.first) out += "-" + std::to_string(r.last);
  }
  return out;
}

// ---- apply() helpers -------------------------------------------------------

std::size_t ruleset_attr_size(int abi) {
  if (abi < 4) return offsetof(RulesetAttr, handled_access_net);
  if (abi < 6) return offsetof(RulesetAttr, scoped);
  return sizeof(RulesetAttr);
}

UniqueFd create_ruleset(const Ruleset& ruleset) {
  const RulesetAttr attr{ruleset.handled_fs, ruleset.handled_net, ruleset.scoped};
  const long fd = create_ruleset_syscall(&attr, ruleset_attr_size(ruleset.abi), 0);
  check_syscall(fd, "landlock_create_ruleset (ABI " + std::to_string(ruleset.abi) + ")");
  return UniqueFd(static_cast<int>(fd));
}

// False, adding nothing, when `fd` is a symbolic link itself (opened with
// O_NOFOLLOW): a rule belongs on what the link leads to in the view.
bool add_rule_on(int ruleset_fd, const PathAccess& rule, const UniqueFd& fd) {
  struct stat st {};
  check_syscall(::fstat(fd.get(), &st), "Landlock: stat " + rule.path);
  if (S_ISLNK(st.st_mode)) return false;
  std::uint64_t access = rule.access;
  // The kernel rejects directory-only rights on a file rule with EINVAL.
  if (!S_ISDIR(st.st_mode)) access &= fs::kFileRights;
  if (access == 0) return true;
  landlock_path_beneath_attr attr{};
  attr.allowed_access = access;
  attr.parent_fd = fd.get();
  check_syscall(add_rule_syscall(ruleset_fd, kRulePathBeneath, &attr),
                "landlock_add_rule " + rule.path);
  return true;
}

void add_path_access(int ruleset_fd, const PathAccess& rule) {
  UniqueFd fd(::open(rule.path.c_str(), O_PATH | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return;  // reported by the mount layer, not an error here
    throw SystemError("Landlock: open " + rule.path, errno);
  }
  static_cast<void>(add_rule_on(ruleset_fd, rule, fd));  // open() followed every link
}

std::pair<dev_t, ino_t> identity(const UniqueFd& fd, const std::string& path) {
  struct stat st {};
  check_syscall(::fstat(fd.get(), &st), "Landlock: stat " + path);
  return {st.st_dev, st.st_ino};
}

// The rule's file in the host's tree, as the view will show it: the base
// resolved as init resolves a bind's source, the rest beneath it with no
// symbolic link (one could lead elsewhere in the view than on the host).
// An invalid descriptor when it cannot be opened so: finish() adds it.
// The base's own rule goes on the base's descriptor.
UniqueFd open_below_base(const UniqueFd& base, const PathAccess& rule) {
  const auto below = path_relative_to(rule.path, rule.host_base);
  if (!below) return UniqueFd();
  return open_beneath(base.get(), *below, O_PATH);
}

void add_port_access(int ruleset_fd, const PortAccess& rule) {
  const NetPortAttr attr{rule.access, rule.port};
  check_syscall(add_rule_syscall(ruleset_fd, kRuleNetPort, &attr),
                "landlock_add_rule TCP port " + std::to_string(rule.port));
}

}  // namespace

namespace {

bool is_hidden(const std::string& path, const std::vector<std::string>& hidden) {
  return std::any_of(hidden.begin(), hidden.end(), [&](const std::string& h) { return path_within(path, h); });
}

// The hidden paths strictly beneath `dir`.
std::vector<std::string> hidden_beneath(const std::string& dir, const std::vector<std::string>& hidden) {
  std::vector<std::string> out;
  for (const auto& h : hidden)
    if (h != dir && path_within(h, dir)) out.push_back(h);
  return out;
}

struct Carving {
  const ListDirectory& list;
  std::vector<std::string>& granted;
  std::vector<std::string>& list_only;

  // Grants `path`'s tree minus the hidden paths in it; true when it had to
  // be split into its entries. Each level passes down only the hidden paths
  // beneath it: /etc's ~150 entries are checked against the few in /etc, not
  // against every secret of every profile (start-up time).
  bool grant(const std::string& path, const std::vector<std::string>& hidden) {
    if (is_hidden(path, hidden)) return false;
    const auto beneath = hidden_beneath(path, hidden);
    if (beneath.empty()) {
      granted.push_back(path);
      return false;
    }
    list_only.push_back(path);
    // A directory that cannot be listed grants nothing beneath it: closed.
    if (const auto entries = list(path)) {
      for (const auto& name : *entries) grant((path == "/" ? "" : path) + "/" + name, beneath);
    }
    return true;
  }
};

std::vector<std::string> carve(const std::vector<std::string>& paths, const std::vector<std::string>& hidden,
                               const ListDirectory& list, std::vector<std::string>& list_only,
                               std::vector<std::string>* split) {
  std::vector<std::string> granted;
  Carving carving{list, granted, list_only};
  for (const auto& path : paths) {
    const auto normal = normalize_path(path);
    if (carving.grant(normal, hidden) && split != nullptr) split->push_back(normal);
  }
  return granted;
}

}  // namespace

Request without_hidden(Request request, const std::vector<std::string>& hidden, const ListDirectory& list) {
  std::vector<std::string> normal_hidden;
  for (const auto& h : hidden) normal_hidden.push_back(normalize_path(h));
  std::vector<std::string> split_writable;
  request.read = carve(request.read, normal_hidden, list, request.list_only, nullptr);
  request.exec = carve(request.exec, normal_hidden, list, request.list_only, nullptr);
  request.write = carve(request.write, normal_hidden, list, request.list_only, &split_writable);
  for (const auto& dir : split_writable) {
    request.limitations.push_back(dir + " holds a hidden path, so Landlock grants its entries one by one: "
                                  "nothing new can be created directly in " + dir);
  }
  return request;
}

Request without_writes_to(Request request, const std::vector<std::string>& protect, const ListDirectory& list) {
  std::vector<std::string> normal;
  for (const auto& p : protect) normal.push_back(normalize_path(p));
  std::vector<std::string> split_writable;
  request.write = carve(request.write, normal, list, request.list_only, &split_writable);
  for (const auto& dir : split_writable)
    request.limitations.push_back(dir + " holds a read-only (protected) path, so Landlock grants its entries one by "
                                  "one: nothing new can be created directly in " + dir);
  return request;
}

std::optional<std::vector<std::string>> list_directory(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return std::nullopt;
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    bool symlink = e->d_type == DT_LNK;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      symlink = ::fstatat(::dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
    }
    if (!symlink) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Ruleset build(const Request& request, int abi) {
  Ruleset rs;
  validate_ranges(request.connect_tcp, "connect");
  validate_ranges(request.bind_tcp, "bind");
  std::map<std::string, std::uint64_t> path_rights;
  grant_paths(path_rights, request.read, kReadRights);
  grant_paths(path_rights, request.exec, kExecRights);
  grant_paths(path_rights, request.write, kWriteRights);
  grant_paths(path_rights, request.list_only, fs::kReadDir);

  if (abi < 1) {
    rs.not_enforced.push_back(
        "Landlock is not available (kernel without CONFIG_SECURITY_LANDLOCK, or "
        "\"landlock\" missing from the lsm= boot parameter): no file or TCP rule is "
        "enforced by Landlock");
    return rs;
  }
  rs.limitations = request.limitations;
  rs.abi = std::min(abi, kNewestKnownAbi);
  rs.handled_fs = kAllFsRights;
  rs.handled_net = (request.restrict_tcp ? kAllNetRights : 0) | (request.refuse_tcp ? kAllNetRights : 0);
  rs.scoped = (request.scope_abstract_unix ? scope::kAbstractUnixSocket : 0) |
              (request.scope_signals ? scope::kSignal : 0);
  rs.restrict_flags = request.log_denials ? restrict_flag::kLogNewExecOn : 0;

  // Each case drops what its version lacks and falls through to the older
  // ones (the pattern of the kernel's samples/landlock/sandboxer.c).
  switch (rs.abi) {
    case 1:  // lacks REFER (ABI 2): reparenting is then always denied
      rs.handled_fs &= ~fs::kRefer;
      if (!request.write.empty()) {
        rs.limitations.push_back(
            "renaming or linking files into another directory fails with EXDEV: "
            "allowing it needs Landlock ABI 2");
      }
      [[fallthrough]];
    case 2:  // lacks TRUNCATE (ABI 3)
      rs.handled_fs &= ~fs::kTruncate;
      rs.not_enforced.push_back(
          "truncate(2) of files outside write paths is not restricted: needs Landlock ABI 3");
      [[fallthrough]];
    case 3:  // lacks TCP port rules (ABI 4)
      if (request.refuse_tcp) {
        rs.not_enforced.push_back("refusing the command's own TCP connect() and bind() (gateway handoff) needs Landlock ABI 4");
      }
      if (request.restrict_tcp) {
        rs.not_enforced.push_back("TCP port rules (connect: " +
                                  ranges_text(request.connect_tcp) +
                                  "; bind: " + ranges_text(request.bind_tcp) +
                                  ") need Landlock ABI 4: TCP is not restricted by Landlock");
      }
      rs.handled_net = 0;
      [[fallthrough]];
    case 4:  // lacks IOCTL_DEV (ABI 5)
      rs.handled_fs &= ~fs::kIoctlDev;
      rs.not_enforced.push_back(
          "ioctl(2) on devices outside write paths is not restricted: needs Landlock ABI 5");
      [[fallthrough]];
    case 5:  // lacks scoping (ABI 6)
      if ((rs.scoped & scope::kAbstractUnixSocket) != 0) {
        rs.not_enforced.push_back(
            "connecting to abstract unix sockets outside the sandbox is not restricted: "
            "needs Landlock ABI 6");
      }
      if ((rs.scoped & scope::kSignal) != 0) {
        rs.not_enforced.push_back(
            "signals to processes outside the sandbox are not restricted: needs Landlock ABI 6");
      }
      rs.scoped = 0;
      [[fallthrough]];
    case 6:  // lacks logging flags (ABI 7)
      if (rs.restrict_flags != 0) {
        rs.not_enforced.push_back("audit logging of denials needs Landlock ABI 7");
      }
      rs.restrict_flags = 0;
      [[fallthrough]];
    case kNewestKnownAbi:
      break;
  }

  for (const auto& [path, rights] : path_rights) {
    rs.paths.push_back(PathAccess{path, rights & rs.handled_fs, ""});
  }
  if (rs.handled_net != 0) {
    std::map<std::uint16_t, std::uint64_t> port_rights;
    if (!request.refuse_tcp) {
      grant_ports(port_rights, request.connect_tcp, net::kConnectTcp);
      grant_ports(port_rights, request.bind_tcp, net::kBindTcp);
    }
    rs.ports.reserve(port_rights.size());
    for (const auto& [port, rights] : port_rights) {
      if ((rights & rs.handled_net) != 0) rs.ports.push_back(PortAccess{port, rights & rs.handled_net});
    }
  }
  return rs;
}

Pending start(const Ruleset& ruleset, int host_root) {
  if (ruleset.abi < 1) {
    throw Error("Landlock is not available on this kernel; refusing to pretend the "
                "file and TCP rules are enforced");
  }
  Pending pending{&ruleset, create_ruleset(ruleset), std::vector<bool>(ruleset.paths.size(), false), {}};
  if (host_root < 0) return pending;
  std::map<std::string, UniqueFd> bases;
  for (std::size_t i = 0; i < ruleset.paths.size(); ++i) {
    const auto& rule = ruleset.paths[i];
    if (rule.host_base.empty()) continue;
    auto [at, fresh] = bases.try_emplace(rule.host_base);
    if (fresh) {
      at->second = open_in_root(host_root, rule.host_base, O_PATH);
      if (at->second) pending.bases[rule.host_base] = identity(at->second, rule.host_base);
    }
    if (!at->second) continue;
    const bool on_base = rule.path == rule.host_base;
    const UniqueFd below = on_base ? UniqueFd() : open_below_base(at->second, rule);
    const UniqueFd& fd = on_base ? at->second : below;
    if (fd) pending.added[i] = add_rule_on(pending.fd.get(), rule, fd);
  }
  return pending;
}

void finish(Pending pending) {
  const Ruleset& ruleset = *pending.ruleset;
  sandbox::require_no_new_privs("Landlock: no_new_privs must be set before landlock_restrict_self "
                                "(an airlock bug: the payload sets it first)");
  for (const auto& [base, host] : pending.bases) {
    const UniqueFd here(::open(base.c_str(), O_PATH | O_CLOEXEC));
    if (!here || identity(here, base) != host)
      throw Error("Landlock: " + base + " is not the directory it was on the host a moment ago (it was replaced "
                  "while the sandbox was built); nothing was run");
  }
  for (std::size_t i = 0; i < ruleset.paths.size(); ++i)
    if (!pending.added[i]) add_path_access(pending.fd.get(), ruleset.paths[i]);
  for (const auto& rule : ruleset.ports) add_port_access(pending.fd.get(), rule);
  check_syscall(restrict_self_syscall(pending.fd.get(), ruleset.restrict_flags), "landlock_restrict_self");
}

void apply(const Ruleset& ruleset) { finish(start(ruleset, -1)); }

namespace {

std::string path_kind(std::uint64_t access) {
  std::string kind;
  if ((access & fs::kReadFile) != 0) kind = "read";
  if ((access & fs::kWriteFile) != 0) kind += kind.empty() ? "write" : "+write";
  if ((access & fs::kExecute) != 0) kind += kind.empty() ? "exec" : "+exec";
  return kind.empty() ? "-" : kind;
}

// Folds consecutive ports with the same rights back into ranges.
std::string port_list(const std::vector<PortAccess>& ports, std::uint64_t right) {
  std::vector<PortRange> ranges;
  for (const auto& rule : ports) {
    if ((rule.access & right) == 0) continue;
    if (!ranges.empty() && ranges.back().last + 1 == rule.port) {
      ranges.back().last = rule.port;
    } else {
      ranges.push_back(PortRange{rule.port, rule.port});
    }
  }
  return ranges_text(ranges);
}

}  // namespace

std::string describe(const Ruleset& ruleset) {
  std::ostringstream out;
  if (ruleset.abi < 1) {
    out << "Landlock: not available\n";
  } else {
    out << "Landlock ABI " << ruleset.abi << "\n";
    out << "  handled file rights: " << name_bits(ruleset.handled_fs, kFsRightNames) << "\n";
    out << "  handled network rights: " << name_bits(ruleset.handled_net, kNetRightNames)
        << (ruleset.handled_net == 0 ? " (TCP not restricted by Landlock)" : "") << "\n";
    out << "  scoped: " << name_bits(ruleset.scoped, kScopeNames) << "\n";
    out << "  paths:" << (ruleset.paths.empty() ? " none\n" : "\n");
    for (const auto& rule : ruleset.paths) {
      out << "    " << path_kind(rule.access) << "  " << rule.path;
      if (!rule.host_base.empty()) out << "  (before the view, beneath " << rule.host_base << ")";
      out << "\n";
    }
    if (ruleset.handled_net != 0) {
      out << "  TCP connect ports: " << port_list(ruleset.ports, net::kConnectTcp) << "\n";
      out << "  TCP bind ports: " << port_list(ruleset.ports, net::kBindTcp) << "\n";
    }
  }
  for (const auto& line : ruleset.not_enforced) out << "  not enforced: " << line << "\n";
  for (const auto& line : ruleset.limitations) out << "  limitation: " << line << "\n";
  return out.str();
}

}  // namespace airlock::landlock
