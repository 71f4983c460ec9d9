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
  bool empty() const noexcept { return entries_.empty(); }
  // Throws ProfileError holding everything collected so far, if anything
  // was: file by file in the order each was first named, in line and column
  // order within a file, each message once (the stages of resolve() find
  // problems in their own order).
  void throw_if_any() const;

 private:
  struct Entry {
    std::size_t file;  // index into files_
    unsigned line, column;
    std::string message;
  };
  std::vector<std::string> files_;
  std::vector<Entry> entries_;
};

}  // namespace airlock::policy
