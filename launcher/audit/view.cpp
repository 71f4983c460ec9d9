// The filesystem view of an audited run (session.hpp): pure.
#include <algorithm>

#include "audit/paths.hpp"
#include "audit/session.hpp"

namespace airlock::audit {
namespace {

bool hides(mounts::Op op) { return op == mounts::Op::tmpfs_ro || op == mounts::Op::hide_file || op == mounts::Op::tmpfs; }

bool served_by_sandbox(const std::string& path) {
  return path_within(path, "/tmp") || path_within(path, "/proc") || path_within(path, "/dev");
}

}  // namespace

mounts::Layout view(const policy::Filesystem& base, const Places& places, const mounts::ExistsFn& exists) {
  policy::Filesystem fs = base;
  // A minimal base would show only what it lists: nothing else could be seen to be needed.
  fs.view = policy::View::host;
  for (const auto& secret : places.secrets)
    fs.hide.push_back(policy::PathRule{secret, true, policy::SourceLoc{"audit: @secret-files"}});
  mounts::Layout plan = mounts::build(fs, exists);
  for (auto& step : plan.steps) {
    if (step.op != mounts::Op::bind_ro) continue;
    step.op = mounts::Op::bind_rw;
    step.detail += "; writable: audit mode records writes instead of refusing them";
  }
  // Read-only binds over the writable tree, each with its ancestors made
  // mount points (mounts::read_only_steps), then every mount step ordered
  // shallowest first again: a self-bind of an ancestor made after a hide
  // beneath it would show the hidden path again.
  auto write_protected = places.write_protected;
  for (const auto& rule : base.protect) write_protected.push_back(rule.path);
  auto first_remount = std::find_if(plan.steps.begin(), plan.steps.end(),
                                    [](const mounts::Step& s) { return s.op == mounts::Op::remount_ro; });
  std::vector<mounts::Step> mounts(plan.steps.begin(), first_remount);
  const std::vector<mounts::Step> remounts(first_remount, plan.steps.end());
  for (const auto& path : write_protected) {
    if (served_by_sandbox(path) || !exists(path)) continue;
    const bool hidden = std::any_of(mounts.begin(), mounts.end(), [&](const mounts::Step& s) {
      return hides(s.op) && path_within(path, s.target);
    });
    if (hidden) continue;
    // The deepest writable bind that shows the path.
    const mounts::Step* writable = nullptr;
    for (const auto& s : mounts)
      if (s.op == mounts::Op::bind_rw && path_within(path, s.target) &&
          (!writable || s.target.size() >= writable->target.size()))
        writable = &s;
    if (!writable) continue;
    for (auto& step : mounts::read_only_steps(path, writable->target, "audit: stays read-only (@shell-startup, filesystem.protect)"))
      if (std::none_of(mounts.begin(), mounts.end(), [&](const mounts::Step& s) { return s.target == step.target; }) ||
          step.target == path)
        mounts.push_back(std::move(step));
  }
  std::stable_sort(mounts.begin(), mounts.end(), [](const mounts::Step& a, const mounts::Step& b) {
    return path_depth(a.target) < path_depth(b.target);
  });
  plan.steps = std::move(mounts);
  plan.steps.insert(plan.steps.end(), remounts.begin(), remounts.end());
  return plan;
}

}  // namespace airlock::audit
