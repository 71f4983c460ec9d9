#include "packages/order.hpp"

#include <map>
#include <utility>

namespace airlock::packages {
namespace {

enum class Visit { fresh, open, done };

class OrderWalk {
 public:
  explicit OrderWalk(const Installed& installed) : graph_(installed.dependency_graph) {
    for (const auto& package : installed.packages) with_scripts_.emplace(package.relative_path, &package);
  }

  InstallOrder run() {
    for (const auto& [path, package] : with_scripts_)
      if (state(path) == Visit::fresh) walk_from(path);
    return std::move(out_);
  }

 private:
  // Depth-first, with an explicit stack: a hostile lockfile may chain
  // thousands of packages, deeper than the call stack should go.
  void walk_from(const std::string& root) {
    std::vector<std::pair<std::string, std::size_t>> stack{{root, 0}};
    visits_[root] = Visit::open;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      const auto& dependencies = dependencies_of(node);
      if (next < dependencies.size()) {
        const std::string dependency = dependencies[next++];
        if (state(dependency) == Visit::open) report_cycle(stack, dependency);
        if (state(dependency) != Visit::fresh) continue;
        visits_[dependency] = Visit::open;
        stack.emplace_back(dependency, 0);
        continue;
      }
      visits_[node] = Visit::done;
      if (const auto package = with_scripts_.find(node); package != with_scripts_.end())
        out_.packages.push_back(*package->second);
      stack.pop_back();
    }
  }

  void report_cycle(const std::vector<std::pair<std::string, std::size_t>>& stack, const std::string& closing) {
    std::string cycle;
    bool in_cycle = false;
    for (const auto& frame : stack) {
      in_cycle = in_cycle || frame.first == closing;
      if (in_cycle) cycle += frame.first + " -> ";
    }
    const auto& last = stack.back().first;
    out_.warnings.push_back("dependency cycle " + cycle + closing + ": broken at " + last + " -> " + closing + " (" +
                            last + " is built first)");
  }

  const std::vector<std::string>& dependencies_of(const std::string& node) const {
    static const std::vector<std::string> kNone;
    const auto found = graph_.find(node);
    return found == graph_.end() ? kNone : found->second;
  }

  Visit state(const std::string& node) const {
    const auto found = visits_.find(node);
    return found == visits_.end() ? Visit::fresh : found->second;
  }

  const std::map<std::string, std::vector<std::string>>& graph_;
  std::map<std::string, const Package*> with_scripts_;  // by relative path
  std::map<std::string, Visit> visits_;
  InstallOrder out_;
};

}  // namespace

InstallOrder install_order(const Installed& installed) { return OrderWalk(installed).run(); }

}  // namespace airlock::packages
