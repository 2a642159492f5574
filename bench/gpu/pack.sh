#!/usr/bin/env bash
# Prepares, on this machine, what bench/gpu.sh needs on a GPU machine that has no Node.js: the folder .gpu/
# (git-ignored through .git/info/exclude) with this Node binary, the compiled library (dist/), the few npm
# packages the benchmark loads (only their Node bundles, webgpu's linux-x64 build only) and the Vulkan loader
# (Debian/Ubuntu amd64 .deb, unpacked there). About 45 MB, xz-compressed. Run from the repository root:
#   npx tsc -p tsconfig.build.json && bash bench/gpu/pack.sh
# then hand .gpu to the GPU machine (the device tool: carry [".gpu"]) and run `bash bench/gpu.sh` there.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f dist/tfjs/backend.js ] || { echo "build dist first: npx tsc -p tsconfig.build.json" >&2; exit 2; }
rm -rf /tmp/ntk-gpu-pack && mkdir -p .gpu /tmp/ntk-gpu-pack/node_modules && rm -f .gpu/ntk.tar.xz
nm=node_modules
stage=/tmp/ntk-gpu-pack
# each package: package.json and its Node entry file (and what that file loads at run time)
copy() { mkdir -p "$stage/$nm/$1" && cp "$nm/$1/package.json" "$stage/$nm/$1/"; shift_pkg=$1; shift; for f in "$@"; do mkdir -p "$stage/$nm/$shift_pkg/$(dirname "$f")"; cp -r "$nm/$shift_pkg/$f" "$stage/$nm/$shift_pkg/$f"; done; }
main() { node -e "console.log(require('./$nm/$1/package.json').main)"; }
for p in @tensorflow/tfjs @tensorflow/tfjs-core @tensorflow/tfjs-backend-cpu @tensorflow/tfjs-backend-webgl @tensorflow/tfjs-layers @tensorflow/tfjs-converter @tensorflow/tfjs-data @tensorflow/tfjs-backend-webgpu; do copy "$p" "$(main "$p")"; done
copy @tensorflow/tfjs-backend-wasm "$(main @tensorflow/tfjs-backend-wasm)" dist/tfjs-backend-wasm.wasm dist/tfjs-backend-wasm-simd.wasm dist/tfjs-backend-wasm-threaded-simd.wasm
copy webgpu index.js dist/linux-x64
for p in long seedrandom node-fetch whatwg-url tr46 webidl-conversions string_decoder safe-buffer ml-matrix ml-array-rescale ml-array-max ml-array-min is-any-array commander cli-progress string-width strip-ansi ansi-regex emoji-regex is-fullwidth-code-point; do
  [ -d "$nm/$p" ] && { mkdir -p "$stage/$nm/$p"; cp -r "$nm/$p"/. "$stage/$nm/$p/"; }
done
cp -r dist "$stage/dist"
mkdir -p "$stage/bench/gpu" && cp bench/gpu/bench.mjs "$stage/bench/gpu/"
echo '{"type":"module"}' > "$stage/package.json"
# the bundle must run on its own: a wasm smoke test from the staged folder
(cd "$stage" && "$(command -v node)" bench/gpu/bench.mjs wasm flow --schedules 2 --n 20 --flow-steps 3 >/dev/null) || { echo "pack: the staged bundle does not run" >&2; exit 1; }
tar -C "$stage" -cJf .gpu/ntk.tar.xz .
# the Node binary (slow to compress: kept while it is newer than the binary)
[ .gpu/node.xz -nt "$(command -v node)" ] || xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz
# the Vulkan loader (libvulkan1) for the GPU machine, as the device tool's README describes
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
mkdir -p /tmp/amd64/partial
if ls .gpu/libvulkan1_*.deb >/dev/null 2>&1; then :; elif apt-get $o update -qq >/dev/null 2>&1 && (cd .gpu && apt-get $o download libvulkan1 >/dev/null 2>&1); then :; else echo "pack: could not download libvulkan1 (bench/gpu.sh needs a Vulkan loader there)" >&2; fi

rm -rf "$stage"
du -sh .gpu/* | sed 's/^/pack: /'
