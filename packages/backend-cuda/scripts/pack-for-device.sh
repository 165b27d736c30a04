#!/usr/bin/env bash
# Prepares <repo>/.device-carry/ for scripts/gpu-check.sh on a lent GPU machine (which has no Node and reaches no
# registry): the xz-compressed Node binary running this script, and runtime.tar.xz — a flat node_modules with the
# built @deberta-js/core and @deberta-js/backend-cuda and their runtime dependencies (koffi with its linux-x64
# binary, onnxruntime-common, fflate). Run here, from anywhere; it builds both packages first. ~26 MiB.
set -euo pipefail
pkg="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$pkg/../.." && pwd)"
dest="$repo/.device-carry"
core="$repo/packages/core"

echo "pack: building @deberta-js/core and @deberta-js/backend-cuda" >&2
(cd "$core" && pnpm exec tsc -p tsconfig.json)
(cd "$pkg" && pnpm exec tsc -p tsconfig.json)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
rt="$tmp/runtime"
mkdir -p "$rt/node_modules/@deberta-js/core" "$rt/node_modules/@deberta-js/backend-cuda" "$rt/node_modules/@koromix"
cp "$core/package.json" "$rt/node_modules/@deberta-js/core/"
cp -r "$core/dist" "$rt/node_modules/@deberta-js/core/"
cp "$pkg/package.json" "$rt/node_modules/@deberta-js/backend-cuda/"
cp -r "$pkg/dist" "$rt/node_modules/@deberta-js/backend-cuda/"

# The folder of package $1 as Node finds it from directory $2 (node_modules lookup upwards; pnpm links resolved).
resolve() {
  local d; d="$(readlink -f "$2")"
  while [ "$d" != "/" ]; do
    if [ -d "$d/node_modules/$1" ]; then readlink -f "$d/node_modules/$1"; return 0; fi
    d="$(dirname "$d")"
  done
  echo "pack: cannot find package $1 from $2" >&2
  return 1
}
koffi="$(resolve koffi "$pkg")"
cp -rL "$koffi" "$rt/node_modules/koffi"
cp -rL "$(resolve @koromix/koffi-linux-x64 "$(readlink -f "$koffi")")" "$rt/node_modules/@koromix/koffi-linux-x64"
rm -rf "$rt/node_modules/@koromix/koffi-linux-x64/musl_x64" "$rt/node_modules/koffi/src/cnoke" "$rt/node_modules/koffi/vendor" 2>/dev/null || true
for dep in $(node -e 'const d=require(process.argv[1]).dependencies||{};console.log(Object.keys(d).filter(k=>!k.startsWith("@deberta-js/")).join(" "))' "$core/package.json"); do
  cp -rL "$(resolve "$dep" "$core")" "$rt/node_modules/$dep"
done
echo '{ "name": "djs-gpu-runtime", "private": true, "type": "module" }' > "$rt/package.json"

mkdir -p "$dest"
rm -f "$dest/runtime.tar.xz"
tar -C "$tmp" -cJf "$dest/runtime.tar.xz" runtime
node_bin="$(command -v node)"
if [ ! -f "$dest/node.xz" ] || [ "$node_bin" -nt "$dest/node.xz" ] || [ "$(cat "$dest/node.version" 2>/dev/null)" != "$(node --version)" ]; then
  echo "pack: compressing $node_bin ($(node --version)); this takes a minute" >&2
  xz -T0 -6 -c "$node_bin" > "$dest/node.xz.tmp" && mv "$dest/node.xz.tmp" "$dest/node.xz"
  node --version > "$dest/node.version"
fi
du -sh "$dest"/* >&2
total=$(du -sm "$dest" | cut -f1)
if [ "$total" -gt 60 ]; then echo "pack: warning: $dest is ${total} MiB; the device call carries at most 64 MiB in all" >&2; fi
grep -qx '.device-carry/' "$repo/.gitignore" 2>/dev/null || grep -qx '/.device-carry/' "$repo/.git/info/exclude" 2>/dev/null || echo "pack: note: add .device-carry/ to .gitignore so it only travels when carried" >&2
echo "pack: ready: carry [\".device-carry\"] and run: bash packages/backend-cuda/scripts/gpu-check.sh" >&2
