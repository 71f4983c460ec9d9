#!/usr/bin/env bash
# ctest-labels: sanitize
# On hosts with systemd-resolved (Ubuntu CI runners among them)
# /etc/resolv.conf is a symlink into /run, which the sandbox's view hides.
# An allow-list run must still show the gateway's DNS stub there: the file
# is bound where the symlink leads, /run stays hidden otherwise, and
# Landlock lets the command read it. Such a host is made here in a mount
# namespace of the test's own (a copy of /etc whose resolv.conf points into
# a tmpfs on /run); no address is contacted. As root and as uid 65534.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to build the systemd-resolved host in a mount namespace"
command -v unshare >/dev/null || skip "no unshare"

mkdir -p "$SCRATCH/etc"
cp -a /etc/. "$SCRATCH/etc/" 2>/dev/null
rm -f "$SCRATCH/etc/shadow" "$SCRATCH/etc/gshadow" "$SCRATCH/etc/resolv.conf"
ln -s ../run/systemd/resolve/stub-resolv.conf "$SCRATCH/etc/resolv.conf"
make_fixture root
make_fixture nobody

out=$(unshare -m --propagation private env SCRATCH="$SCRATCH" AIRLOCK="$AIRLOCK" NOBODY=$NOBODY bash -c '
  set -u
  mount -t tmpfs -o mode=0755 tmpfs /run
  mkdir -p /run/systemd/resolve /run/secret-service
  echo "nameserver 192.0.2.53 # the host stub" > /run/systemd/resolve/stub-resolv.conf
  echo "planted-run-secret" > /run/secret-service/token
  mount --bind "$SCRATCH/etc" /etc
  echo "host: $(cat /etc/resolv.conf)"
  for who in root nobody; do
    as=(); [[ $who == root ]] || as=(setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups)
    cd "$SCRATCH/$who/project"
    r=$("${as[@]}" env HOME="$SCRATCH/$who/home" PATH=/usr/bin:/bin "$AIRLOCK" -q run --allow-net 203.0.113.5:443 -- \
        sh -c "cat /etc/resolv.conf || exit 9; cat /run/secret-service/token 2>&1; true" 2>&1)
    echo "$who status: $?"
    echo "$r" | sed "s/^/$who: /"
  done
' 2>&1)
echo "$out"
expect_contains "the test host resolves through a symlink into /run" "$out" "host: nameserver 192.0.2.53"
for who in root nobody; do
  expect_contains "$who: the allow-list run starts" "$out" "$who status: 0"
  expect_contains "$who: /etc/resolv.conf shows the gateway's stub" "$out" "$who: nameserver 127.0.0.53"
  expect_not_contains "$who: not the host's resolver" "$out" "$who: nameserver 192.0.2.53"
  expect_not_contains "$who: the rest of /run stays hidden" "$out" "$who: planted-run-secret"
  expect_contains "$who: the hidden token is not even there" "$out" "$who: cat: /run/secret-service/token: No such file"
done
finish
