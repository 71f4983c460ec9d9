#!/usr/bin/env bash
# The manual agrees with the binary: every option `airlock SUBCOMMAND --help`
# lists is documented in that subcommand's section of airlock(1), every option
# the page documents exists, every subcommand has a section, and both pages
# render without a warning. (airlock-profile(5) against the profile schema is
# tests/packaging/test_manual_sync.cpp.)
source "$(dirname "$0")/lib.sh"
PYTHON=${AIRLOCK_PYTHON:-/usr/bin/python3}
MAN1="$AIRLOCK_SRC/packaging/man/airlock.1"
MAN5="$AIRLOCK_SRC/packaging/man/airlock-profile.5"
command -v man >/dev/null || skip "man (man-db) is not installed: bash packaging/deps.sh"

for page in "$MAN1" "$MAN5"; do
  name=$(basename "$page")
  warnings=$(MANWIDTH=80 man -l --warnings "$page" 2>&1 >/dev/null)
  expect_eq "$name renders without warnings" "" "$warnings"
  warnings=$(groff -man -ww -z "$page" 2>&1)
  expect_eq "$name: groff -ww finds nothing" "" "$warnings"
  text=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
  expect_contains "$name renders a NAME section" "$text" "NAME"
  expect_not_contains "$name has no unrendered request" "$text" $'\n.'
done

version=$("$AIRLOCK" --version | awk '{print $2}')
for page in "$MAN1" "$MAN5"; do
  th=$(grep -m1 '^\.TH' "$page")
  expect_contains "$(basename "$page") names the version of the binary ($version)" "$th" "\"airlock $version\""
done

# The help of the binary, global and per subcommand, into files for the checker.
"$AIRLOCK" --help > "$SCRATCH/help" 2>&1
subcommands=$(awk '/^Subcommands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}' "$SCRATCH/help")
[[ -n $subcommands ]] || fail "no subcommands found in airlock --help"
for sub in $subcommands; do "$AIRLOCK" "$sub" --help > "$SCRATCH/help.$sub" 2>&1; done

# Prints "ok MESSAGE" or "FAIL MESSAGE" per check.
while read -r verdict message; do
  if [[ $verdict == ok ]]; then pass "$message"; else fail "$message"; fi
done < <("$PYTHON" - "$MAN1" "$SCRATCH" $subcommands <<'EOF'
import re, sys

man_path, help_dir, subcommands = sys.argv[1], sys.argv[2], sys.argv[3:]

def help_options(path, with_help):
    """{option: takes_argument} from CLI11's "Options:" block; -h/--help is
    documented once, among the global options."""
    options, in_block = {}, False
    for line in open(path):
        if re.match(r'^\S.*:$', line):
            in_block = line.startswith('Options:')
            continue
        m = re.match(r'^  (-\S+)((?: \S+)*?)(?: {2,}|$)', line.rstrip('\n')) if in_block else None
        if not m:
            continue
        names = [n for n in m.group(1).split(',') if n]
        if '--help' in names and not with_help:
            continue
        for n in names:
            options[n] = bool(m.group(2).strip())
    return options

def unescape(s):
    return s.replace('\\-', '-')

def man_sections(path):
    """'' -> global options (.SH OPTIONS); subcommand -> its .SS under COMMANDS.
    Each maps option -> takes_argument, from .TP/.TQ tags."""
    sections, current, sh, item_follows = {}, None, '', False
    for line in open(path):
        line = line.rstrip('\n')
        if line.startswith('.SH'):
            sh = line[4:].strip().strip('"')
            current = '' if sh == 'OPTIONS' else None
        elif line.startswith('.SS') and sh == 'COMMANDS':
            words = unescape(line[4:].strip().strip('"')).split()
            current = words[1] if len(words) > 1 and words[0] == 'airlock' else None
        elif item_follows and current is not None and line.startswith('\\fB\\-'):
            tag = unescape(line)
            names = re.findall(r'\\fB(-[-a-zA-Z0-9]+)\\fR', tag)
            takes_arg = '\\fI' in tag
            for n in names:
                sections.setdefault(current, {})[n] = takes_arg
        if current is not None and (line.startswith('.SS') or line.startswith('.SH')):
            sections.setdefault(current, {})
        item_follows = line in ('.TP', '.TQ')
    return sections

def report(ok, message):
    print(('ok ' if ok else 'FAIL ') + message)

man = man_sections(man_path)
helps = {'': help_options(help_dir + '/help', True)}
for sub in subcommands:
    helps[sub] = help_options(help_dir + '/help.' + sub, False)

report(len(helps['']) >= 4, 'global --help lists options (%d)' % len(helps['']))
for sub, options in helps.items():
    where = 'airlock %s' % sub if sub else 'global options'
    section = 'section "airlock %s" under COMMANDS' % sub if sub else 'OPTIONS'
    if sub and sub not in man:
        report(False, 'subcommand %s has no .SS section under COMMANDS in airlock.1' % sub)
        continue
    documented = man.get(sub, {})
    for option, takes_arg in sorted(options.items()):
        if option not in documented:
            report(False, '%s: %s is in --help but not documented in airlock.1 %s' % (where, option, section))
        elif documented[option] != takes_arg:
            report(False, '%s: %s %s an argument in --help but not in airlock.1' %
                   (where, option, 'takes' if takes_arg else 'takes no'))
        else:
            report(True, '%s: %s documented' % (where, option))
    for option in sorted(set(documented) - set(options)):
        report(False, '%s: airlock.1 documents %s, which --help does not list' % (where, option))
for sub in sorted(set(man) - set(helps)):
    report(False, 'airlock.1 documents a subcommand "%s" that airlock --help does not list' % sub)

# Any long option mentioned anywhere in the page must exist somewhere.
known = set().union(*[set(o) for o in helps.values()])
text = unescape(open(man_path).read())
mentioned = set(re.findall(r'(?<![\w-])(--[a-z][-a-z0-9]*)', text))
# Other programs' options the page quotes (doctor --containers: docker and
# podman run flags).
foreign = {'--security-opt'}
for option in sorted(mentioned - known - foreign):
    report(False, 'airlock.1 mentions %s, which no --help lists' % option)
report(True, 'airlock.1 mentions %d long options, all known' % len(mentioned & known))
EOF
)
finish
