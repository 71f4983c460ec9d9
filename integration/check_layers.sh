#!/usr/bin/env bash
# Checks that launcher/'s folders include one another only downwards, in the
# order docs/architecture.md draws:
#
#   util <- policy <- packages <- kernel <- gateway <- sandbox <- audit <- report <- cli <- main.cpp
#
# A folder may include its own headers and those of any folder to its left.
# An include against that order is a cycle in waiting: the layers below
# could no longer be built, tested or read without the ones above.
#
# Usage: check_layers.sh [LAUNCHER_DIR]   (default: the launcher/ beside this script)
# Prints each offending line as FILE:LINE: LAYER includes HEADER (layer X),
# and exits 1 when there is any; 0 otherwise.
set -euo pipefail
dir=${1:-"$(cd "$(dirname "$0")/.." && pwd)/launcher"}
[[ -d $dir ]] || { echo "check_layers: no such directory: $dir" >&2; exit 2; }

layers=(util policy packages kernel gateway sandbox audit report cli)
declare -A rank
for i in "${!layers[@]}"; do rank[${layers[$i]}]=$i; done
rank[main.cpp]=${#layers[@]}

bad=0
checked=0
while IFS= read -r -d '' file; do
  relative=${file#"$dir"/}
  layer=${relative%%/*}
  if [[ -z ${rank[$layer]+set} ]]; then
    echo "$relative: in no layer (add its folder to check_layers.sh and docs/architecture.md)"
    bad=1
    continue
  fi
  checked=$((checked + 1))
  line_no=0
  while IFS= read -r line; do
    line_no=$((line_no + 1))
    [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"/]+)/[^\"]*\" ]] || continue
    target=${BASH_REMATCH[1]}
    header=${line#*\"}
    header=${header%%\"*}
    if [[ -z ${rank[$target]+set} ]]; then
      echo "$relative:$line_no: $layer includes $header, which is in no layer"
      bad=1
    elif ((rank[$target] > rank[$layer])); then
      echo "$relative:$line_no: $layer includes $header (layer $target, above $layer)"
      bad=1
    fi
  done < "$file"
done < <(find "$dir" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print0 | sort -z)

if ((checked == 0)); then
  echo "check_layers: no source files under $dir" >&2
  exit 2
fi
if ((bad)); then
  echo "check_layers: includes against the layering (util <- policy <- packages <- kernel <- gateway <- sandbox <- audit <- report <- cli)" >&2
  exit 1
fi
echo "check_layers: $checked files, every include goes downwards"
