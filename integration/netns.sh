# Sourced first by the tests whose "internet" is a network namespace of
# their own: re-runs the test inside a fresh network and mount namespace
# (addresses on its loopback, servers bound there, a resolv.conf bound over
# the host's), so no packet leaves it. Needs root; skips (77) otherwise.
if [[ -z ${AIRLOCK_TEST_NETNS:-} ]]; then
  if [[ $(id -u) -ne 0 ]]; then echo "SKIP needs root to create the test's network namespace"; exit 77; fi
  if ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then echo "SKIP needs unshare and ip"; exit 77; fi
  AIRLOCK_TEST_NETNS=1 exec unshare --mount --net --propagation private -- bash "$0" "$@"
fi
