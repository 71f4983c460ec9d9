#!/usr/bin/zsh -f
# zsh_complete.zsh COMPLETION_DIR BIN_DIR WORD...
# Prints, one per line, the matches zsh's completion system offers for the
# command line WORD... followed by TAB, as an interactive zsh would: a zsh in
# a pseudo-terminal (zsh/zpty) with compinit loaded and compadd wrapped to
# print what each call adds. Used by integration/test_completion.sh.
zmodload zsh/zpty || exit 77
zpty z zsh -f -i
zpty -w z "PROMPT='' RPROMPT='' PS2=''"
zpty -w z "fpath=(${(q)1} \$fpath); path=(${(q)2} \$path)"
zpty -w z 'autoload -Uz compinit; compinit -u -D'
zpty -w z 'compadd() { local -a __hits; builtin compadd -O __hits "$@"; local h; for h in $__hits; do print -r -- "@@HIT@@$h"; done; builtin compadd "$@"; }'
# The markers are typed split ('@@REA''DY@@') so that the terminal's echo of
# the typed line never matches: only the command's output does.
zpty -w z "print -r -- '@@REA''DY@@'"
local out
zpty -r z out '*@@READY@@*'
# TAB completes; ^U then clears the line (input is read in order, so only
# after the completion has run) for the end marker.
zpty -w -n z "${(j: :)@[3,-1]}"$'\t\C-u'
zpty -w z "print -r -- '@@DO''NE@@'"
zpty -r z out '*@@DONE@@*'
zpty -d z
local -a lines hits
lines=(${(f)out//$'\r'/})
hits=(${(M)lines:#*@@HIT@@*})
print -rl -- ${(u)hits##*@@HIT@@}
