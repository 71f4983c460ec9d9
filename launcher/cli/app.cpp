#include "cli/app.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstring>
#include <iostream>

#include "cli/commands.hpp"
#include "policy/diagnostics.hpp"
#include "report/logging.hpp"
#include "util/error.hpp"

namespace airlock::cli {
namespace {

constexpr const char* kIntro =
    "airlock runs a command in a least-privilege sandbox built from a TOML profile:\n"
    "namespaces, a read-only filesystem view with secrets hidden, Landlock, seccomp,\n"
    "no capabilities and a scrubbed environment. No setuid, no daemon.";

constexpr const char* kFooter =
    "\nExamples:\n"
    "  airlock run -- make test                 run with the default profile\n"
    "  airlock run --profile npm-ci -- npm ci   install from the lockfile, registry only\n"
    "  airlock explain --profile ci-step        show what a profile resolves to\n"
    "  airlock doctor                           check what this kernel can enforce\n"
    "  airlock audit -o npm.toml -- npm ci      watch a command, write the profile it needs\n"
    "\nExit status: the command's own; 128+N if it was killed by signal N; 124 timeout;\n"
    "125 airlock's own error (bad profile, sandbox set-up failed, layer unavailable);\n"
    "126 command not executable; 127 command not found; 122 the command left a control\n"
    "file behind (.envrc, .git/, ...: moved aside, see airlock(1)).\n"
    "\nRun `airlock SUBCOMMAND --help` for the options of each subcommand.";

constexpr const char* kAuditFooter =
    "\nRuns the command with nothing enforced (the base profile's view, secrets hidden, the host tree\n"
    "writable with your own permissions, the network through the egress gateway in log-only mode), records\n"
    "what it opens, creates, removes, executes, the names it resolves and what it connects to, and which\n"
    "refused system calls it makes, then writes a profile that extends the base with exactly that:\n"
    "paths collapsed to directories, destinations as name:port. Known secrets are reported, never\n"
    "granted. `airlock run --audit` does the same run and only reports what the profile would refuse.\n"
    "\nExamples:\n"
    "  airlock audit -o build.toml -- make -j2\n"
    "  airlock audit --profile npm-scripts -o scripts.toml --report audit.json -- npm rebuild\n"
    "  airlock run --profile build.toml -- make -j2     # then enforce it";

constexpr const char* kRunFooter =
    "\nThe command follows `--` (or the first word that is not an option).\n"
    "Every layer the profile asks for is enforced or the run is refused (exit 125),\n"
    "unless --best-effort accepts a weaker sandbox; `airlock doctor` shows which.\n"
    "\nExamples:\n"
    "  airlock run -- make -j2\n"
    "  airlock run --profile ci-step --allow-write /var/tmp/out -- ./build.sh\n"
    "  airlock run --timeout 10m --report run.json -- npm test";

constexpr const char* kInstallScriptsFooter =
    "\nRun in the project after an install with scripts off. Finds every installed dependency with\n"
    "install scripts (preinstall, install, postinstall, and `node-gyp rebuild` for a binding.gyp), npm\n"
    "and pnpm layouts, and runs those approved (package.json \"allowScripts\", pnpm's\n"
    "onlyBuiltDependencies/allowBuilds, --allow), dependencies first, each package in a sandbox of its\n"
    "own: it writes only its own directory and a private /tmp, reads node_modules and the toolchain,\n"
    "builds native code against the system's Node headers, reaches no network and sees no token\n"
    "(unless the profile's [install_scripts] allow_net names a destination for it). Every refusal is\n"
    "named per package. Exit status 0 when every approved script succeeded, 1 when one failed,\n"
    "125 on bad input.\n"
    "\nExamples:\n"
    "  airlock run --profile npm-ci -- npm ci      # fetch, scripts off\n"
    "  airlock install-scripts --list              # what would run, what is skipped\n"
    "  airlock install-scripts --allow esbuild --report scripts.json\n"
    "  airlock run --profile npm-test -- npm test";

// The option of `sub` (or of the top level, which options fall through
// to) that `word` names, and whether its value is attached ("--x=v", "-pv").
const CLI::Option* option_named(const CLI::App& top, const CLI::App& sub, const std::string& word, bool& attached) {
  const bool long_form = word.starts_with("--");
  const std::string name = long_form ? word.substr(0, word.find('=')) : word.substr(0, 2);
  attached = long_form ? word.find('=') != std::string::npos : word.size() > 2;
  const auto* option = sub.get_option_no_throw(name);
  return option != nullptr ? option : top.get_option_no_throw(name);
}

// `airlock run|audit [OPTIONS] [--] COMMAND [ARGS...]`: the command is cut
// off before CLI11 parses, which would take its options for airlock's. It
// starts after `--`, or at the first word that is neither an option of
// airlock's nor an option's value. An unknown option stops the search:
// CLI11 then names it.
std::vector<std::string> cut_command(std::vector<std::string>& args, const CLI::App& top) {
  auto word = std::find_if(args.begin(), args.end(), [](const std::string& a) { return a == "run" || a == "audit"; });
  if (word == args.end()) return {};
  const CLI::App& sub = *top.get_subcommand(*word);
  for (++word; word != args.end(); ++word) {
    const bool separator = *word == "--";
    if (separator || !word->starts_with('-') || *word == "-") {
      std::vector<std::string> command(separator ? word + 1 : word, args.end());
      args.erase(word, args.end());
      return command;
    }
    bool attached = false;
    const auto* option = option_named(top, sub, *word, attached);
    if (option == nullptr) return {};
    if (option->get_expected_max() > 0 && !attached && ++word == args.end()) return {};
  }
  return {};
}

void add_common(CLI::App* app, Common& common, bool with_project = true) {
  if (with_project)
    app->add_option("--project", common.project, "Project directory: what ${project} means (default: the working directory)");
}

void add_overrides(CLI::App* app, policy::Overrides& o) {
  app->add_option("--allow-read", o.allow_read, "Also allow reading PATH (repeatable)")->type_name("PATH");
  app->add_option("--allow-write", o.allow_write, "Also allow writing PATH (repeatable)")->type_name("PATH");
  app->add_option("--allow-exec", o.allow_exec, "Also allow executing from PATH (repeatable)")->type_name("PATH");
  app->add_option("--allow-net", o.allow_net, "Also allow connecting to HOST:PORT (repeatable; implies network.mode=allowlist)")
      ->type_name("HOST:PORT");
  app->add_option("--forward", o.forward,
                  "Reach the host's loopback service at ADDR:PORT at the same address inside (repeatable)")
      ->type_name("ADDR:PORT");
  app->add_option("--publish", o.publish,
                  "Serve the sandbox's ADDR:PORT on the host at ADDR:PORT, loopback only (repeatable)")
      ->type_name("ADDR:PORT");
  app->add_option("--keep-env", o.keep_env, "Also pass environment variable NAME (glob; secrets still dropped)")
      ->type_name("NAME");
  app->add_option("--timeout", o.timeout, "Kill the command after DUR (e.g. 30s, 10m, 1h30m); exit 124")->type_name("DUR");
  app->add_flag("--best-effort", o.best_effort,
                "Run even when the kernel cannot enforce every layer; the report says what was missing");
}

int parse_error(const CLI::ParseError& e, CLI::App& app) {
  if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
  std::cerr << "airlock: error: " << e.what() << "\n(run `airlock --help` or `airlock SUBCOMMAND --help`)\n";
  return kExitOwnError;
}

// Everything the command line can say, filled in by CLI11 as it parses.
struct Invocation {
  int verbose = 0;
  bool quiet = false;
  std::string log_format = "text";
  RunArgs run;
  AuditArgs audit;
  std::vector<std::string> check_profiles;
  Common check_common;
  std::string explain_profile = policy::kDefaultProfile;
  Common explain_common;
  policy::Overrides explain_overrides;
  Common profiles_common;
  TrustArgs trust;
  InstallScriptsArgs install_scripts;
  std::string doctor_profile = policy::kDefaultProfile;
  Common doctor_common;
  bool doctor_containers = false;
  // COMMAND for --help only: the command is cut off before parsing (cut_command).
  std::vector<std::string> usage_only;
  // Each subcommand, to tell which one was given.
  CLI::App *run_cmd = nullptr, *audit_cmd = nullptr, *check_cmd = nullptr, *explain_cmd = nullptr,
           *profiles_cmd = nullptr, *trust_cmd = nullptr, *doctor_cmd = nullptr, *install_scripts_cmd = nullptr;
  int verbosity() const { return quiet ? -1 : verbose; }
};

void define_run(CLI::App& run, Invocation& in) {
  run.footer(kRunFooter);
  run.add_option("-p,--profile", in.run.profile, "Profile name or file (default: default)")->type_name("P");
  add_common(&run, in.run.common);
  add_overrides(&run, in.run.overrides);
  run.add_option("--set-env", in.run.overrides.set_env, "Set K=V inside (repeatable)")->type_name("K=V");
  run.add_option("--report", in.run.report_path, "Write a JSON run report to FILE")->type_name("FILE");
  run.add_flag("--audit", in.run.audit,
               "Enforce nothing: run and report everything the profile would refuse (complain mode)");
  run.add_option("COMMAND", in.usage_only, "The command and its arguments, after `--` or the options")
      ->expected(0, -1);
}

void define_audit(CLI::App& audit, Invocation& in) {
  audit.footer(kAuditFooter);
  audit.add_option("-p,--profile", in.audit.profile, "Base profile the generated one extends (default: default)")
      ->type_name("BASE");
  audit.add_option("-o,--output", in.audit.output, "Write the generated profile to FILE")
      ->type_name("FILE")
      ->required();
  audit.add_option("--report", in.audit.report_path, "Write a JSON audit report to FILE")->type_name("FILE");
  add_common(&audit, in.audit.common);
  audit.add_option("--timeout", in.audit.overrides.timeout, "Kill the command after DUR; exit 124")->type_name("DUR");
  audit.add_flag("--best-effort", in.audit.overrides.best_effort,
                 "Run even without namespaces (then secrets are NOT hidden from the command)");
  audit.add_option("COMMAND", in.usage_only, "The command and its arguments, after `--` or the options")
      ->expected(0, -1);
}

void define_install_scripts(CLI::App& scripts, Invocation& in) {
  scripts.add_option("--allow", in.install_scripts.allow,
                     "Approve NAME (or NAME@VERSION) besides the project's approval lists (repeatable)")
      ->type_name("NAME");
  scripts.add_flag("--no-project-approvals", in.install_scripts.no_project_approvals,
                   "Ignore the approval lists in the project (package.json, pnpm-workspace.yaml): only --allow");
  scripts.add_option("-p,--profile", in.install_scripts.profile,
                     "Profile each package's scripts run under (default: npm-install-script)")
      ->type_name("P");
  scripts.add_option("--report", in.install_scripts.report_path, "Write a JSON report, one entry per package, to FILE")
      ->type_name("FILE");
  scripts.add_flag("--list", in.install_scripts.list, "Say what would run and what is skipped; run nothing");
  add_common(&scripts, in.install_scripts.common);
  scripts.footer(kInstallScriptsFooter);
}

void define_check(CLI::App& check, Invocation& in) {
  check.add_option("profile", in.check_profiles, "Profile names or files")->required();
  add_common(&check, in.check_common);
  check.footer("\nExit status 0 when every profile is valid, 125 otherwise.");
}

void define_explain(CLI::App& explain, Invocation& in) {
  explain.add_option("-p,--profile", in.explain_profile, "Profile name or file (default: default)")->type_name("P");
  add_common(&explain, in.explain_common);
  add_overrides(&explain, in.explain_overrides);
  explain.footer("\nPrints the resolved policy as a flat TOML profile, each entry with its origin.");
}

void define_profiles(CLI::App& profiles, Invocation& in) {
  add_common(&profiles, in.profiles_common);
  profiles.footer(
      "\nSearch order: ./.airlock/ (only once trusted: `airlock trust --help`), "
      "$XDG_CONFIG_HOME/airlock/profiles, /etc/airlock/profiles, built-in.");
}

void define_trust(CLI::App& trust, Invocation& in) {
  trust.add_option("file", in.trust.files, "Also trust these profile files of the project (named by path)");
  trust.add_flag("--list", in.trust.list, "Show what is trusted for the project");
  trust.add_flag("--forget", in.trust.forget, "Remove the project's trust record");
  add_common(&trust, in.trust.common);
  trust.footer(
      "\nEvery sandboxed step can write the project, so airlock never uses the project's own\n"
      "configuration (./.airlock/*.toml, ./.airlock/policies/*.toml, a profile file in the project)\n"
      "unless you trusted its exact content: `airlock trust` records each file's SHA-256 in\n"
      "$XDG_CONFIG_HOME/airlock/trust/ (never writable inside a sandbox). A file changed or added\n"
      "since is refused (exit 125) until you review it and trust again. Trust a fresh checkout\n"
      "before the first sandboxed step, never after one ran.\n"
      "\nExamples:\n"
      "  airlock trust                      trust ./.airlock/ as it is now\n"
      "  airlock trust ci/airlock.toml      and a profile file elsewhere in the project\n"
      "  airlock trust --list");
}

void define_doctor(CLI::App& doctor, Invocation& in) {
  doctor.add_option("-p,--profile", in.doctor_profile, "Profile to check against (default: default)")->type_name("P");
  doctor.add_flag("--containers", in.doctor_containers,
                  "Only say what each container engine must allow for airlock to build its sandbox");
  add_common(&doctor, in.doctor_common);
  doctor.footer("\nOne line per kernel feature. Exit status 0 when the profile can be enforced here, 125 otherwise.");
}

// The command line's grammar: the top-level options and every subcommand,
// each with its options, help text and examples when `args` names it. CLI11
// builds each option's matchers and validators as it is defined (half a
// million instructions for all eight subcommands, a fifth of `airlock run`'s
// own start-up): a subcommand not named cannot be the one parsed, and its
// name and description are all that the top-level help and CLI11's errors show.
void define_command_line(CLI::App& app, Invocation& in, const std::vector<std::string>& args) {
  const auto named = [&args](const char* name) { return std::find(args.begin(), args.end(), name) != args.end(); };
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("airlock ") + AIRLOCK_VERSION);
  app.require_subcommand(1);
  app.add_flag("-v,--verbose", in.verbose, "More detail on stderr (repeat for debug)");
  app.add_flag("-q,--quiet", in.quiet, "Only errors on stderr");
  app.add_option("--log-format", in.log_format, "How airlock logs: text or json (one object per line)")
      ->check(CLI::IsMember({"text", "json"}));
  app.fallthrough();

  in.run_cmd = app.add_subcommand("run", "Run a command in the sandbox");
  if (named("run")) define_run(*in.run_cmd, in);

  in.audit_cmd = app.add_subcommand("audit", "Watch a command and write the profile it needs");
  if (named("audit")) define_audit(*in.audit_cmd, in);

  in.install_scripts_cmd = app.add_subcommand("install-scripts", "Run each approved dependency's install scripts in a sandbox of its own");
  if (named("install-scripts")) define_install_scripts(*in.install_scripts_cmd, in);

  in.check_cmd = app.add_subcommand("check", "Validate profiles; report every error with file:line:column");
  if (named("check")) define_check(*in.check_cmd, in);

  in.explain_cmd = app.add_subcommand("explain", "Show what a profile resolves to (after extends, sets and variables)");
  if (named("explain")) define_explain(*in.explain_cmd, in);

  in.profiles_cmd = app.add_subcommand("profiles", "List the profiles on the search path, with descriptions");
  if (named("profiles")) define_profiles(*in.profiles_cmd, in);

  in.trust_cmd = app.add_subcommand("trust", "Approve the project's own profiles and policies (./.airlock/) as they are now");
  if (named("trust")) define_trust(*in.trust_cmd, in);

  in.doctor_cmd = app.add_subcommand("doctor", "Check which sandbox layers this kernel can enforce");
  if (named("doctor")) define_doctor(*in.doctor_cmd, in);
}

// The subcommand that was given, run.
int dispatch(Invocation& in) {
  if (*in.run_cmd) {
    if (in.run.command.empty()) {
      spdlog::error("no command given: airlock run [OPTIONS] -- COMMAND [ARGS...]");
      return kExitOwnError;
    }
    in.run.common.verbosity = in.verbosity();
    return run_command(in.run);
  }
  if (*in.audit_cmd) {
    in.audit.command = in.run.command;
    if (in.audit.command.empty()) {
      spdlog::error("no command given: airlock audit [OPTIONS] -o FILE -- COMMAND [ARGS...]");
      return kExitOwnError;
    }
    in.audit.common.verbosity = in.verbosity();
    return audit_command(in.audit);
  }
  if (*in.check_cmd) return check_command(in.check_common, in.check_profiles);
  if (*in.explain_cmd) return explain_command(in.explain_common, in.explain_profile, in.explain_overrides);
  if (*in.profiles_cmd) return profiles_command(in.profiles_common);
  if (*in.doctor_cmd) return in.doctor_containers ? containers_command() : doctor_command(in.doctor_common, in.doctor_profile);
  if (*in.trust_cmd) return trust_command(in.trust);
  if (*in.install_scripts_cmd) {
    in.install_scripts.common.verbosity = in.verbosity();
    return install_scripts_command(in.install_scripts);
  }
  return kExitOwnError;
}

// What airlock says when a subcommand failed, and the exit status.
int report_failure(const std::exception_ptr& failure, const std::string& log_format) {
  try {
    std::rethrow_exception(failure);
  } catch (const policy::ProfileError& e) {
    // "file:line:col: error: ..." lines are for people and editors; a log
    // pipeline gets each as its own JSON object.
    for (const auto& message : e.messages()) {
      if (log_format == "json")
        spdlog::error("{}", message);
      else
        std::cerr << message << "\n";
    }
    spdlog::error("{} error{} in the profile; nothing was run", e.messages().size(),
                  e.messages().size() == 1 ? "" : "s");
    return kExitOwnError;
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    spdlog::error("internal error: {}", e.what());
    return kExitOwnError;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  CLI::App app{kIntro, "airlock"};
  Invocation in;
  define_command_line(app, in, args);
  try {
    in.run.invocation = args;
    // The command is cut off first: CLI11 must not read its options as ours.
    in.run.command = cut_command(args, app);
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return parse_error(e, app);
  }
  logging::setup(in.log_format == "json" ? logging::Format::json : logging::Format::text, in.verbosity());
  try {
    return dispatch(in);
  } catch (...) {
    return report_failure(std::current_exception(), in.log_format);
  }
}

}  // namespace airlock::cli
