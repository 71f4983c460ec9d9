#pragma once
// The sandbox's filesystem view, as data (build) and as mounts (apply).
//
// build() turns policy::Filesystem into a Layout: an ordered list of mount
// steps, shallowest target first, so that a private /tmp is mounted before a
// bind of a project that lives under /tmp, and a hidden directory is masked
// after the bind that contains it. apply() performs a Layout inside a fresh
// mount namespace (owned by a fresh user namespace) and ends with pivot_root,
// leaving the sandbox's init in the new root with the host root detached.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.hpp"

namespace airlock::mounts {

enum class Op {
  bind_ro,     // bind a host path (recursively) read-only, nosuid, nodev
  bind_rw,     // bind a host path (recursively) writable, nosuid, nodev
  tmpfs,       // an empty writable tmpfs (root of the minimal view, /tmp, /dev/shm)
  tmpfs_ro,    // an empty read-only tmpfs: hides a directory
  hide_file,   // an empty 0444 read-only file bound over a file: hides it
  bind_content,  // a read-only 0444 file holding `source` bound over a file
                 // (created if missing): the sandbox's own /etc/resolv.conf
  proc,        // a fresh proc of the sandbox's pid namespace; its kernel-wide
               // knobs (sys, sysrq-trigger, irq, bus) read-only, what container
               // engines mask and kernel addresses empty (mounts_apply.cpp)
  dev,         // the tmpfs that holds the minimal /dev
  devpts,      // a private devpts instance (ptmxmode=0666)
  dev_node,    // bind one host device node
  symlink,     // create a symlink: target -> source (the link text)
  remount_ro,  // make the mount at target read-only (applied after all mounts)
  overlay,     // the host directory `source` as the lower layer of an overlay whose
               // upper layer is a private tmpfs: writable, and every write is
               // discarded with the sandbox
  dir,         // an empty directory on the root tmpfs: a top-level host
               // directory the view does not show
  host_proc,   // the existing /proc bound (with the masks a container engine put
               // over it), then treated as `proc` is: where a fresh one is refused
};

struct Step {
  Op op = Op::bind_ro;
  std::string target;  // path as the sandbox sees it
  std::string source;  // host path for binds and device nodes, link text for symlinks,
                       // mount options for filesystems ("mode=1777", like mount -o)
  std::string detail;  // why the step exists, for describe(): "write (npm-ci.toml:5:9)"

  bool operator==(const Step&) const = default;
};

struct Layout {
  policy::View view = policy::View::host;
  std::vector<Step> steps;           // in the order apply() performs them
  std::vector<std::string> skipped;  // optional ("?path") rules whose path does not exist
  // Options of the tmpfs that holds each overlay's writes (limits.tmp bounds it).
  std::string overlay_upper = "mode=0755";
  // Written to the fresh /proc's sys/kernel before it turns read-only
  // (limits.processes, limits::pid_range_for); 0: left as they are.
  std::uint64_t pid_max = 0;
  std::uint64_t last_pid = 0;
};

// Whether a host path exists. build() asks it for "path" and, to learn whether
// a path to hide is a directory, for "path/" (with a trailing slash, as
// stat(2) sees it: only a directory, or a symlink to one, exists that way).
using ExistsFn = std::function<bool(const std::string&)>;

// The entries of a host directory, symlinks left out (landlock::list_directory
// is the real one); nullopt when it cannot be listed.
using ListFn = std::function<std::optional<std::vector<std::string>>(const std::string& dir)>;

// An entry at the top of the host tree, as lstat(2) sees it.
struct TopEntry {
  enum class Kind { directory, file, symlink, other };
  std::string name;
  Kind kind = Kind::other;
  std::string link;  // the link text, for a symlink

  bool operator==(const TopEntry&) const = default;
};

// The entries of the host's "/" (host_top_level is the real one); nullopt
// when it cannot be listed.
using TopLevelFn = std::function<std::optional<std::vector<TopEntry>>()>;

// Pure: the plan for `fs`, asking `exists` about host paths. Throws
// airlock::Error naming the path and its profile location when a
// non-optional read/write/exec/hide/devices path does not exist.
//
// Rules on /tmp, /proc and /dev themselves, and rules under /proc and /dev,
// mount nothing: the sandbox's private /tmp, fresh /proc and minimal /dev
// serve them (extra device nodes come from `devices`). Where rules nest,
// the deeper path decides what is seen; on the same path, hide wins.
//
// In the host view, given `list`, every directory at the top of the host
// tree (/home, /run, /var, /srv, ...) that no read, write or exec rule
// covers whole is hidden like a `hide` entry, and the rules inside it are
// bound back: neither the read-only mount nor Landlock (up to ABI 7) stops
// connect(2) on a unix socket file, and host services (session buses,
// agents, databases, container engines) keep theirs in such places, under
// names no list can foresee. Landlock refuses reading those trees anyway.
//
// In the host view, given `top` as well, the root is an empty tmpfs that
// receives the host's top-level entries one by one: a directory a rule
// covers whole is bound (with the mounts beneath it), any other is an empty
// directory, a symlink is made again, a regular file a rule covers is
// bound; anything else is left out. A host mount outside every shown tree (a disk under
// /mnt, the host's /dev, /proc and /sys mounts) is then absent from the
// sandbox's mount table, not merely covered: a recursive bind of the host
// root would carry it along, and in a user namespace such inherited mounts
// are locked and cannot be detached. Paths are read through the top-level
// symlinks (/bin -> usr/bin): a hide of /bin/x must land on /usr/bin/x.
// Without `top`, or when a rule grants "/" itself, the root is the host's
// tree bound read-only.
Layout build(const policy::Filesystem& fs, const ExistsFn& exists, const ListFn& list = {},
           const TopLevelFn& top = {});

// The real TopLevelFn: the host's "/" through opendir(3), lstat(2), readlink(2).
std::optional<std::vector<TopEntry>> host_top_level();

// Binds the caller's terminal (`host_tty`, a host device path such as
// /dev/pts/3, from ttyname(3)) at /dev/console, keeping the plan's order.
// The command's stdio still refers to the host's devpts instance, which the
// sandbox's private /dev/pts does not show, so ttyname(3) (tty(1), ssh, gpg)
// would find no name for it; glibc then looks through /dev for the same
// device and finds this bind (bubblewrap does the same). The command gains
// nothing: it already holds descriptors to that terminal.
void add_terminal(Layout& plan, const std::string& host_tty);

// Bounds the private /tmp and /dev/shm tmpfs steps, and the layer that holds
// each overlay's writes, to `bytes` each (limits.tmp; 0: no limit, as tmpfs
// reads size=0). A write past it fails with ENOSPC.
void limit_private_tmp(Layout& plan, std::uint64_t bytes);

// The sandbox gets the existing /proc instead of a fresh one
// (EnforcementPlan::host_proc).
void use_host_proc(Layout& plan);

// The real ExistsFn: stat(2) on the host.
bool host_path_exists(const std::string& path);

// Performs the plan. Call it as the sandbox's init: PID 1 of a new pid
// namespace, inside a new mount namespace owned by a new user namespace
// (whose id map is already written), with CAP_SYS_ADMIN there. Ends with the
// plan's root as "/", the host root detached and the working directory "/".
// Throws airlock::Error naming the step that failed.
void apply(const Layout& plan);

// Adds a bind_content step: `target` shows `content`, read-only. It goes
// after every other mount (so a bind of a directory above it does not cover
// it) and before the remount_ro steps (which may make its parent read-only).
// A hidden directory above `target` is made writable until then and
// read-only after.
void add_file(Layout& plan, std::string target, std::string content, std::string detail);

// Where `path` leads on the host after following its symlinks (relative ones
// against their own directory), lexically normalised; the path itself when
// it is no symlink. /etc/resolv.conf is a symlink into /run on hosts with
// systemd-resolved, and a file bound "over" it must go where it points.
std::string follow_host_symlinks(const std::string& path);

// The steps that keep `path` read-only beneath the writable bind at
// `writable` (an ancestor): each directory strictly between them bound onto
// itself, read-write (a mount point cannot be renamed or removed, so the
// path cannot be moved away and replaced), then `path` itself read-only.
// Shallowest first; place them before any deeper step (a bind's source is
// the host's tree, which shows none of the sandbox's hides beneath it).
std::vector<Step> read_only_steps(const std::string& path, const std::string& writable, const std::string& detail);

// When the view shows the host's own file at `path`: the target of the
// plan's bind of the same host path (source == target, as /usr, /etc, the
// project or a device node) that covers it, no later step placing anything
// at or above `path` beneath that target. "" otherwise (a tmpfs, a hidden
// or redacted file, an overlay, a bind of another path, a path with "..").
// Pure.
std::string host_identical_base(const Layout& plan, const std::string& path);

// A person-readable listing of the plan, one step per line.
std::string describe(const Layout& plan);

std::string_view op_name(Op op);

}  // namespace airlock::mounts
