#pragma once
// Collects every problem found in a profile so that one `airlock check`
// shows them all, each as "file:line:column: key: what is wrong".
#include <string>
#include <vector>

#include "policy/policy.hpp"
#include "util/error.hpp"

namespace airlock::policy {

class ProfileError : public Error {
 public:
  explicit ProfileError(std::vector<std::string> messages);
  const std::vector<std::string>& messages() const noexcept { return messages_; }

 private:
  std::vector<std::string> messages_;
};

class Diagnostics {
 public:
  void error(const SourceLoc& where, const std::string& key, const std::string& message);
  bool empty() const noexcept { return messages_.empty(); }
  // Throws ProfileError holding everything collected so far, if anything was.
  void throw_if_any() const;

 private:
  std::vector<std::string> messages_;
};

}  // namespace airlock::policy
