#!/usr/bin/env bash
# GPU check for issue 14, end to end on a machine with an NVIDIA GPU and no Node.js (the device tool's H200):
# webgpu (Dawn on Vulkan) against wasm for ntk-l2's training (examples/s, batch 128 and 1024; wasm runs a quarter
# of the steps) and the batched
# float32 L2 flow (256 constant-λ schedules at N = 2000), and PyTorch CUDA for the same training step.
#
# Prepare here (once):  npx tsc -p tsconfig.build.json && bash bench/gpu/pack.sh     # fills .gpu/
# Run there:            bash bench/gpu.sh [--quick]      (device tool: carry [".gpu"], timeout ≈ 540 s)
# Writes the JSON lines to stdout and, when $OUT is set, to $OUT/gpu.jsonl. --quick: fewer steps; --smoke: tiny
# sizes, to check the script and the bundle end to end on any machine (SwiftShader included), not to measure.
set -uo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-}
steps=200; flowcap=40; width=1024; batches="128 1024"; B=256; N=2000
[ "$MODE" = --quick ] && { steps=20; flowcap=5; }
[ "$MODE" = --smoke ] && { steps=4; flowcap=2; width=32; batches=16; B=4; N=50; }
W=/tmp/ntk-gpu
if [ -d .gpu ]; then
  # the Vulkan loader, then our own Node and the packed library, all under /tmp (nothing else is touched)
  rm -rf "$W" && mkdir -p "$W/root" "$W/bin"
  for f in .gpu/*.deb; do [ -f "$f" ] && dpkg -x "$f" "$W/root"; done
  xz -dc .gpu/node.xz > "$W/bin/node" && chmod +x "$W/bin/node"
  tar -C "$W" -xJf .gpu/ntk.tar.xz
  export PATH="$W/bin:$PATH"
  export LD_LIBRARY_PATH="$W/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  RUN_DIR="$W"
else
  RUN_DIR="$PWD"   # a machine with Node.js and npm ci done: the repository itself (after npm run build)
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f "$icd" ] && export VK_ICD_FILENAMES="$icd"
done
log() { echo "$1"; [ -n "${OUT:-}" ] && echo "$1" >> "$OUT/gpu.jsonl"; return 0; }
log "{\"machine\":\"$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)\",\"node\":\"$(node --version)\",\"vk_icd\":\"${VK_ICD_FILENAMES:-}\"}"
bench() { local out; out=$(cd "$RUN_DIR" && timeout "$1" node bench/gpu/bench.mjs "${@:2}" 2>"$W.err"); local rc=$?; [ -n "$out" ] && log "$out"; [ $rc -ne 0 ] && log "{\"failed\":\"${*:2}\",\"rc\":$rc,\"stderr\":$(tail -c 400 "$W.err" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(s)))')}"; return 0; }
for b in $batches; do
  bench 150 webgpu train --steps $steps --batch $b --width $width
  bench 150 wasm train --steps $((steps / 4)) --batch $b --width $width
  [ "$width" = 1024 ] && log "$(python3 bench/gpu/train_torch_cuda.py --steps $steps --batch $b 2>&1 | tail -1)"
done
# the batched flow: the whole run on webgpu; wasm timed per step over its first $flowcap steps (a whole run
# there takes tens of minutes), so the wasm total is steps × ms/step, an extrapolation reported as such
bench 240 webgpu flow --schedules $B --n $N
bench 120 wasm flow --schedules $B --n $N --flow-steps $flowcap
bench 60 webgpu flow --schedules $B --n $N --flow-steps $flowcap
