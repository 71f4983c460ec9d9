// Performing a mount plan (mounts.hpp), as the sandbox's init inside fresh
// user, mount and pid namespaces.
//
// The sequence follows bubblewrap: stop propagation to the host, pivot into a
// staging tmpfs that holds the host root at /oldroot, build the sandbox's root
// at /newroot from /oldroot, pivot into /newroot and detach the rest.
//
// Paths are resolved with openat2(RESOLVE_IN_ROOT) against /oldroot (sources)
// and /newroot (targets), so an absolute symlink such as /var/run -> /run means
// what it means on the host or in the sandbox, not in the staging tmpfs. Mounts
// are made with the new mount API (open_tree, fsopen, fsmount, move_mount) on
// those file descriptors, and a bind gets its read-only/nosuid/nodev flags
// while still detached, so it is never visible with weaker flags.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <array>
#include <cstdint>
#include <utility>

#include "sandbox/mounts.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/files.hpp"

// The new mount API is in glibc >= 2.36 (Debian 12) and kernel >= 5.12
// (mount_setattr). The numbers are the same on every architecture but alpha.
#ifndef MOUNT_ATTR_SIZE_VER0
struct mount_attr {
  std::uint64_t attr_set;
  std::uint64_t attr_clr;
  std::uint64_t propagation;
  std::uint64_t userns_fd;
};
#define MOUNT_ATTR_SIZE_VER0 32
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#define OPEN_TREE_CLONE 1
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#define FSOPEN_CLOEXEC 0x00000001
#define FSMOUNT_CLOEXEC 0x00000001
#define FSCONFIG_SET_FLAG 0
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#define SYS_move_mount 429
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

namespace airlock::mounts {
namespace {

// Where the staging tmpfs goes before the first pivot_root: a directory every
// system has, inside our own mount namespace, so the host never sees it.
constexpr const char* kStaging = "/tmp";
constexpr const char* kEmptyFile = ".airlock-empty";
constexpr const char* kOverlayLayers = ".airlock-overlay-layers";
constexpr const char* kOverlayLowers = ".airlock-overlay-lower-";

int as_fd(long rc, const std::string& what) { return static_cast<int>(check_syscall(rc, what)); }

void set_attributes(int tree, std::uint64_t attrs, bool recursive, const std::string& what) {
  mount_attr attr{};
  attr.attr_set = attrs;
  const unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0u);
  check_syscall(::syscall(SYS_mount_setattr, tree, "", flags, &attr, sizeof attr), what);
}

// A detached new filesystem of `type`, configured with `options`
// ("key=value,flag,...", as mount -o), carrying the mount attributes `attrs`.
UniqueFd new_filesystem(const char* type, const std::string& options, std::uint64_t attrs) {
  const std::string what = std::string("create ") + type;
  UniqueFd context(as_fd(::syscall(SYS_fsopen, type, FSOPEN_CLOEXEC), what));
  std::size_t pos = 0;
  while (pos < options.size()) {
    const std::size_t end = std::min(options.find(',', pos), options.size());
    const std::string option = options.substr(pos, end - pos);
    const std::size_t eq = option.find('=');
    if (eq == std::string::npos) {
      check_syscall(::syscall(SYS_fsconfig, context.get(), FSCONFIG_SET_FLAG, option.c_str(), nullptr, 0),
                    what + ": option " + option);
    } else {
      const std::string key = option.substr(0, eq);
      const std::string value = option.substr(eq + 1);
      check_syscall(::syscall(SYS_fsconfig, context.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0),
                    what + ": option " + option);
    }
    pos = end + 1;
  }
  check_syscall(::syscall(SYS_fsconfig, context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0), what);
  return UniqueFd(as_fd(::syscall(SYS_fsmount, context.get(), FSMOUNT_CLOEXEC, attrs), what));
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  return {std::move(parent), path.substr(slash + 1)};
}

class RootBuilder {
 public:
  // Stops propagation, mounts the staging tmpfs and pivots into it.
  void enter_staging() {
    // Nothing mounted from here on may propagate back to the host. MS_SLAVE
    // (not private) still lets the host's unmounts reach us, so a host
    // filesystem is not kept busy by the sandbox (bubblewrap does the same).
    check_syscall(::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr),
                  "make the mount tree a slave of the host's");
    check_syscall(::mount("tmpfs", kStaging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700"),
                  std::string("mount the staging tmpfs on ") + kStaging);
    const std::string staging = kStaging;
    check_syscall(::mkdir((staging + "/newroot").c_str(), 0700), "create the staging /newroot");
    check_syscall(::mkdir((staging + "/oldroot").c_str(), 0700), "create the staging /oldroot");
    check_syscall(::syscall(SYS_pivot_root, kStaging, (staging + "/oldroot").c_str()),
                  "pivot_root into the staging tmpfs");
    check_syscall(::chdir("/"), "chdir to the staging root");
    staging_ = UniqueFd(as_fd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open the staging root"));
    oldroot_ = UniqueFd(as_fd(::open("/oldroot", O_PATH | O_DIRECTORY | O_CLOEXEC), "open /oldroot"));
  }

  void perform(const Step& step) {
    constexpr std::uint64_t kRo = MOUNT_ATTR_RDONLY;
    constexpr std::uint64_t kNoSuid = MOUNT_ATTR_NOSUID;
    constexpr std::uint64_t kNoDev = MOUNT_ATTR_NODEV;
    constexpr std::uint64_t kNoExec = MOUNT_ATTR_NOEXEC;
    switch (step.op) {
      case Op::bind_ro: return bind(step, kRo | kNoSuid | kNoDev);
      case Op::bind_rw: return bind(step, kNoSuid | kNoDev);
      // A device node works only on a mount without nodev.
      case Op::dev_node: return bind(step, kNoSuid | kNoExec);
      case Op::tmpfs: return mount_new(step, "tmpfs", kNoSuid | kNoDev, true);
      case Op::tmpfs_ro: return hide_dir(step, kRo | kNoSuid | kNoDev | kNoExec);
      case Op::dev: return mount_new(step, "tmpfs", kNoSuid | kNoDev | kNoExec, true);
      case Op::proc: return mount_proc(step, kNoSuid | kNoDev | kNoExec);
      case Op::host_proc: return bind_proc(step, kNoSuid | kNoDev | kNoExec);
      // The pty nodes live on the devpts mount itself: no nodev here.
      case Op::devpts: return mount_new(step, "devpts", kNoSuid | kNoExec, true);
      case Op::hide_file: return hide_file(step);
      case Op::bind_content: return bind_content(step);
      case Op::symlink: return make_symlink(step);
      case Op::remount_ro: return remount_ro(step);
      case Op::overlay: return overlay(step, kNoSuid | kNoDev);
      case Op::dir: return make_directory(step);
    }
  }

  void set_overlay_upper(std::string options) { overlay_upper_ = std::move(options); }
  void set_pid_range(std::uint64_t pid_max, std::uint64_t last_pid) {
    pid_max_ = pid_max;
    last_pid_ = last_pid;
  }

  // pivot_root(".", ".") stacks the staging root on top of the new root;
  // detaching "." then drops it together with the host root below it
  // (pivot_root(2), NOTES).
  void enter_new_root() {
    UniqueFd root = new_root();
    staging_.reset();
    oldroot_.reset();
    check_syscall(::fchdir(root.get()), "chdir to the new root");
    check_syscall(::syscall(SYS_pivot_root, ".", "."), "pivot_root into the new root");
    check_syscall(::umount2(".", MNT_DETACH), "detach the old root");
    check_syscall(::chdir("/"), "chdir to /");
  }

 private:
  // Reopened for every step: a descriptor opened before a mount on /newroot
  // would still point below that mount.
  UniqueFd new_root() const {
    return UniqueFd(as_fd(::openat(staging_.get(), "newroot", O_PATH | O_DIRECTORY | O_CLOEXEC),
                          "open /newroot"));
  }

  UniqueFd existing_target(const Step& step) const {
    UniqueFd root = new_root();
    UniqueFd target = open_in_root(root.get(), step.target, O_PATH);
    if (!target) throw SystemError(std::string(op_name(step.op)) + " " + step.target, errno);
    return target;
  }

  // The target's descriptor, creating it (and missing parents) when absent:
  // a directory, or an empty file to bind a file onto.
  UniqueFd mount_point(const std::string& target, bool directory) const {
    return mount_point_in(new_root(), target, directory);
  }

  // One root descriptor for the whole walk: nothing is mounted until the
  // step's mount point exists.
  static UniqueFd mount_point_in(const UniqueFd& root, const std::string& target, bool directory) {
    UniqueFd fd = open_in_root(root.get(), target, O_PATH);
    if (fd) return fd;
    if (errno != ENOENT) throw SystemError("open mount point " + target, errno);
    const auto [parent, name] = split_parent(target);
    UniqueFd dir = mount_point_in(root, parent, true);
    // Exactly these modes: apply() clears the umask, so the invoking
    // user's cannot make the path untraversable for the payload's user.
    const mode_t mode = directory ? 0755 : 0444;
    const int rc = directory ? ::mkdirat(dir.get(), name.c_str(), mode)
                             : ::mknodat(dir.get(), name.c_str(), S_IFREG | mode, 0);
    if (rc == -1 && errno != EEXIST) throw SystemError("create mount point " + target, errno);
    // Made here a moment ago in a directory only init writes (EEXIST: it
    // raced with nothing; it is opened as anything else would be).
    fd = rc == 0 ? UniqueFd(::openat(dir.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC))
                 : open_in_root(root.get(), target, O_PATH);
    if (!fd) throw SystemError("open mount point " + target, errno);
    return fd;
  }

  static void attach(const UniqueFd& tree, const UniqueFd& target, const Step& step) {
    check_syscall(::syscall(SYS_move_mount, tree.get(), "", target.get(), "",
                            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
                  std::string(op_name(step.op)) + " on " + step.target);
  }

  // Recursive, because a non-recursive bind of a tree with mounts inherited
  // from a more privileged namespace (locked mounts) fails with EINVAL.
  void bind(const Step& step, std::uint64_t attrs) const {
    const std::string what = std::string(op_name(step.op)) + " " + step.source + " on " + step.target;
    UniqueFd source = open_in_root(oldroot_.get(), step.source, O_PATH);
    if (!source) throw SystemError(what, errno);
    struct stat st {};
    check_syscall(::fstat(source.get(), &st), what);
    UniqueFd tree(as_fd(::syscall(SYS_open_tree, source.get(), "",
                                  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE),
                        what));
    set_attributes(tree.get(), attrs, true, what);
    attach(tree, mount_point(step.target, S_ISDIR(st.st_mode)), step);
  }

  void mount_new(const Step& step, const char* type, std::uint64_t attrs, bool create_target) const {
    UniqueFd tree = new_filesystem(type, step.source, attrs);
    attach(tree, create_target ? mount_point(step.target, true) : existing_target(step), step);
  }

  // Every hidden directory shows the same empty read-only tmpfs: the first
  // one mounted is cloned onto the others. A new tmpfs per hidden top-level
  // directory (a dozen on a usual host) was a visible part of start-up, and
  // nothing can be written to share through an empty read-only mount.
  void hide_dir(const Step& step, std::uint64_t attrs) {
    if (!empty_dir_ || empty_dir_options_ != step.source) {
      empty_dir_ = new_filesystem("tmpfs", step.source, attrs);
      empty_dir_options_ = step.source;
      attach(empty_dir_, existing_target(step), step);
      return;
    }
    const std::string what = "hide " + step.target;
    // Cloned from where it is attached: open_tree cannot clone a detached
    // mount on older kernels.
    UniqueFd tree(as_fd(::syscall(SYS_open_tree, empty_dir_.get(), "",
                                  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH), what));
    set_attributes(tree.get(), attrs, false, what);
    attach(tree, existing_target(step), step);
  }

  // The sysctl tree and the other kernel-wide knobs of a fresh proc are the
  // host's own; they are made read-only, as bubblewrap does. A uid 0 that is
  // the host's uid 0 (the root id map) would otherwise pass their uid-based
  // permission checks.
  void mount_proc(const Step& step, std::uint64_t attrs) {
    UniqueFd proc = new_filesystem("proc", step.source, attrs);
    attach(proc, mount_point(step.target, true), step);
    if (pid_max_ != 0) limit_pids(proc.get());
    protect_proc(proc.get(), step, attrs);
  }

  // Where the kernel refuses a fresh proc (a container engine's masks over
  // /proc): the existing one, with the masks over it (locked in our user
  // namespace, so they cannot be undone inside), then airlock's own.
  void bind_proc(const Step& step, std::uint64_t attrs) {
    const std::string what = "bind the existing /proc";
    UniqueFd proc(as_fd(::syscall(SYS_open_tree, oldroot_.get(), "proc",
                                  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE),
                        what));
    set_attributes(proc.get(), attrs, true, what);
    attach(proc, mount_point(step.target, true), step);
    protect_proc(proc.get(), step, attrs);
  }

  void protect_proc(int proc, const Step& step, std::uint64_t attrs) {
    mask_proc(proc);
    for (const char* knob : {"sys", "sysrq-trigger", "irq", "bus"}) {
      const std::string what = "make " + step.target + "/" + knob + " read-only";
      // Recursive: under an engine's masks these are mount points already.
      UniqueFd tree(static_cast<int>(
          ::syscall(SYS_open_tree, proc, knob, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)));
      if (!tree && errno == ENOENT) continue;  // irq and bus depend on the kernel's configuration
      if (!tree) throw SystemError(what, errno);
      set_attributes(tree.get(), attrs | MOUNT_ATTR_RDONLY, true, what);
      UniqueFd target(as_fd(::openat(proc, knob, O_PATH | O_NOFOLLOW | O_CLOEXEC), what));
      attach(tree, target, step);
    }
  }

  // The sysctls are those of the calling task's pid namespace, the
  // sandbox's (Linux 6.14+; kernel::Features::pid_max): a fork past
  // pid_max fails with EAGAIN, in nested pid namespaces too, as each level
  // allocates a pid of its own.
  void limit_pids(int proc) const {
    // Written by any other process, these would be another namespace's
    // (with the root id map, the host's).
    if (::getpid() != 1) throw Error("limits.processes: the sandbox's init is not pid 1 of its own pid namespace");
    const auto write_knob = [proc](const char* name, std::uint64_t value) {
      const std::string what = std::string("write /proc/sys/kernel/") + name + " (limits.processes)";
      UniqueFd knob(as_fd(::openat(proc, (std::string("sys/kernel/") + name).c_str(), O_WRONLY | O_CLOEXEC), what));
      const std::string text = std::to_string(value);
      if (::write(knob.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) throw SystemError(what, errno);
    };
    write_knob("pid_max", pid_max_);
    write_knob("ns_last_pid", last_pid_);
  }

  // A detached read-only bind of the staging tree's empty file.
  UniqueFd empty_file_tree(const std::string& what) {
    if (!empty_file_made_) {
      // 0444 exactly: apply() cleared the umask.
      check_syscall(::mknodat(staging_.get(), kEmptyFile, S_IFREG | 0444, 0), "create the empty file");
      empty_file_made_ = true;
    }
    UniqueFd tree(as_fd(::syscall(SYS_open_tree, staging_.get(), kEmptyFile, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC),
                        what));
    set_attributes(tree.get(), MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                   false, what);
    return tree;
  }

  void hide_file(const Step& step) {
    const std::string what = "hide_file " + step.target;
    attach(empty_file_tree(what), existing_target(step), step);
  }

  // What container engines mask in /proc (runc's default masked paths), and
  // the files that show kernel addresses or the kernel's internal state: a
  // fresh proc shows the host kernel's, and a uid 0 that is the host's
  // (the root id map) would pass their permission checks. Files get the
  // empty file, directories an empty read-only tmpfs; what this kernel does
  // not have is skipped.
  static constexpr std::array kMaskedProcFiles = {
      "kcore", "keys", "key-users", "latency_stats", "timer_list", "timer_stats", "sched_debug", "slabinfo",
      "vmallocinfo", "kallsyms", "modules", "iomem", "ioports", "kpagecount", "kpageflags", "kpagecgroup",
      "pagetypeinfo", "kmsg", "config.gz"};
  static constexpr std::array kMaskedProcDirs = {"acpi", "asound", "scsi", "driver", "fs"};

  void mask_proc(int proc) {
    for (const char* name : kMaskedProcFiles) {
      const std::string what = std::string("mask /proc/") + name;
      UniqueFd target(::openat(proc, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!target && errno == ENOENT) continue;
      if (!target) throw SystemError(what, errno);
      check_syscall(::syscall(SYS_move_mount, empty_file_tree(what).get(), "", target.get(), "",
                              MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
                    what);
    }
    // One empty read-only tmpfs, cloned onto each directory after the first
    // (a new tmpfs each was a visible part of start-up; as in hide_dir).
    constexpr std::uint64_t kEmptyAttrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
    UniqueFd first;
    for (const char* name : kMaskedProcDirs) {
      const std::string what = std::string("mask /proc/") + name;
      UniqueFd target = open_directory_nofollow(proc, name);
      if (!target && errno == ENOENT) continue;
      if (!target) throw SystemError(what, errno);
      UniqueFd empty = first ? UniqueFd(as_fd(::syscall(SYS_open_tree, first.get(), "",
                                                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH),
                                              what))
                             : new_filesystem("tmpfs", "mode=0555,size=0", kEmptyAttrs);
      if (first) set_attributes(empty.get(), kEmptyAttrs, false, what);
      check_syscall(::syscall(SYS_move_mount, empty.get(), "", target.get(), "",
                              MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
                    what);
      if (!first) first = std::move(empty);
    }
  }

  // The file is written in the staging tmpfs, which is detached with the
  // old root at the end: only the read-only bind stays reachable.
  void bind_content(const Step& step) {
    const std::string what = "bind_content " + step.target;
    const std::string name = ".airlock-content-" + std::to_string(content_files_++);
    {
      // 0444 exactly (apply() cleared the umask); the owner writes it anyway.
      UniqueFd file(as_fd(::openat(staging_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444), what));
      std::size_t done = 0;
      while (done < step.source.size()) {
        const ssize_t n = ::write(file.get(), step.source.data() + done, step.source.size() - done);
        if (n < 0 && errno == EINTR) continue;
        check_syscall(n, what + ": write");
        done += static_cast<std::size_t>(n);
      }
    }
    UniqueFd tree(as_fd(::syscall(SYS_open_tree, staging_.get(), name.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC),
                        what));
    set_attributes(tree.get(), MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                   false, what);
    attach(tree, mount_point(step.target, false), step);
  }

  // The layers live in the staging tmpfs, under names no path given to the
  // kernel needs escaping for: the host directory is bound there (resolved
  // in the host's root, so its symlinks mean what they mean on the host) and
  // a private tmpfs there holds the upper and work directories. Overlayfs
  // keeps its own private clones of both, so they outlive the staging tree,
  // which is detached with the old root; the writes go when the sandbox does.
  // userxattr: in a user namespace overlayfs may keep its metadata only in
  // user.* extended attributes.
  void overlay(const Step& step, std::uint64_t attrs) {
    const std::string what = "overlay " + step.source + " on " + step.target;
    const std::string n = std::to_string(overlays_++);
    UniqueFd lower_source = open_in_root(oldroot_.get(), step.source, O_PATH);
    if (!lower_source) throw SystemError(what, errno);
    struct stat lower_st {};
    check_syscall(::fstat(lower_source.get(), &lower_st), what);
    if (!S_ISDIR(lower_st.st_mode)) throw Error(what + ": not a directory");

    const std::string lower_name = std::string(kOverlayLowers) + n;
    check_syscall(::mkdirat(staging_.get(), lower_name.c_str(), 0700), what + ": create " + lower_name);
    UniqueFd lower(as_fd(::syscall(SYS_open_tree, lower_source.get(), "",
                                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE),
                         what));
    set_attributes(lower.get(), MOUNT_ATTR_RDONLY | attrs, true, what);
    attach(lower, UniqueFd(as_fd(::openat(staging_.get(), lower_name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC),
                                 what)),
           step);
    UniqueFd layers = overlay_layers(step, attrs);
    const std::string upper = "upper" + n;
    const std::string work = "work" + n;
    check_syscall(::mkdirat(layers.get(), upper.c_str(), 0755), what + ": create the upper layer");
    check_syscall(::mkdirat(layers.get(), work.c_str(), 0700), what + ": create the work directory");
    // The overlay's root shows the upper directory's owner and mode: the
    // host directory's, so the sandbox sees the cache as its own. An owner
    // this user namespace does not map cannot be given (EINVAL): the root
    // then stays init's, as the directory would look unmapped anyway.
    check_syscall(::fchmodat(layers.get(), upper.c_str(), lower_st.st_mode & 07777, 0),
                  what + ": chmod the upper layer");
    if (::fchownat(layers.get(), upper.c_str(), lower_st.st_uid, lower_st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 &&
        errno != EINVAL)
      throw SystemError(what + ": chown the upper layer", errno);
    const std::string base = std::string("/") + kOverlayLayers + "/";
    UniqueFd tree = new_filesystem("overlay",
                                   "lowerdir=/" + lower_name + ",upperdir=" + base + upper + ",workdir=" + base + work +
                                       ",userxattr",
                                   attrs);
    attach(tree, mount_point(step.target, true), step);
  }

  // One tmpfs holds every overlay's upper and work directories, so that
  // limits.tmp bounds all their writes together, not each.
  UniqueFd overlay_layers(const Step& step, std::uint64_t attrs) {
    if (!overlay_layers_made_) {
      const std::string what = "overlay layers";
      check_syscall(::mkdirat(staging_.get(), kOverlayLayers, 0700), what + ": create");
      UniqueFd layer = new_filesystem("tmpfs", overlay_upper_, attrs);
      attach(layer, UniqueFd(as_fd(::openat(staging_.get(), kOverlayLayers, O_PATH | O_DIRECTORY | O_CLOEXEC), what)),
             step);
      overlay_layers_made_ = true;
    }
    return UniqueFd(as_fd(::openat(staging_.get(), kOverlayLayers, O_DIRECTORY | O_CLOEXEC), "open the overlay layers"));
  }

  // Nothing is mounted on it: made in its parent, or left as it is.
  void make_directory(const Step& step) const {
    const auto [parent, name] = split_parent(step.target);
    UniqueFd dir = mount_point(parent, true);
    if (::mkdirat(dir.get(), name.c_str(), 0755) != 0 && errno != EEXIST)
      throw SystemError("create directory " + step.target, errno);
  }

  void make_symlink(const Step& step) const {
    const auto [parent, name] = split_parent(step.target);
    UniqueFd dir = mount_point(parent, true);
    check_syscall(::symlinkat(step.source.c_str(), dir.get(), name.c_str()),
                  "symlink " + step.target + " -> " + step.source);
  }

  void remount_ro(const Step& step) const {
    UniqueFd target = existing_target(step);
    set_attributes(target.get(), MOUNT_ATTR_RDONLY, false, "remount_ro " + step.target);
  }

  UniqueFd staging_;
  UniqueFd oldroot_;
  UniqueFd empty_dir_;
  std::string empty_dir_options_;
  bool empty_file_made_ = false;
  unsigned content_files_ = 0;
  unsigned overlays_ = 0;
  bool overlay_layers_made_ = false;
  std::string overlay_upper_ = "mode=0755";
  std::uint64_t pid_max_ = 0;
  std::uint64_t last_pid_ = 0;
};

class UmaskCleared {
 public:
  UmaskCleared() : saved_(::umask(0)) {}
  ~UmaskCleared() { ::umask(saved_); }
  UmaskCleared(const UmaskCleared&) = delete;
  UmaskCleared& operator=(const UmaskCleared&) = delete;

 private:
  mode_t saved_;
};

}  // namespace

void apply(const Layout& plan) {
  // Every file and directory made below gets exactly the mode asked for.
  // Only init builds the view, after the payload was forked: no one else
  // inherits the cleared umask.
  const UmaskCleared umask_cleared;
  RootBuilder builder;
  builder.enter_staging();
  builder.set_overlay_upper(plan.overlay_upper);
  builder.set_pid_range(plan.pid_max, plan.last_pid);
  for (const Step& step : plan.steps) builder.perform(step);
  builder.enter_new_root();
}

}  // namespace airlock::mounts
