#!/usr/bin/env bash
# The Debian package: built with CPack from the build tree, it holds exactly
# the files packaging/ says, declares the shared libraries it needs, installs
# and purges cleanly with dpkg into a throw-away root, and what it installs
# works: the binary runs sandboxes as root and as uid 65534, the manual pages
# render, the bash completion offers profile names.
source "$(dirname "$0")/lib.sh"
command -v cpack >/dev/null && command -v dpkg-deb >/dev/null || skip "cpack or dpkg-deb missing"
[[ -f $BUILD_DIR/CPackConfig.cmake ]] || { fail "no CPackConfig.cmake in $BUILD_DIR (re-run cmake)"; finish; }

# Build the package into the scratch directory; the build tree is only read.
pkgdir="$SCRATCH/pkg"
if ! cpack -G DEB --config "$BUILD_DIR/CPackConfig.cmake" -B "$pkgdir" > "$SCRATCH/cpack.log" 2>&1; then
  cat "$SCRATCH/cpack.log"
  fail "cpack -G DEB failed"
  finish
fi
debs=("$pkgdir"/*.deb)
expect_eq "cpack built one package" 1 "${#debs[@]}"
deb=${debs[0]}
version=$("$AIRLOCK" --version | awk '{print $2}')
expect_eq "the file name says package, version and architecture" \
  "airlock_${version}-1_$(dpkg --print-architecture).deb" "$(basename "$deb")"

# Control file.
expect_eq "Package" "airlock" "$(dpkg-deb -f "$deb" Package)"
expect_eq "Version matches airlock --version" "$version-1" "$(dpkg-deb -f "$deb" Version)"
expect_contains "Maintainer is set" "$(dpkg-deb -f "$deb" Maintainer)" "airlock authors"
depends=$(dpkg-deb -f "$deb" Depends)
# Every shared library the packaged binary needs must be a dependency
# (dpkg-shlibdeps); with AIRLOCK_STATIC_LIBS (the default) that is glibc alone.
bin_dir=$(mktemp -d /var/tmp/airlock-deb-bin.XXXXXX)
dpkg-deb -x "$deb" "$bin_dir"
needed=$(objdump -p "$bin_dir/usr/bin/airlock" | awk '$1 == "NEEDED" {print $2}')
rm -rf "$bin_dir"
expect_contains "the binary links glibc" "$needed" "libc.so.6"
# dpkg knows a file by the path its package ships it under: with merged /usr
# that may be the /usr or the / spelling, of the soname link or its target.
owner_of() {
  local path real candidate
  path=$(ldconfig -p | awk -v so="$1" '$1 == so && /x86-64|x86_64/ {print $NF; exit}')
  real=$(readlink -f "$path")
  for candidate in "$path" "/usr$path" "${path#/usr}" "$real" "/usr$real" "${real#/usr}"; do
    dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1 | grep . && return
  done
}
for so in $needed; do
  pkg=$(owner_of "$so")
  [[ -n $pkg ]] || pkg=unknown-owner-of-$so
  expect_contains "Depends names $pkg, owner of $so (found by dpkg-shlibdeps)" ", $depends" ", $pkg"
done
expect_not_contains "no -dev package is a dependency" "$depends" "-dev"
documented=$(sed -n 's/^    Depends: //p' "$AIRLOCK_SRC/packaging/README.md")
expect_eq "packaging/README.md states the package's Depends" "$depends" "$documented"

# File list: exactly these, every one owned by root.
expected=$(
  printf '%s\n' ./etc/ ./etc/airlock/ ./etc/airlock/policies/ ./etc/airlock/profiles/ \
    ./usr/ ./usr/bin/ ./usr/bin/airlock ./usr/share/ \
    ./usr/share/airlock/ ./usr/share/airlock/policies/ ./usr/share/airlock/profiles/ \
    ./usr/share/airlock/install-scripts-report.schema.json ./usr/share/airlock/report.schema.json \
    ./usr/share/bash-completion/ ./usr/share/bash-completion/completions/ \
    ./usr/share/bash-completion/completions/airlock \
    ./usr/share/doc/ ./usr/share/doc/airlock/ ./usr/share/doc/airlock/README.md ./usr/share/doc/airlock/copyright \
    ./usr/share/man/ ./usr/share/man/man1/ ./usr/share/man/man1/airlock.1.gz \
    ./usr/share/man/man5/ ./usr/share/man/man5/airlock-profile.5.gz \
    ./usr/share/zsh/ ./usr/share/zsh/vendor-completions/ ./usr/share/zsh/vendor-completions/_airlock
  for f in "$AIRLOCK_SRC"/profiles/*.toml; do echo "./usr/share/airlock/profiles/$(basename "$f")"; done
  for f in "$AIRLOCK_SRC"/policies/*.toml; do echo "./usr/share/airlock/policies/$(basename "$f")"; done
)
listing=$(dpkg-deb -c "$deb")
actual=$(awk '{print $6}' <<<"$listing" | sort)
expect_eq "the package holds exactly the expected files" "$(sort <<<"$expected")" "$actual"
expect_eq "every file is owned by root:root" "" "$(awk '$2 != "root/root"' <<<"$listing")"
expect_eq "the binary is mode 755, not setuid" "-rwxr-xr-x" "$(awk '$6 == "./usr/bin/airlock" {print $1}' <<<"$listing")"

# Extract into a clean root and use what is there.
root="$SCRATCH/root"
dpkg -x "$deb" "$root"
chmod 755 "$root"
bin="$root/usr/bin/airlock"
expect_eq "the extracted binary reports its version" "airlock $version" "$("$bin" --version)"
expect_contains "the binary is stripped" "$(file -b "$bin")" "stripped"
expect_not_contains "... fully" "$(file -b "$bin")" "not stripped"
"$bin" doctor > "$SCRATCH/doctor.out" 2>&1
expect_eq "airlock doctor from the package: every layer here" "0" "$?"
expect_contains "doctor's verdict" "$(cat "$SCRATCH/doctor.out")" "can be enforced"
for who in root nobody; do
  make_fixture "$who"
  out=$(cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$bin" run -- sh -c 'cat ~/.ssh/id_rsa 2>&1; echo ran' 2>&1)
  expect_eq "$who: airlock run from the package runs the command" "0" "$?"
  expect_contains "$who: ... which ran" "$out" "ran"
  expect_not_contains "$who: ... and did not see the planted key" "$out" "planted-ssh-key"
done
for f in "$AIRLOCK_SRC"/profiles/*.toml "$AIRLOCK_SRC"/policies/*.toml; do
  rel=${f#"$AIRLOCK_SRC"/}
  cmp -s "$f" "$root/usr/share/airlock/$rel" && pass "$rel is shipped as is" || fail "$rel differs in the package"
done
for f in "$root"/usr/share/airlock/profiles/*.toml; do
  "$bin" check "$f" >/dev/null 2>&1 && pass "the shipped copy $(basename "$f") is a valid profile" ||
    fail "airlock check rejects the shipped copy $(basename "$f")"
done
expect_eq "/etc/airlock/profiles is empty, for the machine's own" "" "$(ls -A "$root/etc/airlock/profiles")"
expect_eq "/etc/airlock/policies is empty, for the machine's own" "" "$(ls -A "$root/etc/airlock/policies")"
copyright=$(cat "$root/usr/share/doc/airlock/copyright")
expect_contains "the copyright file names the licence" "$copyright" "MIT"
expect_contains "... and carries its text" "$copyright" "$(sed -n 5p "$AIRLOCK_SRC/LICENSE")"
cmp -s "$AIRLOCK_SRC/packaging/report.schema.json" "$root/usr/share/airlock/report.schema.json" &&
  pass "the report schema is shipped" || fail "the shipped report schema differs"

# Manual pages, as installed (gzip-compressed).
for page in "$root/usr/share/man/man1/airlock.1.gz" "$root/usr/share/man/man5/airlock-profile.5.gz"; do
  name=$(basename "$page")
  warnings=$(MANWIDTH=80 man -l --warnings "$page" 2>&1 >/dev/null)
  expect_eq "$name renders without warnings" "" "$warnings"
  expect_contains "$name renders" "$(MANWIDTH=80 man -l "$page" 2>/dev/null)" "SEE ALSO"
done

# Completions, as installed, with the packaged binary first on PATH.
completion="$root/usr/share/bash-completion/completions/airlock"
registered=$(bash -c 'source "$1"; complete -p airlock' _ "$completion" 2>&1)
expect_eq "bash completion registers" "complete -F _airlock airlock" "$registered"
offered=$(PATH="$root/usr/bin:$PATH" bash -c 'source "$1"
  COMP_WORDS=(airlock run --profile ""); COMP_CWORD=3; _airlock; printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" | sort)
expect_eq "completing 'airlock run --profile <TAB>' offers the profile names" \
  "$("$bin" profiles | awk '/^[^ ]/ {print $1}' | sort)" "$offered"
cmp -s "$AIRLOCK_SRC/packaging/completions/_airlock" "$root/usr/share/zsh/vendor-completions/_airlock" &&
  pass "the zsh completion is shipped" || fail "the shipped zsh completion differs"

# A real dpkg install and purge into a throw-away root whose database holds
# the host's records of the packages the Depends line names (so dpkg checks
# the dependencies against real package names, virtual ones included).
admin="$SCRATCH/dpkgroot/var/lib/dpkg"
mkdir -p "$admin/info" "$admin/updates"
touch "$admin/available"
dep_names=$(tr ',|' '\n\n' <<<"$depends" | sed 's/(.*//; s/ //g' | sed '/^$/d')
dpkg-query -W -f='${Package} ${Provides}\n' | while read -r pkg provides; do
  for name in $dep_names; do
    if [[ $pkg == "$name" || " ${provides//,/ } " == *" $name "* ]]; then
      dpkg-query -s "$pkg" 2>/dev/null | grep -v '^Conffiles:\|^ /' ; echo
      touch "$admin/info/$pkg.list" "$admin/info/$pkg:$(dpkg --print-architecture).list"
      break
    fi
  done
done > "$admin/status"
installed=$(dpkg --root="$SCRATCH/dpkgroot" -i "$deb" 2>&1)
expect_eq "dpkg -i into a throw-away root succeeds, dependencies met" "0" "$?"
expect_not_contains "dpkg -i: no dependency problem" "$installed" "depend"
expect_eq "dpkg records the package as installed" "install ok installed" \
  "$(dpkg --root="$SCRATCH/dpkgroot" -s airlock 2>/dev/null | sed -n 's/^Status: //p')"
[[ -x "$SCRATCH/dpkgroot/usr/bin/airlock" ]] && pass "the binary is installed" || fail "no /usr/bin/airlock after dpkg -i"
dpkg --root="$SCRATCH/dpkgroot" --purge airlock >/dev/null 2>&1
expect_eq "dpkg --purge succeeds" "0" "$?"
left=$(cd "$SCRATCH/dpkgroot" && find . -path ./var -prune -o -mindepth 1 -print)
expect_eq "purge leaves nothing behind" "" "$left"
finish
