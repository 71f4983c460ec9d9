#include "policy/trust.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <vector>

#include "policy/catalog.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/files.hpp"

namespace airlock::policy {
namespace {

constexpr const char* kConfigDir = ".airlock";
constexpr const char* kHeader = "# airlock trust record, written by `airlock trust`; run it again instead of editing";

UniqueFd open_project(const std::string& project) {
  UniqueFd fd(::open(project.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw SystemError("open the project directory " + project, errno);
  return fd;
}

std::string read_project_file_at(int project_fd, const std::string& relative) {
  // O_NONBLOCK: a FIFO a step put there must not hang airlock (read_regular_file
  // then refuses anything but a regular file).
  auto fd = open_beneath(project_fd, relative, O_RDONLY | O_NONBLOCK);
  if (!fd) {
    const int err = errno;
    if (err == ELOOP || err == EXDEV)
      throw Error(relative + " in the project is (or lies behind) a symbolic link: airlock does not follow a link a "
                  "sandboxed step could retarget");
    throw SystemError("open " + relative + " in the project", err);
  }
  return read_regular_file(fd.get(), relative, kMaxProfileBytes);
}

void scan_dir(int project_fd, const std::string& relative, std::map<std::string, std::string>& out) {
  auto dir = open_beneath(project_fd, relative, O_RDONLY | O_DIRECTORY);
  if (!dir) {
    if (errno == ENOENT) return;
    if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV)
      throw Error(relative + " in the project is a symbolic link or not a directory: airlock does not follow a "
                  "link a sandboxed step could retarget; make it a real directory");
    throw SystemError("open " + relative, errno);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::fdopendir(dir.release()), ::closedir);
  if (!listing) throw SystemError("list " + relative, errno);
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(listing.get())) {
    const std::string name = e->d_name;
    if (name.ends_with(".toml")) names.push_back(name);
  }
  for (const auto& name : names) {
    if (name.find('\n') != std::string::npos) throw Error(relative + ": a file name with a newline is refused");
    const auto path = relative + "/" + name;
    out[path] = sha256_hex(read_project_file_at(project_fd, path));
  }
}

}  // namespace

std::string read_project_file(const std::string& project, const std::string& relative) {
  const auto dir = open_project(project);
  return read_project_file_at(dir.get(), relative);
}

std::string sha256_hex(std::string_view data) {
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, data.size(), reinterpret_cast<const std::uint8_t*>(data.data()));
  std::array<std::uint8_t, SHA256_DIGEST_SIZE> digest{};
  sha256_digest(&ctx, digest.size(), digest.data());
  return to_hex(digest);
}

std::string user_config_dir(const std::string& home) {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg == '/') return std::string(xdg) + "/airlock";
  return home + "/.config/airlock";
}

std::string trust_record_path(const std::string& home, const std::string& project) {
  return user_config_dir(home) + "/trust/" + sha256_hex(project);
}

std::string render_trust_record(const TrustRecord& record) {
  std::string out = std::string(kHeader) + "\nproject " + record.project + "\n";
  for (const auto& [path, digest] : record.files) out += "sha256 " + digest + " " + path + "\n";
  return out;
}

TrustRecord parse_trust_record(const std::string& text, const std::string& origin) {
  TrustRecord record;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line.starts_with('#')) continue;
    if (line.starts_with("project ")) {
      record.project = line.substr(8);
    } else if (line.starts_with("sha256 ") && line.size() > 7 + 64 + 1 && line[7 + 64] == ' ') {
      record.files[line.substr(7 + 64 + 1)] = line.substr(7, 64);
    } else {
      throw Error(origin + ":" + std::to_string(number) + ": not a trust record line; run `airlock trust` again");
    }
  }
  if (record.project.empty()) throw Error(origin + ": no project line; run `airlock trust` again");
  return record;
}

std::optional<TrustRecord> load_trust_record(const std::string& home, const std::string& project) {
  const auto path = trust_record_path(home, project);
  auto text = read_text_file(path);
  if (!text) return std::nullopt;
  auto record = parse_trust_record(*text, path);
  if (record.project != project)
    throw Error(path + ": records " + record.project + ", not " + project + "; run `airlock trust` again");
  return record;
}

std::map<std::string, std::string> scan_project_config(const std::string& project) {
  const auto dir = open_project(project);
  std::map<std::string, std::string> out;
  scan_dir(dir.get(), kConfigDir, out);
  if (!out.empty() || ::faccessat(dir.get(), kConfigDir, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    scan_dir(dir.get(), std::string(kConfigDir) + "/policies", out);
  return out;
}

std::vector<std::string> trust_differences(const std::map<std::string, std::string>& now, const TrustRecord& record) {
  std::vector<std::string> out;
  for (const auto& [path, digest] : now) {
    const auto it = record.files.find(path);
    if (it == record.files.end())
      out.push_back(path + ": new since the project was trusted");
    else if (it->second != digest)
      out.push_back(path + ": changed since the project was trusted");
  }
  return out;
}

}  // namespace airlock::policy
