#pragma once
// Files airlock writes for the operator outside the sandbox (the run report,
// the audit's generated profile and report). A sandboxed step can write the
// project, so it can plant symbolic links where these files go: a report
// written through `report.json -> ~/.bashrc`, or through a predictable
// temporary name, would let the step overwrite any file the supervisor can
// write. So the directory is opened once, before the run, without following
// a symbolic link inside the project, and the file is created under a random
// name with O_EXCL|O_NOFOLLOW in that directory, then renamed over the
// target. A target that is a symbolic link or not a regular file is refused.
#include <string>
#include <vector>

#include "util/fd.hpp"

namespace airlock {

class OutputFile {
 public:
  // Opens the directory that will hold `path` (relative to the working
  // directory) and checks the target. `hostile`: the places a sandboxed
  // step can write (the project, the profile's writable paths): a symbolic
  // link there is refused wherever the walk meets it; one elsewhere (a
  // system's /var/run -> /run) is followed, and its target walked the same
  // way. Throws airlock::Error (125).
  static OutputFile prepare(const std::string& path, const std::vector<std::string>& hostile,
                            const std::string& what);

  // Writes `text` atomically (a reader never sees half of it) to the file
  // prepared. Throws airlock::Error.
  void write(const std::string& text) const;

  const std::string& path() const { return shown_; }

 private:
  OutputFile(UniqueFd dir, std::string name, std::string shown, std::string what)
      : dir_(std::move(dir)), name_(std::move(name)), shown_(std::move(shown)), what_(std::move(what)) {}
  UniqueFd dir_;
  std::string name_;   // the last component
  std::string shown_;  // as the operator wrote it
  std::string what_;   // "--report", "-o"
};

}  // namespace airlock
