#!/usr/bin/env bash
# The bash and zsh completions (packaging/completions/) offer exactly the
# subcommands and options `airlock --help` lists, and profile names from
# `airlock profiles`, including a project's own (.airlock/) with --project.
source "$(dirname "$0")/lib.sh"
BASH_COMPLETION="$AIRLOCK_SRC/packaging/completions/airlock.bash"
ZSH_COMPLETION_DIR="$AIRLOCK_SRC/packaging/completions"
BIN="$SCRATCH/bin"
mkdir -p "$BIN" && ln -s "$AIRLOCK" "$BIN/airlock"
# A home of the test's own: `airlock trust` below keeps its record in the
# user's airlock configuration directory, and the completions read it.
export HOME="$SCRATCH/home"
unset XDG_CONFIG_HOME
mkdir -p "$HOME"

# bash_complete WORD...: what the bash completion offers for the line WORD...
# with the cursor at the end of the last word, sorted and unique.
bash_complete() {
  PATH="$BIN:$PATH" bash -c 'source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _airlock; printf "%s\n" "${COMPREPLY[@]}"' _ "$BASH_COMPLETION" "$@" | sort -u | sed '/^$/d'
}
# zsh_complete WORD...: the same through zsh's completion system.
# A zsh in a pseudo-terminal on a loaded machine now and then returns before
# its completion output arrives (an empty answer); such a try is repeated.
zsh_complete() {
  local words=("$@") out="" try
  [[ -z ${words[-1]} ]] && words[-1]="''"
  for try in 1 2 3; do
    out=$(timeout 30 zsh -f "$AIRLOCK_SRC/integration/zsh_complete.zsh" "$ZSH_COMPLETION_DIR" "$BIN" "${words[@]}" |
      sort -u | sed '/^$/d')
    [[ -n $out ]] && break
  done
  printf '%s\n' "$out" | sed '/^$/d'
}
# The options `airlock [SUB] --help` lists, short and long, sorted.
help_options() {
  "$AIRLOCK" "$@" --help | awk '/^[A-Z][a-z]*:$/ {on = ($0 == "Options:"); next}
    on && /^  -/ {n = split($1, names, ","); for (i = 1; i <= n; i++) if (names[i] != "") print names[i]}' | sort -u
}
lines() { tr '\n' ' ' <<<"$1"; }

subcommands=$("$AIRLOCK" --help | awk '/^Subcommands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}' | sort)
profiles=$("$AIRLOCK" profiles | awk '/^[^ ]/ {print $1}' | sort)
[[ -n $subcommands && -n $profiles ]] || fail "no subcommands or profiles from the binary"

# bash
registered=$(bash -c 'source "$1"; complete -p airlock' _ "$BASH_COMPLETION" 2>&1)
expect_eq "bash: the completion registers for airlock" "complete -F _airlock airlock" "$registered"
expect_eq "bash: subcommands" "$(lines "$subcommands")" "$(lines "$(bash_complete airlock '')")"
expect_eq "bash: global options" "$(lines "$(help_options)")" "$(lines "$(bash_complete airlock -)")"
for sub in $subcommands; do
  expect_eq "bash: options of $sub" "$(lines "$(help_options "$sub")")" "$(lines "$(bash_complete airlock -q "$sub" -)")"
done
expect_eq "bash: run --profile offers the profile names" "$(lines "$profiles")" \
  "$(lines "$(bash_complete airlock run --profile '')")"
expect_eq "bash: -p after global options too" "$(lines "$(grep '^npm' <<<"$profiles")")" \
  "$(lines "$(bash_complete airlock --log-format json run -p np)")"
expect_eq "bash: check offers the profile names" "$(lines "$profiles")" "$(lines "$(bash_complete airlock check '')")"
expect_eq "bash: --log-format values" "$(lines $'json\ntext')" "$(lines "$(bash_complete airlock --log-format '')")"
expect_contains "bash: the command after --" "$(bash_complete airlock run -p default -- ech)" "echo"
expect_contains "bash: the command after the options" "$(bash_complete airlock run -p default ech)" "echo"
expect_not_contains "bash: no option offered after the command" "$(bash_complete airlock run -- true -)" "--profile"

# A project's own profile, found through --project.
mkdir -p "$SCRATCH/project/.airlock"
printf '[profile]\ndescription = "mine"\nextends = ["default"]\n' > "$SCRATCH/project/.airlock/only-here.toml"
# The project's .airlock/ counts only once the operator trusted it.
said=$("$AIRLOCK" trust --project "$SCRATCH/project" 2>&1) || fail "airlock trust --project: $said"
expect_not_contains "bash: a project profile is not offered elsewhere" \
  "$(bash_complete airlock run --profile o)" "only-here"
expect_eq "bash: a project profile with --project" "only-here" \
  "$(bash_complete airlock run --project "$SCRATCH/project" --profile o)"
expect_contains "bash: a profile file when the word is a path" \
  "$(bash_complete airlock run --profile "$SCRATCH/project/.airlock/")" "only-here.toml"

# zsh
if ! command -v zsh >/dev/null; then
  fail "zsh is not installed (bash packaging/deps.sh installs it)"
  finish
fi
syntax=$(zsh -n "$ZSH_COMPLETION_DIR/_airlock" 2>&1)
expect_eq "zsh: _airlock parses" "" "$syntax"
expect_eq "zsh: subcommands" "$(lines "$subcommands")" "$(lines "$(zsh_complete airlock '')")"
expect_eq "zsh: global options" "$(lines "$(help_options)")" "$(lines "$(zsh_complete airlock -)")"
for sub in $subcommands; do
  # For run and audit, zsh also offers `--` (end of options; a hit of "-" after the typed "-").
  expect_eq "zsh: options of $sub" "$(lines "$(help_options "$sub")")" \
    "$(lines "$(zsh_complete airlock "$sub" - | { if [[ $sub == run || $sub == audit ]]; then grep -vx -- -; else cat; fi; })")"
done
offered=$(zsh_complete airlock run --profile '')
for name in $profiles; do
  expect_contains "zsh: run --profile offers $name" "$offered" "$name"
done
expect_eq "zsh: -p with a prefix" "$(lines "$(grep '^npm' <<<"$profiles")")" \
  "$(lines "$(zsh_complete airlock run -p np)")"
expect_contains "zsh: check offers the profile names" "$(zsh_complete airlock check '')" "default"
expect_eq "zsh: a project profile with --project" "only-here" \
  "$(zsh_complete airlock run --project "$SCRATCH/project" --profile o)"
expect_eq "zsh: --log-format values" "$(lines $'json\ntext')" "$(lines "$(zsh_complete airlock --log-format '')")"
expect_contains "zsh: the command after --" "$(zsh_complete airlock run -- ech)" "echo"
expect_contains "zsh: the command after the options" "$(zsh_complete airlock run -p default ech)" "echo"
finish
