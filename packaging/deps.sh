#!/usr/bin/env bash
# Installs everything airlock needs to build and test on Debian 12, toolchain
# included (a minimal Debian 12 has no compiler or cmake). Idempotent.
#
#   deps.sh           build and test (what .ci/run needs, less clang)
#   deps.sh --fuzz    the same and clang for the sanitizer and fuzz builds
#   deps.sh --build   only what building airlock and its Debian package
#                     needs (packaging/container/Dockerfile, the GitHub
#                     Action's fallback build)
set -euo pipefail
# What the build and the package need.
build_packages=(
  build-essential cmake pkg-config
  libseccomp-dev libcap-dev libtoml11-dev libspdlog-dev libfmt-dev
  libcli11-dev nlohmann-json3-dev libc-ares-dev
  # SHA-256 for the trust record of a project's own profiles.
  nettle-dev
  # pnpm-workspace.yaml's build approvals (airlock install-scripts).
  libyaml-cpp-dev
  # CPack's dependency scan: dpkg-shlibdeps and file.
  dpkg-dev file
)
packages=(
  "${build_packages[@]}" git ca-certificates googletest libgtest-dev
  # ldns only in the tests: it reads the DNS stub's responses back.
  libldns-dev
  iproute2 util-linux procps python3 python3-pip python3-setuptools
  # ccache: integration/test_caches.sh builds with it (a second build is
  # served from the project's own cache).
  ccache
  # Packaging and its tests (integration/test_deb.sh, test_manual.sh,
  # test_report.sh, test_examples.sh): dpkg-shlibdeps (dpkg-dev) and file for
  # CPack's dependency scan, man-db to render the manual, zsh to load the zsh
  # completion, the JSON Schema validator and a YAML parser for the examples.
  dpkg-dev file man-db zsh python3-jsonschema python3-yaml
  # integration/engines.sh docker: libseccomp's Python binding loads Docker's
  # default seccomp profile (unpacked below) as Docker would.
  python3-seccomp
  # integration/test_audit_fresh_machine.sh makes a venv (ensurepip).
  python3-venv
)
# --fuzz: clang and its runtimes (libclang_rt.fuzzer, asan and ubsan are in
# libclang-rt-14-dev) for the sanitizer build that integration/sanitize.sh
# and integration/fuzz.sh share (integration/test.sh runs both); the
# ordinary build uses gcc.
case ${1:-} in
  --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
  --build) packages=("${build_packages[@]}") ;;
  "") ;;
  *) echo "deps.sh: unknown option $1 (--fuzz, --build)" >&2; exit 2 ;;
esac
# node and npm for the npm profiles' tests: Debian's, unless the machine
# already has them (e.g. a vendor's nodejs package that bundles npm).
[[ ${1:-} == --build ]] || command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "deps.sh: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# unpack PACKAGE MEMBER DEST: one file of a Debian package, unpacked alone
# (the package itself, its Go sources and dependencies are not installed).
unpack() {
  local work
  [[ ! -s $3 && $(id -u) -eq 0 ]] || return 0
  work=$(mktemp -d)
  chmod 755 "$work"  # apt's download user writes there
  (cd "$work" && { apt-get download -qq "$1" 2>/dev/null || { apt-get update -qq && apt-get download -qq "$1"; }; })
  mkdir -p "$(dirname "$3")"
  dpkg-deb --fsys-tarfile "$work/$1"_*.deb | tar -xO "$2" >"$3.tmp"
  mv "$3.tmp" "$3"
  rm -rf "$work"
}
if [[ ${1:-} != --build ]]; then
  # For integration/engines.sh: Docker's default seccomp profile
  # (golang-github-docker-docker-dev), and podman's default capabilities and
  # seccomp profile (golang-github-containers-common).
  unpack golang-github-docker-docker-dev ./usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json \
    /usr/local/share/airlock-tests/docker-seccomp-default.json
  unpack golang-github-containers-common ./usr/share/containers/seccomp.json \
    /usr/local/share/airlock-tests/podman/seccomp.json
  unpack golang-github-containers-common ./usr/share/containers/containers.conf \
    /usr/local/share/airlock-tests/podman/containers.conf
  # Lua's source (Debian's lua5.4 upstream tarball), a C build that
  # integration/test_audit_fresh_machine.sh audits.
  lua=/usr/local/share/airlock-tests/lua5.4.orig.tar.gz
  if [[ ! -s $lua && $(id -u) -eq 0 ]]; then
    work=$(mktemp -d)
    chmod 755 "$work"
    mkdir -p "$work/lists/partial"
    # The source archive is the one apt already uses for bookworm's packages.
    apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' |
      awk '$2 == "bookworm" && $3 == "main" && !done {print "deb-src " $1 " bookworm main"; done = 1}' >"$work/sources.list"
    apt_src=(-o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$work/lists")
    apt-get "${apt_src[@]}" update -qq
    (cd "$work" && apt-get "${apt_src[@]}" source --download-only -qq lua5.4)
    cp "$work"/lua5.4_*.orig.tar.gz "$lua.tmp" && mv "$lua.tmp" "$lua"
    rm -rf "$work"
  fi
fi
# The Kubernetes API's schemas, for integration/test_examples.sh to validate
# packaging/container/pod.yaml offline: kubernetes-models from the npm
# registry (npm's configured one), pinned, in its own directory.
k8s_models=/usr/local/share/airlock-tests/kubernetes-models
if [[ ${1:-} != --build && ! -d $k8s_models/node_modules/kubernetes-models && $(id -u) -eq 0 ]]; then
  mkdir -p "$k8s_models"
  npm install --prefix "$k8s_models" --no-audit --no-fund --no-save --silent kubernetes-models@5.1.0
fi
