// trust: record the project's own airlock configuration as the operator
// approved it (policy/trust.hpp), list the record, or forget it.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "policy/trust.hpp"
#include "util/error.hpp"
#include "util/path.hpp"

namespace airlock::cli {
namespace {

namespace fs = std::filesystem;

// mkdir -p with mode 0700 for what it creates.
void make_private_dirs(const std::string& dir) {
  std::string path;
  for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    path = dir.substr(0, pos);
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) throw SystemError("mkdir " + path, errno);
  }
}

// FILE as the operator named it -> its path relative to the project, which
// must hold it; a symbolic link is not followed (read_project_file refuses).
std::string relative_to_project(const std::string& file, const std::string& project) {
  std::error_code ec;
  const auto absolute = fs::absolute(file, ec).lexically_normal().string();
  auto relative = path_relative_to(absolute, project);
  if (!relative || relative->empty())
    throw Error(file + " is not in the project (" + project +
                "): only the project's own files need trust; name a file outside it directly");
  return std::move(*relative);
}

int list_record(const policy::Context& ctx) {
  const auto record = policy::load_trust_record(ctx.home, ctx.project);
  if (!record) {
    std::cout << "nothing trusted for " << ctx.project << "\n";
    return 0;
  }
  std::cout << "trusted for " << ctx.project << " (" << policy::trust_record_path(ctx.home, ctx.project) << "):\n";
  for (const auto& [path, digest] : record->files) std::cout << "  sha256 " << digest << "  " << path << "\n";
  return 0;
}

int forget_record(const policy::Context& ctx) {
  const auto path = policy::trust_record_path(ctx.home, ctx.project);
  if (::unlink(path.c_str()) != 0) {
    if (errno != ENOENT) throw SystemError("remove " + path, errno);
    std::cout << "nothing trusted for " << ctx.project << "\n";
    return 0;
  }
  std::cout << "forgot the trust record of " << ctx.project << "\n";
  return 0;
}

}  // namespace

int trust_command(const TrustArgs& args) {
  const auto ctx = policy::Context::current(args.common.project);
  if (args.list) return list_record(ctx);
  if (args.forget) return forget_record(ctx);
  policy::TrustRecord record{ctx.project, policy::scan_project_config(ctx.project)};
  for (const auto& file : args.files) {
    const auto relative = relative_to_project(file, ctx.project);
    record.files[relative] = policy::sha256_hex(policy::read_project_file(ctx.project, relative));
  }
  if (record.files.empty())
    throw Error("nothing to trust in " + ctx.project + ": no .airlock/*.toml or .airlock/policies/*.toml, and no FILE given");
  const auto path = policy::trust_record_path(ctx.home, ctx.project);
  make_private_dirs(path.substr(0, path.rfind('/')));
  OutputFile::prepare(path, {ctx.project}, "trust record").write(policy::render_trust_record(record));
  std::cout << "trusted " << record.files.size() << " file" << (record.files.size() == 1 ? "" : "s") << " of "
            << ctx.project << " as they are now:\n";
  for (const auto& [file, digest] : record.files) std::cout << "  sha256 " << digest << "  " << file << "\n";
  std::cout << "A later change to any of them, or a new file in .airlock/, is refused until you trust it again.\n";
  return 0;
}

}  // namespace airlock::cli
