#!/usr/bin/env bash
# ctest-labels: sanitize
# The documentation agrees with the binary. What the binary says of itself
# (`airlock --help`, `airlock SUBCOMMAND --help`, `airlock profiles`) is the
# reference, and the docs are checked against it both ways:
# - every subcommand has its section in the README (### `airlock NAME`), and
#   every option a subcommand's --help lists is named in the README
#   (airlock(1)'s sections and options are test_manual.sh's to check);
# - every `airlock NAME ...` example in the README, the man pages, the
#   packaging READMEs, docs/ and the --help texts' own examples names only a
#   subcommand that exists and options that subcommand (or airlock itself)
#   takes, and a built-in profile by a name `airlock profiles` lists;
# - the README, packaging/container/README.md and airlock(1) give, word for
#   word, the one recommendation per container engine that `airlock doctor
#   --containers` gives.
# A doc that names a removed or misspelt option fails here, as does an
# option added to the binary without a word in the manual.
source "$(dirname "$0")/lib.sh"
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || skip "needs $PYTHON"

HELP="$SCRATCH/help"
mkdir -p "$HELP"
"$AIRLOCK" --help > "$HELP/airlock" 2>&1
subcommands=$(awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}' "$HELP/airlock")
expect_contains "airlock --help lists its subcommands" "$subcommands" "run"
for sub in $subcommands; do "$AIRLOCK" "$sub" --help > "$HELP/$sub" 2>&1; done
"$AIRLOCK" profiles 2>/dev/null | awk 'NF {print $1}' > "$HELP/profile-names"
"$AIRLOCK" doctor --containers > "$HELP/containers" 2>&1
expect_contains "doctor --containers gives the advice for Docker" "$(cat "$HELP/containers")" "  Docker: "

out=$("$PYTHON" - "$AIRLOCK_SRC" "$HELP" $subcommands <<'EOF'
import glob, os, re, sys

src, helpdir, subs = sys.argv[1], sys.argv[2], sys.argv[3:]
OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][a-zA-Z0-9-]*)")

VALUED = set()  # options that take a value ("--log-format TEXT")

def options_of(text):
    """Options an --help text lists: the words of its Options: lines."""
    found, on = set(), False
    for line in text.splitlines():
        if line.startswith("Options:"):
            on = True
            continue
        if on and not line.strip():
            on = False
        if on and line.startswith("  -"):
            spec = line.split()
            valued = len(spec) > 1 and re.match(r"[A-Z]", spec[1]) is not None
            for word in spec[0].split(","):
                found.add(word.split("=")[0])
                if valued:
                    VALUED.add(word)
    return found

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()

def unroff(text):
    text = re.sub(r"\\f[BIRP]|\\f\[[A-Z]*\]|\\&|\\c", "", text)
    return text.replace("\\-", "-").replace("\\(em", "-").replace("\\e", "\\")

top = read(os.path.join(helpdir, "airlock"))
global_options = options_of(top)
options = {sub: options_of(read(os.path.join(helpdir, sub))) for sub in subs}
profiles = set(read(os.path.join(helpdir, "profile-names")).split())
problems = []

readme = read(os.path.join(src, "README.md"))

# Sections.
for sub in subs:
    if not re.search(r"^### `airlock " + sub + r"\b", readme, re.M):
        problems.append(f"README.md has no section ### `airlock {sub} ...`")
# Every option named. (airlock(1)'s sections and options are test_manual.sh's.)
for sub in subs:
    for option in sorted(options[sub] - {"-h", "--help"}):
        if option.startswith("--") and not re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", readme):
            problems.append(f"README.md never names {option} of `airlock {sub}`")

# Every example: `airlock NAME [words]` in code, up to `--` or the end of the code.
documents = [os.path.join(src, "README.md"), os.path.join(src, "packaging/README.md"),
             os.path.join(src, "packaging/man/airlock.1"), os.path.join(src, "packaging/man/airlock-profile.5")]
documents += sorted(glob.glob(os.path.join(src, "packaging/*/README.md")))
documents += sorted(glob.glob(os.path.join(src, "docs/*.md")))
documents += [os.path.join(helpdir, sub) for sub in ["airlock"] + subs]
PLACEHOLDERS = {"P", "NAME", "BASE", "PROFILE", "FILE", "X"}
examples = 0
for path in documents:
    text = read(path)
    if path.endswith((".1", ".5")):
        text = unroff(text)
    name = os.path.relpath(path, src) if path.startswith(src) else "--help of " + os.path.basename(path)
    for number, line in enumerate(text.splitlines(), 1):
        for match in re.finditer(r"(?<![\w/.-])airlock((?: +--?[A-Za-z][\w-]*(?: +[a-z]+)?)*) +([a-z]+)\b([^`|#\n]*)", line):
            pre, sub, rest = match.group(1), match.group(2), match.group(3)
            if sub not in subs:
                if pre.strip():
                    problems.append(f"{name}:{number}: `airlock {pre.strip()} {sub}`: no subcommand {sub}")
                continue
            examples += 1
            rest = rest.split(" -- ")[0]
            if rest.rstrip().endswith(" --"):
                rest = rest.rstrip()[:-3]
            words = rest.split()
            for i, word in enumerate(words):
                option = OPTION.fullmatch(word.split("=")[0].rstrip(".,;:)"))
                if not option:
                    # run and audit: the command starts at the first word that
                    # is neither an option nor an option's value.
                    if sub in ("run", "audit") and re.fullmatch(r"[a-z.][\w./-]*", word) \
                            and (i == 0 or words[i - 1] not in VALUED):
                        break
                    continue
                o = option.group(1)
                if o not in options[sub] and o not in global_options:
                    problems.append(f"{name}:{number}: `airlock {sub}` has no option {o}: {line.strip()}")
                if o in ("--profile", "-p") and i + 1 < len(words):
                    value = words[i + 1].strip("`'\".,;:)")
                    if value and "/" not in value and not value.endswith(".toml") and "$" not in value \
                            and value not in PLACEHOLDERS and value not in profiles:
                        problems.append(f"{name}:{number}: no built-in profile \"{value}\": {line.strip()}")
            words = pre.split()
            for i, o in enumerate(words):
                if o.startswith("-") and o not in global_options:
                    problems.append(f"{name}:{number}: airlock has no global option {o}: {line.strip()}")
                elif not o.startswith("-") and (i == 0 or words[i - 1] not in VALUED):
                    problems.append(f"{name}:{number}: `airlock {pre.strip()} {sub}`: {o} is not a subcommand")
# One recommendation per container engine, the binary's, word for word.
def flat(text):
    text = re.sub(r'^\.IP "(.*)" 4$', r"\1", text, flags=re.M)
    text = re.sub(r"^\.[A-Z]+.*$", " ", text, flags=re.M)
    return " ".join(text.replace("`", "").replace("**", "").split())
engines = [line.strip() for line in read(os.path.join(helpdir, "containers")).splitlines() if line.startswith("  ")]
if len(engines) < 4:
    problems.append(f"doctor --containers names {len(engines)} engines")
for path in ["README.md", "packaging/container/README.md", "packaging/man/airlock.1"]:
    text = read(os.path.join(src, path))
    text = flat(unroff(text) if path.endswith(".1") else text)
    for advice in engines:
        if " ".join(advice.split()) not in text:
            problems.append(f"{path} does not give doctor's advice: {advice}")
print(f"examples={examples}")
for p in problems:
    print("PROBLEM " + p)
EOF
)
examples=$(sed -n 's/^examples=//p' <<<"$out")
expect_eq "the docs' examples were found" yes "$( ((examples > 50)) && echo yes || echo "no ($examples)")"
problems=$(grep '^PROBLEM ' <<<"$out" | sed 's/^PROBLEM //')
expect_eq "the docs name only options, subcommands and profiles the binary has, and describe all of them" "" "$problems"
finish
