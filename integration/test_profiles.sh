#!/usr/bin/env bash
# ctest-labels: sanitize
# Every shipped profile runs the real tool on real input, as root and as uid
# 65534: a C project with make and cc (make-build, ci-step), cmake, node and
# python steps (ci-step), `npm run build` and `npm test` (npm-build,
# npm-test), and a local package with `pip install` (pip-install). Each also
# shows what it does not allow: no network, no write outside its paths.
# (default: every other test; npm-ci/npm-scripts: test_npm_two_phase.sh;
# node-service: test_entrypoint.sh.)
source "$(dirname "$0")/lib.sh"

c_project() {
  mkdir -p "$1"
  cat > "$1/main.c" <<'C'
#include <stdio.h>
int add(int a, int b);
int main(void) { printf("sum=%d\n", add(2, 3)); return 0; }
C
  echo 'int add(int a, int b) { return a + b; }' > "$1/add.c"
  printf 'app: main.o add.o\n\t$(CC) -o $@ main.o add.o\nclean:\n\trm -f app *.o\n' > "$1/Makefile"
  printf 'cmake_minimum_required(VERSION 3.13)\nproject(app C)\nadd_executable(app main.c add.c)\n' > "$1/CMakeLists.txt"
}

for who in root nobody; do
  make_fixture "$who"
  c_project "$PROJECT/c"
  mkdir -p "$PROJECT/js" "$PROJECT/py/pkg/hello"
  cat > "$PROJECT/js/package.json" <<'J'
{ "name": "js", "version": "1.0.0", "private": true,
  "scripts": { "build": "node build.js", "test": "node test.js" } }
J
  echo 'require("fs").mkdirSync("dist",{recursive:true}); require("fs").writeFileSync("dist/out.js","ok\n"); console.log("built")' > "$PROJECT/js/build.js"
  echo 'const ok = require("fs").readFileSync("dist/out.js","utf8")==="ok\n"; console.log(ok?"tests pass":"tests fail"); process.exit(ok?0:1)' > "$PROJECT/js/test.js"
  printf 'from setuptools import setup\nsetup(name="hello", version="1.0", packages=["hello"])\n' > "$PROJECT/py/pkg/setup.py"
  echo 'def greet(): return "hello from a local package"' > "$PROJECT/py/pkg/hello/__init__.py"
  [[ $who == root ]] || chown -R $NOBODY:$NOBODY "$PROJECT"
  run() {  # run DIR PROFILE CMD...
    local dir=$1 profile=$2; shift 2
    (cd "$dir" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$AIRLOCK" -q run --profile "$profile" -- "$@" 2>&1)
  }

  out=$(run "$PROJECT/c" make-build make CC=cc)
  expect_eq "$who make-build: make && cc build a C project" 0 $?
  expect_eq "$who make-build: the program runs" "sum=5" "$(run "$PROJECT/c" make-build ./app)"
  out=$(run "$PROJECT/c" make-build sh -c 'echo x > /var/tmp/airlock-make-build-escape')
  expect_contains "$who make-build: no write outside the project" "$out" "Read-only file system"

  out=$(run "$PROJECT/c" ci-step sh -c 'rm -rf b && cmake -S . -B b >/dev/null && cmake --build b >/dev/null && b/app')
  expect_eq "$who ci-step: cmake configures, builds and runs" "sum=5" "$out"
  out=$(run "$PROJECT/c" ci-step sh -c 'printf "int main(void){return 7;}" > /tmp/t.c && cc -o /tmp/t /tmp/t.c && /tmp/t; echo $?')
  expect_eq "$who ci-step: a test binary in /tmp compiles and runs" "7" "$out"
  out=$(run "$PROJECT/js" ci-step node -e 'require("net").connect(80, "127.0.0.1").on("error", e => console.log(e.code))')
  expect_eq "$who ci-step: node runs, the network is closed" "ECONNREFUSED" "$out"
  out=$(run "$PROJECT/py" ci-step python3 -c 'import sys, os; print(sys.version_info[0], os.getcwd().endswith("/py"))')
  expect_eq "$who ci-step: python runs" "3 True" "$out"

  out=$(run "$PROJECT/js" npm-build npm run build --silent)
  expect_eq "$who npm-build: npm run build" "built" "$out"
  expect_eq "$who npm-build: its output is in the project" "ok" "$(cat "$PROJECT/js/dist/out.js")"
  out=$(run "$PROJECT/js" npm-test npm test --silent)
  expect_eq "$who npm-test: npm test" "tests pass" "$out"

  if /usr/bin/python3 -c 'import pip, setuptools' 2>/dev/null; then
    out=$(run "$PROJECT/py" pip-install python3 -m pip install --quiet --no-index --no-build-isolation --target vendor ./pkg)
    expect_eq "$who pip-install: pip installs a local package" 0 $?
    out=$(run "$PROJECT/py" ci-step python3 -c 'import sys; sys.path.insert(0, "vendor"); import hello; print(hello.greet())')
    expect_eq "$who pip-install: the package imports" "hello from a local package" "$out"
    out=$(run "$PROJECT/py" pip-install python3 -c 'import socket; socket.create_connection(("127.0.0.1", 22), 2)')
    expect_contains "$who pip-install: only the package indexes are reachable" "$out" "Connection refused"
  else
    echo "SKIP $who pip-install: /usr/bin/python3 has no pip/setuptools (python3-pip, python3-setuptools)"
  fi
done
finish
