#!/usr/bin/env bash
# launcher/'s include graph keeps to its layers (docs/architecture.md):
# check_layers.sh passes on the tree as it is, and fails, naming the file
# and line, on a copy where a lower layer includes a higher one, on a
# folder that is in no layer, and on a sibling include against the order.
source "$(dirname "$0")/lib.sh"
CHECK="$AIRLOCK_SRC/integration/check_layers.sh"

out=$(bash "$CHECK" "$AIRLOCK_SRC/launcher" 2>&1)
expect_eq "the tree's includes go downwards" "0" "$?"
expect_contains "the check read the tree" "$out" "every include goes downwards"

copy="$SCRATCH/launcher"
cp -r "$AIRLOCK_SRC/launcher" "$copy"
# kernel -> sandbox: the cycle the layering removed.
sed -i '1a #include "sandbox/landlock.hpp"' "$copy/kernel/features.cpp"
out=$(bash "$CHECK" "$copy" 2>&1)
expect_eq "an upward include fails the check" "1" "$?"
expect_contains "the offending line is named" "$out" \
  "kernel/features.cpp:2: kernel includes sandbox/landlock.hpp (layer sandbox, above kernel)"

cp "$AIRLOCK_SRC/launcher/kernel/features.cpp" "$copy/kernel/features.cpp"
# gateway sits below sandbox and audit: it may not reach up to audit.
sed -i '1a #include "audit/observer.hpp"' "$copy/gateway/relay.cpp"
out=$(bash "$CHECK" "$copy" 2>&1)
expect_eq "gateway including audit fails the check" "1" "$?"
expect_contains "gateway's line is named" "$out" "gateway/relay.cpp:2: gateway includes audit/observer.hpp"

cp "$AIRLOCK_SRC/launcher/gateway/relay.cpp" "$copy/gateway/relay.cpp"
mkdir "$copy/misc" && echo '#pragma once' > "$copy/misc/thing.hpp"
out=$(bash "$CHECK" "$copy" 2>&1)
expect_eq "a folder in no layer fails the check" "1" "$?"
expect_contains "the stray folder is named" "$out" "misc/thing.hpp: in no layer"

rm -r "$copy/misc"
out=$(bash "$CHECK" "$copy" 2>&1)
expect_eq "the restored copy passes again" "0" "$?"
finish
