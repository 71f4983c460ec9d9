#pragma once
// A temporary directory removed with everything in it at scope exit.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace airlock::test {

class TempDir {
 public:
  // /var/tmp by default: a sandbox's /tmp is private, and fixtures must be
  // visible inside sandboxes that tests start.
  explicit TempDir(const std::string& base = "/var/tmp") {
    std::string templ = base + "/airlock-test.XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed in " + base);
    path_ = templ;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

  // Writes `content` to path()/rel, creating parent directories.
  std::string write(const std::string& rel, const std::string& content) const {
    const auto full = path_ + "/" + rel;
    std::filesystem::create_directories(std::filesystem::path(full).parent_path());
    std::ofstream(full) << content;
    return full;
  }

 private:
  std::string path_;
};

}  // namespace airlock::test
