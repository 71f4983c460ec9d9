// The filesystem view of an audited run (session.hpp): pure.
#include <algorithm>

#include "audit/paths.hpp"
#include "audit/session.hpp"

namespace airlock::audit {
namespace {

bool hides(mounts::Op op) { return op == mounts::Op::tmpfs_ro || op == mounts::Op::hide_file || op == mounts::Op::tmpfs; }

bool served_by_sandbox(const std::string& path) {
  return paths::within(path, "/tmp") || paths::within(path, "/proc") || paths::within(path, "/dev");
}

}  // namespace

mounts::Plan view(const policy::Filesystem& base, const Places& places, const mounts::ExistsFn& exists) {
  policy::Filesystem fs = base;
  // A minimal base would show only what it lists: nothing else could be seen to be needed.
  fs.view = policy::View::host;
  for (const auto& secret : places.secrets)
    fs.hide.push_back(policy::PathRule{secret, true, policy::SourceLoc{"audit: @secret-files"}});
  mounts::Plan plan = mounts::build(fs, exists);
  for (auto& step : plan.steps) {
    if (step.op != mounts::Op::bind_ro) continue;
    step.op = mounts::Op::bind_rw;
    step.detail += "; writable: audit mode records writes instead of refusing them";
  }
  // Read-only binds over the writable tree, after every other mount so that
  // they lie on top, before the final remounts.
  const auto first_remount = std::find_if(plan.steps.begin(), plan.steps.end(),
                                          [](const mounts::Step& s) { return s.op == mounts::Op::remount_ro; });
  std::vector<mounts::Step> protect;
  for (const auto& path : places.write_protected) {
    if (served_by_sandbox(path) || !exists(path)) continue;
    const bool hidden = std::any_of(plan.steps.begin(), plan.steps.end(), [&](const mounts::Step& s) {
      return hides(s.op) && paths::within(path, s.target);
    });
    const bool seen = std::any_of(protect.begin(), protect.end(), [&](const mounts::Step& s) { return s.target == path; });
    if (!hidden && !seen)
      protect.push_back(mounts::Step{mounts::Op::bind_ro, path, path, "audit: @shell-startup stays read-only"});
  }
  plan.steps.insert(first_remount, protect.begin(), protect.end());
  return plan;
}

}  // namespace airlock::audit
