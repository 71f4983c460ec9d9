// Building the mount plan: pure, no system calls except in host_path_exists.
// The effects live in mounts_apply.cpp.
#include "sandbox/mounts.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

#include "util/error.hpp"
#include "util/path.hpp"

namespace airlock::mounts {
namespace {

using policy::PathRule;

std::string in_parens(const std::string& where) { return where.empty() ? "" : " (" + where + ")"; }

std::string origin(std::string_view list, const PathRule& rule) {
  return std::string(list) + in_parens(rule.where.str());
}

// ".." is refused rather than folded (normalize_absolute); the policy layer
// never produces it.
std::string normalize(const PathRule& rule, std::string_view list) {
  const std::string& path = rule.path;
  if (path.empty() || path.front() != '/') {
    throw Error("filesystem." + std::string(list) + ": \"" + path + "\" is not an absolute path" +
                in_parens(rule.where.str()));
  }
  auto normal = normalize_absolute(path);
  if (!normal) {
    throw Error("filesystem." + std::string(list) + ": \"" + path + "\" contains \"..\"" +
                in_parens(rule.where.str()));
  }
  return std::move(*normal);
}

// Paths the sandbox serves from its own fresh mounts: a rule on them binds
// nothing from the host (binding the host's /proc/<pid> or /dev/sda back in
// would undo the point of a fresh /proc and a minimal /dev).
bool served_by_sandbox(std::string_view path) {
  return path == "/tmp" || path_within(path, "/proc") || path_within(path, "/dev");
}

// Steps that mount something a later path lookup can land in.
bool is_mount(Op op) { return op != Op::symlink && op != Op::remount_ro && op != Op::dir; }

// An empty tmpfs shows nothing below its root: a path under it is not there.
bool shows_nothing_below(Op op) { return op == Op::tmpfs || op == Op::tmpfs_ro || op == Op::dev; }

constexpr const char* kHiddenDirOptions = "mode=0755";

constexpr std::array kHostDevices = {"null", "zero", "full", "random", "urandom", "tty"};

struct ViewRule {
  std::string path;
  std::string origin;   // "write (npm-ci.toml:5:9)"
  std::string where;    // "npm-ci.toml:5:9", or empty
  bool is_dir = false;  // known for hide rules only
};

class LayoutBuilder {
 public:
  LayoutBuilder(const policy::Filesystem& fs, const ExistsFn& exists, const ListFn& list, const TopLevelFn& top)
      : fs_(fs), exists_(exists), list_(list), top_(top) {
    plan_.view = fs.view;
  }

  Layout run() {
    collect_rules();
    choose_root();
    hide_unreached_top_level();
    add_root_and_system_steps();
    add_write_steps();
    add_overlay_steps();
    add_read_steps();
    add_protect_steps();
    add_hide_steps();
    order_steps();
    return std::move(plan_);
  }

 private:
  // The normalized path of a rule whose path exists; nullopt (and a note in
  // `skipped`) for a missing optional one; an error for a missing required one.
  std::optional<std::string> existing(const PathRule& rule, std::string_view list) {
    std::string path = normalize(rule, list);
    if (exists_(path)) return path;
    if (rule.optional) {
      plan_.skipped.push_back(path);
      return std::nullopt;
    }
    throw Error("filesystem." + std::string(list) + ": \"" + path + "\" does not exist" +
                in_parens(rule.where.str()) + "; write it as \"?" + path +
                "\" if it may be missing");
  }

  void collect(const std::vector<PathRule>& rules, std::string_view list, std::vector<ViewRule>& into) {
    for (const PathRule& rule : rules) {
      std::optional<std::string> path = existing(rule, list);
      if (!path) continue;
      const bool seen = std::any_of(into.begin(), into.end(),
                                    [&](const ViewRule& r) { return r.path == *path; });
      if (!seen) into.push_back(ViewRule{*path, origin(list, rule), rule.where.str()});
    }
  }

  void collect_rules() {
    collect(fs_.read, "read", reads_);
    collect(fs_.exec, "exec", reads_);
    collect(fs_.write, "write", writes_);
    collect(fs_.hide, "hide", hides_);
    collect(fs_.devices, "devices", devices_);
    collect(fs_.protect, "protect", protects_);
    collect(fs_.overlay, "overlay", overlays_);
    for (const ViewRule& overlay : overlays_) {
      const bool also_written = std::any_of(writes_.begin(), writes_.end(),
                                            [&](const ViewRule& w) { return w.path == overlay.path; });
      if (also_written) {
        throw Error("filesystem.overlay: \"" + overlay.path + "\" is also in filesystem.write" +
                    in_parens(overlay.where) + "; a path is either written through or written to a discarded layer");
      }
      if (!exists_(overlay.path + "/")) {
        throw Error("filesystem.overlay: \"" + overlay.path + "\" is not a directory" + in_parens(overlay.where));
      }
    }
    for (ViewRule& hide : hides_) hide.is_dir = exists_(hide.path == "/" ? "/" : hide.path + "/");
    for (const ViewRule& device : devices_) {
      if (!path_within(device.path, "/dev") || device.path == "/dev") {
        throw Error("filesystem.devices: \"" + device.path + "\" is not a device node under /dev" +
                    in_parens(device.where));
      }
    }
  }

  static const ViewRule* find(const std::vector<ViewRule>& rules, const std::string& path) {
    const auto it = std::find_if(rules.begin(), rules.end(), [&](const ViewRule& r) { return r.path == path; });
    return it == rules.end() ? nullptr : &*it;
  }

  // See build() in mounts.hpp: an empty root that receives the top-level
  // entries one by one, when the host's "/" can be listed and no rule
  // grants all of it.
  void choose_root() {
    if (plan_.view != policy::View::host || !list_ || !top_) return;
    for (const auto* rules : {&reads_, &writes_, &overlays_})
      if (find(*rules, "/") != nullptr) return;
    auto entries = top_();
    if (!entries) return;
    top_entries_ = std::move(*entries);
    root_from_top_level_ = true;
    for (auto* rules : {&reads_, &writes_, &hides_, &protects_, &overlays_}) {
      std::vector<ViewRule> read_through;
      for (ViewRule& rule : *rules) {
        rule.path = through_top_links(rule.path);
        if (find(read_through, rule.path) == nullptr) read_through.push_back(std::move(rule));
      }
      *rules = std::move(read_through);
    }
  }

  // `path` with a leading top-level symlink replaced by where it leads
  // (/bin/sh -> /usr/bin/sh), again while the result starts with one.
  std::string through_top_links(std::string path) const {
    // 40: the kernel's own limit on symlinks followed in one lookup.
    for (int hops = 0; hops < 40 && path != "/"; ++hops) {
      const std::size_t end = std::min(path.find('/', 1), path.size());
      const std::string name = path.substr(1, end - 1);
      const auto link = std::find_if(top_entries_.begin(), top_entries_.end(), [&](const TopEntry& e) {
        return e.kind == TopEntry::Kind::symlink && e.name == name;
      });
      if (link == top_entries_.end()) break;
      const std::string base = link->link.starts_with('/') ? link->link : "/" + link->link;
      path = normalize_folding(base + path.substr(end));
    }
    return path;
  }

  bool covered_whole(const std::string& path) const {
    const auto covers = [&](const std::vector<ViewRule>& rules) {
      return std::any_of(rules.begin(), rules.end(), [&](const ViewRule& r) { return path_within(path, r.path); });
    };
    return covers(reads_) || covers(writes_) || covers(overlays_);
  }

  // The top-level host entries the view shows, one step each. What no rule
  // covers whole is not shown, decided from this listing alone (a directory
  // that appeared since hide_unreached_top_level() listed "/" stays empty).
  void add_top_level_steps() {
    for (const TopEntry& entry : top_entries_) {
      const std::string path = "/" + entry.name;
      if (served_by_sandbox(path)) continue;
      const ViewRule* hide = find(hides_, path);
      const bool shown = hide == nullptr && covered_whole(path);
      switch (entry.kind) {
        case TopEntry::Kind::directory:
          if (!shown) {
            add(Op::dir, path, "", hide ? hide->origin : "no rule covers it");
          } else if (find(writes_, path) == nullptr && find(overlays_, path) == nullptr) {
            add(Op::bind_ro, path, path, "host " + path + ", read-only");
          }
          break;
        case TopEntry::Kind::file:
          if (shown) add(Op::bind_ro, path, path, "host file, read-only");
          break;
        case TopEntry::Kind::symlink: add(Op::symlink, path, entry.link, "as on the host"); break;
        case TopEntry::Kind::other: break;  // a socket or device at the top of the host tree stays there
      }
    }
  }

  // See build() in mounts.hpp: the top-level host directories no rule covers
  // whole become hides; add_read_steps() and add_write_steps() bind back
  // the rules that lie inside them.
  void hide_unreached_top_level() {
    if (plan_.view != policy::View::host || !list_) return;
    const auto names = list_("/");
    if (!names) return;
    auto covers = [](const std::string& path, const std::vector<ViewRule>& rules) {
      return std::any_of(rules.begin(), rules.end(), [&](const ViewRule& r) { return path_within(path, r.path); });
    };
    for (const std::string& name : *names) {
      const std::string path = "/" + name;
      if (served_by_sandbox(path) || !exists_(path + "/")) continue;
      if (covers(path, reads_) || covers(path, writes_) || covers(path, overlays_) || covers(path, hides_)) continue;
      hides_.push_back(ViewRule{path, "no rule covers it (unix sockets of host services live in such places)", "", true});
    }
  }

  void add(Op op, std::string target, std::string source, std::string detail) {
    plan_.steps.push_back(Step{op, std::move(target), std::move(source), std::move(detail)});
  }

  void add_root_and_system_steps() {
    if (root_from_top_level_) {
      add(Op::tmpfs, "/", "mode=0755", "empty root: the host's top-level entries follow one by one");
      add_top_level_steps();
    } else if (plan_.view == policy::View::host) {
      add(Op::bind_ro, "/", "/", "host tree, read-only");
    } else {
      add(Op::tmpfs, "/", "mode=0755", "empty root (minimal view)");
    }
    add(Op::proc, "/proc", "", "fresh /proc of the sandbox's pid namespace; sys, sysrq-trigger, irq, bus read-only; what container engines mask (timer_list, keys, kcore, acpi, ...) and kernel addresses (kallsyms, vmallocinfo) empty");
    add(Op::tmpfs, "/tmp", "mode=1777", "private /tmp");
    add(Op::dev, "/dev", "mode=0755", "minimal /dev");
    for (const char* name : kHostDevices) {
      const std::string path = std::string("/dev/") + name;
      if (exists_(path)) {
        add(Op::dev_node, path, path, "standard device");
      } else {
        plan_.skipped.push_back(path);
      }
    }
    add(Op::devpts, "/dev/pts", "newinstance,ptmxmode=0666,mode=0620", "private pty instance");
    add(Op::symlink, "/dev/ptmx", "pts/ptmx", "pty multiplexer of the private instance");
    add(Op::tmpfs, "/dev/shm", "mode=1777", "private shared memory");
    add(Op::symlink, "/dev/fd", "/proc/self/fd", "");
    add(Op::symlink, "/dev/stdin", "/proc/self/fd/0", "");
    add(Op::symlink, "/dev/stdout", "/proc/self/fd/1", "");
    add(Op::symlink, "/dev/stderr", "/proc/self/fd/2", "");
    for (const ViewRule& device : devices_) add(Op::dev_node, device.path, device.path, device.origin);
  }

  void add_write_steps() {
    for (const ViewRule& rule : writes_) {
      if (!served_by_sandbox(rule.path)) add(Op::bind_rw, rule.path, rule.path, rule.origin);
    }
  }

  // Under /tmp (private already) an overlay would only add a layer.
  void add_overlay_steps() {
    for (const ViewRule& rule : overlays_) {
      if (!served_by_sandbox(rule.path)) add(Op::overlay, rule.path, rule.path, rule.origin);
    }
  }

  // The step that decides what the sandbox sees at `path`: the deepest mount
  // whose target contains it, the later one when two share a target.
  static const Step* decider(const std::vector<Step>& steps, const std::string& path) {
    const Step* best = nullptr;
    for (const Step& step : steps) {
      if (!is_mount(step.op) || !path_within(path, step.target)) continue;
      if (best == nullptr || path_depth(step.target) >= path_depth(best->target)) best = &step;
    }
    return best;
  }

  static Op hide_op(const ViewRule& hide) { return hide.is_dir ? Op::tmpfs_ro : Op::hide_file; }

  // In the host view a read/exec path is already visible (read-only) unless a
  // private tmpfs or a hidden directory covers it; only then is it bound.
  // Deciding that needs the hides, so they are considered as candidates here.
  bool covered(const std::string& path, const std::vector<Step>& reads_so_far) const {
    std::vector<Step> view = plan_.steps;
    for (const ViewRule& hide : hides_) view.push_back(Step{hide_op(hide), hide.path, "", ""});
    view.insert(view.end(), reads_so_far.begin(), reads_so_far.end());
    const Step* top = decider(view, path);
    return top != nullptr && shows_nothing_below(top->op) && top->target != path;
  }

  void add_read_steps() {
    std::vector<ViewRule> reads;
    for (const ViewRule& rule : reads_) {
      auto same = [&](const ViewRule& w) { return w.path == rule.path; };
      const bool also_written = std::any_of(writes_.begin(), writes_.end(), same) ||
                                std::any_of(overlays_.begin(), overlays_.end(), same);
      if (!also_written && !served_by_sandbox(rule.path)) reads.push_back(rule);
    }
    if (plan_.view == policy::View::minimal) {
      for (const ViewRule& rule : reads) add(Op::bind_ro, rule.path, rule.path, rule.origin);
      return;
    }
    // Shallowest first, so that a bind made for a path covers the paths below it.
    std::stable_sort(reads.begin(), reads.end(),
                     [](const ViewRule& a, const ViewRule& b) { return path_depth(a.path) < path_depth(b.path); });
    std::vector<Step> needed;
    for (const ViewRule& rule : reads) {
      if (covered(rule.path, needed)) needed.push_back(Step{Op::bind_ro, rule.path, rule.path, rule.origin});
    }
    plan_.steps.insert(plan_.steps.end(), needed.begin(), needed.end());
  }

  // A protected path is bound read-only where a writable bind would show it
  // writable; elsewhere it is read-only already, or not there at all (a
  // minimal view must not gain it), or hidden (hide wins).
  void add_protect_steps() {
    std::vector<ViewRule> protects = protects_;
    std::stable_sort(protects.begin(), protects.end(),
                     [](const ViewRule& a, const ViewRule& b) { return path_depth(a.path) < path_depth(b.path); });
    for (const ViewRule& rule : protects) {
      if (served_by_sandbox(rule.path)) continue;
      const Step* top = decider(plan_.steps, rule.path);
      if (top == nullptr || top->op != Op::bind_rw) continue;
      for (auto& step : read_only_steps(rule.path, top->target, rule.origin)) plan_.steps.push_back(std::move(step));
    }
  }

  // A hide is applied where its path is visible in the sandbox; a path under
  // a private tmpfs or an already hidden directory is not there to hide.
  void add_hide_steps() {
    std::vector<ViewRule> hides = hides_;
    std::stable_sort(hides.begin(), hides.end(),
                     [](const ViewRule& a, const ViewRule& b) { return path_depth(a.path) < path_depth(b.path); });
    for (const ViewRule& hide : hides) {
      const Step* top = decider(plan_.steps, hide.path);
      if (top == nullptr || (shows_nothing_below(top->op) && top->target != hide.path)) continue;
      add(hide_op(hide), hide.path, hide.is_dir ? kHiddenDirOptions : "", hide.origin);
    }
  }

  // Mount steps shallowest target first (stable, so the order above breaks
  // ties: system, devices, write, read, hide). Directories that receive
  // nested mount points stay writable until every mount is made, then
  // remount_ro steps make them read-only.
  void order_steps() {
    std::vector<Step>& steps = plan_.steps;
    std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
      return path_depth(a.target) < path_depth(b.target);
    });
    std::vector<Step> remounts;
    for (Step& step : steps) {
      if (step.op != Op::tmpfs_ro || !has_nested_steps(step)) continue;
      step.op = Op::tmpfs;
      step.detail += ", read-only once the paths below are mounted";
      remounts.push_back(Step{Op::remount_ro, step.target, "", "hidden directory"});
    }
    remounts.push_back(Step{Op::remount_ro, "/dev", "", "minimal /dev"});
    if (plan_.view == policy::View::minimal || root_from_top_level_) {
      remounts.push_back(Step{Op::remount_ro, "/", "", "empty root"});
    }
    steps.insert(steps.end(), remounts.begin(), remounts.end());
  }

  bool has_nested_steps(const Step& dir) const {
    return std::any_of(plan_.steps.begin(), plan_.steps.end(), [&](const Step& step) {
      return step.target != dir.target && path_within(step.target, dir.target);
    });
  }

  const policy::Filesystem& fs_;
  const ExistsFn& exists_;
  const ListFn& list_;
  const TopLevelFn& top_;
  bool root_from_top_level_ = false;
  std::vector<TopEntry> top_entries_;
  Layout plan_;
  std::vector<ViewRule> reads_, writes_, hides_, devices_, protects_, overlays_;
};

}  // namespace

Layout build(const policy::Filesystem& fs, const ExistsFn& exists, const ListFn& list, const TopLevelFn& top) {
  return LayoutBuilder(fs, exists, list, top).run();
}

std::optional<std::vector<TopEntry>> host_top_level() {
  const std::unique_ptr<DIR, int (*)(DIR*)> root(::opendir("/"), ::closedir);
  if (!root) return std::nullopt;
  std::vector<TopEntry> entries;
  while (const dirent* e = ::readdir(root.get())) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(root.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
    TopEntry entry{name, TopEntry::Kind::other, {}};
    if (S_ISDIR(st.st_mode)) entry.kind = TopEntry::Kind::directory;
    if (S_ISREG(st.st_mode)) entry.kind = TopEntry::Kind::file;
    if (S_ISLNK(st.st_mode)) {
      std::array<char, 4096> buf{};
      const ssize_t n = ::readlinkat(::dirfd(root.get()), e->d_name, buf.data(), buf.size() - 1);
      if (n < 0) continue;
      entry.kind = TopEntry::Kind::symlink;
      entry.link.assign(buf.data(), static_cast<std::size_t>(n));
    }
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(), [](const TopEntry& a, const TopEntry& b) { return a.name < b.name; });
  return entries;
}

std::vector<Step> read_only_steps(const std::string& path, const std::string& writable, const std::string& detail) {
  std::vector<Step> out;
  for (auto slash = path.find('/', writable == "/" ? 1 : writable.size() + 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const auto dir = path.substr(0, slash);
    out.push_back(Step{Op::bind_rw, dir, dir, "keeps " + path + " in place (a mount point cannot be renamed)"});
  }
  out.push_back(Step{Op::bind_ro, path, path, detail});
  return out;
}

void add_file(Layout& plan, std::string target, std::string content, std::string detail) {
  // A hidden directory above the file (an empty read-only tmpfs) must stay
  // writable until the mount point is made, then become read-only, as
  // order_steps() does for the plan's own nested steps.
  std::vector<Step> remounts;
  for (Step& step : plan.steps) {
    if (step.op != Op::tmpfs_ro || !path_within(target, step.target) || step.target == target) continue;
    step.op = Op::tmpfs;
    step.detail += ", read-only once the paths below are mounted";
    remounts.push_back(Step{Op::remount_ro, step.target, "", "hidden directory"});
  }
  auto first_remount = std::find_if(plan.steps.begin(), plan.steps.end(),
                                    [](const Step& step) { return step.op == Op::remount_ro; });
  first_remount = plan.steps.insert(first_remount,
                                    Step{Op::bind_content, std::move(target), std::move(content), std::move(detail)});
  plan.steps.insert(std::next(first_remount), remounts.begin(), remounts.end());
}

std::string follow_host_symlinks(const std::string& path) {
  std::string current = path;
  // 40: the kernel's own limit on symlinks followed in one lookup.
  for (int hops = 0; hops < 40; ++hops) {
    std::array<char, 4096> buf{};
    const ssize_t n = ::readlink(current.c_str(), buf.data(), buf.size() - 1);
    if (n < 0) return current;  // not a symlink, or gone: the path itself
    std::string link(buf.data(), static_cast<std::size_t>(n));
    if (!link.starts_with('/')) link = current.substr(0, current.rfind('/') + 1) + link;
    current = normalize_folding(link);
  }
  return current;
}

void use_host_proc(Layout& plan) {
  for (auto& step : plan.steps) {
    if (step.op != Op::proc) continue;
    step.op = Op::host_proc;
    step.detail = "the existing /proc (a fresh one is refused under its masks), masks kept; " + step.detail;
  }
}

void limit_private_tmp(Layout& plan, std::uint64_t bytes) {
  plan.overlay_upper += ",size=" + std::to_string(bytes);
  for (auto& step : plan.steps)
    if (step.op == Op::tmpfs && (step.target == "/tmp" || step.target == "/dev/shm"))
      step.source += ",size=" + std::to_string(bytes);
}

void add_terminal(Layout& plan, const std::string& host_tty) {
  constexpr std::string_view kConsole = "/dev/console";
  if (!path_within(host_tty, "/dev") || host_tty == "/dev") {
    throw Error("the terminal \"" + host_tty + "\" is not a device under /dev");
  }
  // Before the first deeper mount and before the remounts, so that the plan
  // stays ordered shallowest first and /dev is still writable.
  const auto at = std::find_if(plan.steps.begin(), plan.steps.end(), [&](const Step& step) {
    return step.op == Op::remount_ro || path_depth(step.target) > path_depth(kConsole);
  });
  plan.steps.insert(at, Step{Op::dev_node, std::string(kConsole), host_tty, "the caller's terminal, for ttyname(3)"});
}

bool host_path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string_view op_name(Op op) {
  switch (op) {
    case Op::bind_ro: return "bind_ro";
    case Op::bind_rw: return "bind_rw";
    case Op::tmpfs: return "tmpfs";
    case Op::tmpfs_ro: return "tmpfs_ro";
    case Op::hide_file: return "hide_file";
    case Op::bind_content: return "bind_content";
    case Op::proc: return "proc";
    case Op::dev: return "dev";
    case Op::devpts: return "devpts";
    case Op::dev_node: return "dev_node";
    case Op::symlink: return "symlink";
    case Op::overlay: return "overlay";
    case Op::remount_ro: return "remount_ro";
    case Op::dir: return "dir";
    case Op::host_proc: return "host_proc";
  }
  return "?";
}

std::string host_identical_base(const Layout& plan, const std::string& path) {
  if (path.find("/..") != std::string::npos) return "";
  const Step* covering = nullptr;
  for (const auto& step : plan.steps)
    if (step.op != Op::remount_ro && path_within(path, step.target)) covering = &step;
  if (covering == nullptr || covering->source != covering->target) return "";
  const bool bind = covering->op == Op::bind_ro || covering->op == Op::bind_rw || covering->op == Op::dev_node;
  return bind ? covering->target : "";
}

std::string describe(const Layout& plan) {
  std::string out = plan.view == policy::View::host ? "view: host\n" : "view: minimal\n";
  for (const Step& step : plan.steps) {
    std::string line = "  " + std::string(op_name(step.op));
    line.resize(std::max<std::size_t>(line.size() + 1, 14), ' ');
    line += step.target;
    const std::size_t target_column = line.size() - step.target.size();
    const bool binds =
        step.op == Op::bind_ro || step.op == Op::bind_rw || step.op == Op::dev_node || step.op == Op::overlay;
    if (step.op == Op::symlink) {
      line += " -> " + step.source;
    } else if (step.op == Op::bind_content) {
      line += " (" + std::to_string(step.source.size()) + " bytes)";
    } else if (binds && step.source != step.target) {
      line += " <- " + step.source;
    } else if (!binds && !step.source.empty()) {
      line += " (" + step.source + ")";
    }
    if (!step.detail.empty()) {
      line.resize(std::max(line.size() + 2, target_column + 36), ' ');
      line += "# " + step.detail;
    }
    out += line + "\n";
  }
  for (const std::string& path : plan.skipped) out += "  skipped (does not exist): " + path + "\n";
  return out;
}

}  // namespace airlock::mounts
