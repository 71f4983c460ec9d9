#pragma once
// The Landlock layer: an allow-list of file hierarchies and TCP ports, plus
// IPC scoping, enforced on the payload right before seccomp and execve.
//
// build() turns a Request into a Ruleset for one Landlock ABI version (pure
// data, unit-tested); apply() hands that Ruleset to the kernel. Every right
// the ABI knows is "handled", so whatever a rule does not grant is denied.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/policy.hpp"
#include "util/fd.hpp"

namespace airlock::landlock {

// The newest ABI this code knows; a newer kernel gets an ABI-7 ruleset,
// which it enforces exactly as written.
inline constexpr int kNewestKnownAbi = 7;

// Access rights, same bit values as <linux/landlock.h> (checked in landlock.cpp).
namespace fs {
inline constexpr std::uint64_t kExecute = 1ULL << 0;
inline constexpr std::uint64_t kWriteFile = 1ULL << 1;
inline constexpr std::uint64_t kReadFile = 1ULL << 2;
inline constexpr std::uint64_t kReadDir = 1ULL << 3;
inline constexpr std::uint64_t kRemoveDir = 1ULL << 4;
inline constexpr std::uint64_t kRemoveFile = 1ULL << 5;
inline constexpr std::uint64_t kMakeChar = 1ULL << 6;
inline constexpr std::uint64_t kMakeDir = 1ULL << 7;
inline constexpr std::uint64_t kMakeReg = 1ULL << 8;
inline constexpr std::uint64_t kMakeSock = 1ULL << 9;
inline constexpr std::uint64_t kMakeFifo = 1ULL << 10;
inline constexpr std::uint64_t kMakeBlock = 1ULL << 11;
inline constexpr std::uint64_t kMakeSym = 1ULL << 12;
inline constexpr std::uint64_t kRefer = 1ULL << 13;      // ABI 2
inline constexpr std::uint64_t kTruncate = 1ULL << 14;   // ABI 3
inline constexpr std::uint64_t kIoctlDev = 1ULL << 15;   // ABI 5
// The only rights the kernel accepts on a rule for a non-directory.
inline constexpr std::uint64_t kFileRights =
    kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;
}  // namespace fs

namespace net {
inline constexpr std::uint64_t kBindTcp = 1ULL << 0;     // ABI 4
inline constexpr std::uint64_t kConnectTcp = 1ULL << 1;  // ABI 4
}  // namespace net

namespace scope {
inline constexpr std::uint64_t kAbstractUnixSocket = 1ULL << 0;  // ABI 6
inline constexpr std::uint64_t kSignal = 1ULL << 1;              // ABI 6
}  // namespace scope

// landlock_restrict_self(2) flags.
namespace restrict_flag {
inline constexpr std::uint32_t kLogSameExecOff = 1U << 0;    // ABI 7
inline constexpr std::uint32_t kLogNewExecOn = 1U << 1;      // ABI 7
inline constexpr std::uint32_t kLogSubdomainsOff = 1U << 2;  // ABI 7
}  // namespace restrict_flag

using PortRange = policy::PortRange;

// What the sandbox asks of Landlock, built by the integrator from the Policy.
// Paths are absolute and resolved in the mount namespace the payload runs in.
struct Request {
  std::vector<std::string> read;   // read files, list directories
  std::vector<std::string> write;  // read + create/remove/write/truncate/rename
  std::vector<std::string> exec;   // read + execute
  // read_dir only: directories whose entries are granted one by one because
  // a hidden path lies among them (see without_hidden()).
  std::vector<std::string> list_only;
  bool restrict_tcp = false;       // ABI>=4: only the listed TCP ports
  std::vector<PortRange> connect_tcp;
  std::vector<PortRange> bind_tcp;
  // ABI>=4: the command may not connect() or bind() a TCP socket itself,
  // whatever restrict_tcp says. The gateway's handoff makes both on the
  // command's behalf; this keeps a call the supervisor let the kernel run
  // (a unix socket's) from connecting or binding a socket it handed over,
  // should another thread swap one in under the same descriptor number.
  bool refuse_tcp = false;
  bool scope_abstract_unix = true;  // ABI>=6: no abstract unix sockets outside
  bool scope_signals = true;        // ABI>=6: no signals to processes outside
  bool log_denials = false;         // ABI>=7: audit-log denials after execve
  // Copied to Ruleset::limitations (what without_hidden() costs).
  std::vector<std::string> limitations;
};

struct PathAccess {
  std::string path;
  std::uint64_t access = 0;
  // Set by the integrator when the view shows the host's own file at
  // `path`: the target of the view's bind of the same host path (source ==
  // target) beneath which it lies. Such a rule is added while init still
  // builds the view (start()); the others once it is built (finish()).
  std::string host_base;
  bool operator==(const PathAccess&) const = default;
};

struct PortAccess {
  std::uint16_t port = 0;
  std::uint64_t access = 0;
  bool operator==(const PortAccess&) const = default;
};

// A ruleset for one ABI: what is handled, what is granted, what is missing.
struct Ruleset {
  int abi = 0;  // the ABI this ruleset is written for; 0: no Landlock
  std::uint64_t handled_fs = 0;
  std::uint64_t handled_net = 0;
  std::uint64_t scoped = 0;
  std::uint32_t restrict_flags = 0;
  std::vector<PathAccess> paths;  // one per distinct path, sorted by path
  std::vector<PortAccess> ports;  // one per distinct port, sorted by port
  // What the Request asked for and this ABI cannot enforce.
  std::vector<std::string> not_enforced;
  // What this ABI denies although the Request allows it (stricter, not weaker).
  std::vector<std::string> limitations;
};

// The names of a directory's entries that are not symbolic links;
// std::nullopt when it cannot be listed.
using ListDirectory = std::function<std::optional<std::vector<std::string>>(const std::string& dir)>;

// Landlock cannot deny a path beneath an allowed directory, so a rule on a
// directory that holds a hidden path (filesystem.hide) would grant it. Such
// a rule is replaced by read_dir on the directory (entries can be listed,
// not opened) and the same rule on each of its entries, recursively along
// the way to each hidden path, which gets none; rules on or beneath a hidden
// path are dropped. Symbolic links get no rule: Landlock checks the path
// they resolve to, which is allowed or not by its own rules. The cost: new
// entries cannot be created directly in a writable directory so split
// (named in `limitations`). Pure given `list`.
Request without_hidden(Request request, const std::vector<std::string>& hidden, const ListDirectory& list);

// The same carving for write rights only: a rule granting write on a
// directory that holds a protected path (filesystem.protect) is split the
// same way, and the protected path keeps only what read and exec rules give
// it. Pure given `list`.
Request without_writes_to(Request request, const std::vector<std::string>& protect, const ListDirectory& list);

// The ListDirectory of the running system (opendir/readdir).
std::optional<std::vector<std::string>> list_directory(const std::string& dir);

// Pure: no system calls. Throws airlock::Error on a relative path or a
// reversed port range.
Ruleset build(const Request& request, int abi);

// A ruleset in the kernel, being filled.
struct Pending {
  const Ruleset* ruleset = nullptr;
  UniqueFd fd;
  std::vector<bool> added;  // per ruleset->paths entry
  // Each host_base used, with the directory it was in the host's tree
  // (st_dev, st_ino): finish() checks the view shows the same one there.
  std::map<std::string, std::pair<dev_t, ino_t>> bases;
};

// Creates the ruleset and adds the rules that have a host_base, each opened
// in `host_root` (the host's root, from before the view was built): the
// base as init binds it, the rest beneath it without following a symbolic
// link. A rule that cannot be added so is left to finish(). `host_root` -1:
// nothing is added yet. Throws airlock::Error when the ruleset has no ABI
// (Landlock unavailable) or the kernel refuses it.
Pending start(const Ruleset& ruleset, int host_root);

// In the finished view: checks that each base start() used is the same
// directory here (else throws: the host's tree changed under the set-up,
// and a rule may sit on what the view does not show), adds the remaining
// rules and the ports, and restricts the calling thread (and its future
// children). Requires no_new_privs. Paths that do not exist are skipped
// (the mount layer reports them).
void finish(Pending pending);

// start(ruleset, -1), then finish(): every rule resolved where the caller is.
void apply(const Ruleset& ruleset);

// A multi-line summary for `airlock explain`.
std::string describe(const Ruleset& ruleset);

}  // namespace airlock::landlock
