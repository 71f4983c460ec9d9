# bash completion for airlock(1)                          -*- shell-script -*-
# Installed as /usr/share/bash-completion/completions/airlock; works without
# the bash-completion package too (`source` it from ~/.bashrc).
#
# Profile names come from `airlock profiles`, so profiles in ./.airlock/, the
# user's and the machine's directories are offered as well as the built-in
# ones; a --project DIR earlier on the line says which ./.airlock/ counts.

# The airlock being completed: the word typed when it is a path to a program.
_airlock_program() {
  local program=${COMP_WORDS[0]}
  [[ $program == */* && -x $program ]] || program=airlock
  printf '%s\n' "$program"
}

# Profile names, one per line: `airlock profiles` starts each entry with the
# name, at the beginning of a line; descriptions and origins follow.
_airlock_profile_names() {
  local i word project=()
  for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
    word=${COMP_WORDS[i]}
    if [[ $word == --project && $((i + 1)) -lt $COMP_CWORD ]]; then
      project=(--project "${COMP_WORDS[i + 1]}")
    elif [[ $word == --project=* ]]; then
      project=(--project "${word#--project=}")
    fi
  done
  "$(_airlock_program)" profiles "${project[@]}" 2>/dev/null | while IFS= read -r line; do
    [[ $line == [![:space:]]* ]] && printf '%s\n' "${line%% *}"
  done
}

# A profile: a name, or a .toml file when the word looks like a path.
_airlock_complete_profile() {
  local cur=$1
  if [[ $cur == */* || $cur == .* || $cur == \~* ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -X '!*.toml' -- "$cur") $(compgen -d -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_airlock_profile_names)" -- "$cur"))
  fi
}

_airlock_options() {
  case $1 in
    "") echo "-h --help --version -v --verbose -q --quiet --log-format" ;;
    run) echo "-h --help -p --profile --project --allow-read --allow-write --allow-exec --allow-net" \
              "--forward --publish --keep-env --set-env --timeout --best-effort --report --audit" ;;
    audit) echo "-h --help -p --profile -o --output --report --project --timeout --best-effort" ;;
    check) echo "-h --help --project" ;;
    explain) echo "-h --help -p --profile --project --allow-read --allow-write --allow-exec --allow-net" \
                  "--forward --publish --keep-env --timeout --best-effort" ;;
    profiles) echo "-h --help --project" ;;
    doctor) echo "-h --help -p --profile --project --containers" ;;
    trust) echo "-h --help --list --forget --project" ;;
    install-scripts) echo "-h --help --allow --no-project-approvals -p --profile --report --list --project" ;;
  esac
}

# Options that take a value in the next word.
_airlock_takes_value() {
  case $1 in
    -p | --profile | --project | --allow-read | --allow-write | --allow-exec | --allow-net | --forward | --publish | \
      --keep-env | --set-env | --timeout | --report | --log-format | -o | --output | --allow) return 0 ;;
  esac
  return 1
}

_airlock() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local subcommands="run audit check explain profiles doctor trust install-scripts"
  local sub="" command_at=0 i word
  COMPREPLY=()

  # The subcommand, and for `run` where the command starts: after `--`, or
  # at the first word that is neither an option nor an option's value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ -z $sub ]]; then
      if [[ " $subcommands " == *" $word "* ]]; then
        sub=$word
      elif _airlock_takes_value "$word"; then
        ((i++))
      fi
    elif [[ $sub == run || $sub == audit ]]; then
      if [[ $word == -- ]]; then
        command_at=$((i + 1))
        break
      elif _airlock_takes_value "$word"; then
        ((i++))
      elif [[ $word != -* ]]; then
        command_at=$i
        break
      fi
    fi
  done

  if ((command_at > 0)); then
    if ((COMP_CWORD == command_at)); then
      COMPREPLY=($(compgen -c -- "$cur" | sort -u))
    elif declare -F _command_offset >/dev/null; then
      _command_offset "$command_at"  # bash-completion completes the command's own arguments
    else
      compopt -o default 2>/dev/null
    fi
    return 0
  fi

  case $prev in
    -p | --profile)
      _airlock_complete_profile "$cur"
      return 0 ;;
    --project)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -d -- "$cur"))
      return 0 ;;
    --allow-read | --allow-write | --allow-exec | --report)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur"))
      return 0 ;;
    --keep-env)
      COMPREPLY=($(compgen -e -- "$cur"))
      return 0 ;;
    --log-format)
      COMPREPLY=($(compgen -W "text json" -- "$cur"))
      return 0 ;;
    --allow-net | --forward | --publish | --set-env | --timeout | --allow)
      return 0 ;;  # free text: HOST:PORT, K=V, a duration, a package name
  esac

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_airlock_options "$sub")" -- "$cur"))
  elif [[ -z $sub ]]; then
    COMPREPLY=($(compgen -W "$subcommands" -- "$cur"))
  elif [[ $sub == check ]]; then
    _airlock_complete_profile "$cur"
  elif [[ $sub == trust ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -X '!*.toml' -- "$cur") $(compgen -d -- "$cur"))
  elif [[ $sub == run ]]; then
    COMPREPLY=($(compgen -c -- "$cur" | sort -u))
  fi
  return 0
}

complete -F _airlock airlock
