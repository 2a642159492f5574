#!/usr/bin/env bash
# The N = 60 000 acceptance run of issue 17, for any N: synthetic inputs and learnable synthetic labels, the train
# and test kernels to disk (float32), then the 13-λ scan on them with the Krylov solver, each step under
# /usr/bin/time -v (wall time and peak RSS printed per step, with the load average before and after).
#   inputs:  N×784 and M×784 standard normals (bench/synthInputs.mjs, seeds 17 and 18)
#   labels:  argmax of a fixed random 2-layer ReLU teacher, 784 → 256 → 10 (bench/synthTeacher.mjs, seed 7)
#   network: examples/relu3.json (dense–relu–dense–relu–dense, NTK parameterization, L = 3)
#   kernels: ntk kernel --out-of-core --dtype float32 (K: N×N, KT: M×N)
#   scan:    ntk scan --kernel K.npy --kernel-test KT.npy --solver krylov, λ = 1e-4:1e-1:13 (the default grid)
# Usage: bench/scan60k.sh DIR N [M]   (M = 2000 test points by default; needs dist/: npx tsc -p tsconfig.build.json)
# Env: TILE_MEMORY (ntk kernel --tile-memory, default 1G), SCAN_ARGS (extra ntk scan flags, e.g. "--max-memory 16G").
# Reruns replace only what ntk wrote (--force refuses files and folders ntk did not create).
# Disk: 4·N² + 4·M·N bytes for the kernels (14.9 GB at N = 60 000, M = 2 000). Results: DIR/scan<N>/ (tstar.csv …).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="$1"; n="$2"; m="${3:-2000}"
mkdir -p "$dir"
ntk=("node" "$here/bin/ntk.js")
arch="$here/examples/relu3.json"

step() { # step NAME CMD...: runs CMD under /usr/bin/time -v, stdout to DIR/NAME.out, prints the summary line
  local name="$1"; shift
  local load; load="$(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -v "$@" > "$dir/$name.out" 2> "$dir/$name.err" || { echo "step $name failed:"; tail -5 "$dir/$name.err"; exit 1; }
  local wall rss usr sys
  wall="$(grep 'Elapsed (wall clock)' "$dir/$name.err" | awk '{print $NF}')"
  rss="$(grep 'Maximum resident set size' "$dir/$name.err" | awk '{print $NF}')"
  usr="$(grep 'User time' "$dir/$name.err" | awk '{print $NF}')"
  sys="$(grep 'System time' "$dir/$name.err" | awk '{print $NF}')"
  echo "N=$n M=$m step=$name wall=$wall user_s=$usr sys_s=$sys maxRSS_MiB=$((rss / 1024)) load_before=\"$load\" load_after=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
}

step inputs sh -c "node '$here/bench/synthInputs.mjs' $n 784 17 '$dir/X$n.npy' && node '$here/bench/synthInputs.mjs' $m 784 18 '$dir/XT$m.npy'"
step labels sh -c "node '$here/bench/synthTeacher.mjs' '$dir/X$n.npy' 7 '$dir/Y$n.npy' && node '$here/bench/synthTeacher.mjs' '$dir/XT$m.npy' 7 '$dir/YT$m.npy' '$dir/X$n.npy'"
cat "$dir/labels.out"
step kernel "${ntk[@]}" kernel --arch "$arch" --x1 "$dir/X$n.npy" --out-of-core --dtype float32 --tile-memory "${TILE_MEMORY:-1G}" --quiet --force --out "$dir/K$n.npy"
step kernel-test "${ntk[@]}" kernel --arch "$arch" --x1 "$dir/XT$m.npy" --x2 "$dir/X$n.npy" --out-of-core --dtype float32 --tile-memory "${TILE_MEMORY:-1G}" --quiet --force --out "$dir/KT$m-$n.npy"
# shellcheck disable=SC2086
step scan "${ntk[@]}" scan --arch "$arch" --kernel "$dir/K$n.npy" --kernel-test "$dir/KT$m-$n.npy" --y "$dir/Y$n.npy" --y-test "$dir/YT$m.npy" \
  --solver krylov --lambdas 1e-4:1e-1:13 --force --out "$dir/scan$n" ${SCAN_ARGS:-}
grep -E '^ntk: (Krylov scan on disk|basis)' "$dir/scan.err" || true
grep -c '^ntk: pass .* train kernel' "$dir/scan.err" | sed 's/^/passes over the train kernel: /'
cat "$dir/scan.out"
