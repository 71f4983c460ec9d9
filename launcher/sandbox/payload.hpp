#pragma once
// The payload's steps of a run (run.cpp tells the order): init's child,
// which drops every privilege and becomes the command.
#include <optional>
#include <string>
#include <vector>

#include "sandbox/landlock.hpp"
#include "sandbox/seccomp.hpp"
#include "sandbox/spec.hpp"

namespace airlock::sandbox::payload {

// The payload's ends of the channels: all close on exec.
struct Ends {
  int control = -1;  // control_channel.hpp
  int ready = -1;    // init's words: the view is built; the sandbox is
  // The host's root, opened by init before it built the view: where the
  // Landlock rules on the host's own files are opened meanwhile. Closed
  // before anything else runs; -1: none.
  int host_root = -1;
};

void reset_signals(const std::vector<int>& ignored);
// Closes every descriptor above 2 but `pass_fds` and `ends`.
void close_inherited_fds(std::vector<int> pass_fds, const Ends& ends);
std::vector<seccomp::Program> compile_seccomp(const Spec& spec);
// Creates the Landlock ruleset and adds the rules on the host's own files
// (landlock::start); closes `host_root` (owned) in any case.
std::optional<landlock::Pending> start_landlock(const Spec& spec, int host_root);
void enter_working_directory(const std::string& cwd);
void set_no_new_privs();
// Ends the payload with 126/127 when the command was not found or may not run.
void fail_if_not_found(const Spec& spec, int control_fd);

// argv and envp for execve, built before seccomp is loaded.
struct ExecArguments {
  std::vector<std::string> argv, env;
  std::vector<char*> argv_pointers, env_pointers;
};
ExecArguments exec_arguments(const Spec& spec);

// Loads the filters; a handoff listener goes to the supervisor.
void load_seccomp(const std::vector<seccomp::Program>& programs, int control_fd);
[[noreturn]] void exec(const Spec& spec, ExecArguments& exec, int control_fd);

}  // namespace airlock::sandbox::payload
