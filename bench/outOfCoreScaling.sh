#!/usr/bin/env bash
# Out-of-core kernel scaling (issue 17): `ntk kernel --out-of-core` on synthetic N×784 standard-normal inputs
# (fixed seed), relu3 network (examples/relu3.json), float32 on disk, default tile memory (1 GiB).
# Usage: bench/outOfCoreScaling.sh DIR N [N ...]   (writes DIR/X<N>.npy, DIR/K<N>.npy, prints one line per N)
# Each line: N, wall time, user and system CPU seconds, peak RSS (KiB, /usr/bin/time -v), load averages before and after.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="$1"; shift
mkdir -p "$dir"
for n in "$@"; do
  node "$here/bench/synthInputs.mjs" "$n" 784 17 "$dir/X$n.npy"
  rm -f "$dir/K$n.npy"
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -v node "$here/bin/ntk.js" kernel --arch "$here/examples/relu3.json" --x1 "$dir/X$n.npy" \
    --out-of-core --dtype float32 --quiet --out "$dir/K$n.npy" > "$dir/K$n.json" 2> "$dir/K$n.time"
  wall="$(grep 'Elapsed (wall clock)' "$dir/K$n.time" | awk '{print $NF}')"
  rss="$(grep 'Maximum resident set size' "$dir/K$n.time" | awk '{print $NF}')"
  usr="$(grep 'User time' "$dir/K$n.time" | awk '{print $NF}')"
  sys="$(grep 'System time' "$dir/K$n.time" | awk '{print $NF}')"
  echo "N=$n wall=$wall user_s=$usr sys_s=$sys maxRSS_KiB=$rss load_before=\"$load\" load_after=\"$(cut -d' ' -f1-3 /proc/loadavg)\" $(cat "$dir/K$n.json")"
done
