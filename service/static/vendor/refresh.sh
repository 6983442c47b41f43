#!/usr/bin/env bash
# Refresh the vendored front-end libraries from npm at the versions pinned in packages.json.
# Run from anywhere; needs node and npm. Nothing is ever loaded from a CDN at run time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$here/packages.json" > "$work/list" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))["packages"]
for name, info in spec.items():
    print(name, info["version"], " ".join(info["files"]))
PY
cd "$work"
npm init -y >/dev/null
while read -r name version files; do
  echo "vendoring $name@$version"
  npm install --no-audit --no-fund --ignore-scripts "$name@$version" >/dev/null
  target="$here/$name/$version"
  rm -rf "$here/$name"
  mkdir -p "$target"
  for f in $files; do
    cp "node_modules/$name/$f" "$target/"
  done
done < "$work/list"
echo "done"
