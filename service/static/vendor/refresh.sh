#!/usr/bin/env bash
# Refresh the vendored front-end libraries from npm at the versions pinned in packages.json.
# Run from anywhere; needs node and npm. Nothing is ever loaded from a CDN at run time.
# Each package lands in <name>/<version>/ with its licence (see the comment in packages.json).
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
  # Each package in a folder of its own, so its dependency tree is exactly its own.
  mkdir -p "$work/pkg/$name" && cd "$work/pkg/$name"
  npm init -y >/dev/null
  npm install --no-audit --no-fund --ignore-scripts --save-exact "$name@$version" >/dev/null
  target="$here/$name/$version"
  rm -rf "${here:?}/$name"
  mkdir -p "$target"
  for f in $files; do
    cp "node_modules/$name/$f" "$target/"
  done
  python3 - "$here/packages.json" "$name" "$target" "$work/pkg/$name/node_modules" <<'PY'
import json, sys
from pathlib import Path

spec_file, name, target, modules = sys.argv[1:]
info = json.load(open(spec_file))["packages"][name]
target, modules = Path(target), Path(modules)
meta = json.loads((modules / name / "package.json").read_text())
if meta["version"] != info["version"]:
    sys.exit(f"{name}: npm gave {meta['version']}, packages.json pins {info['version']}")

def licence_files(folder):
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.name.lower().startswith(("license", "licence", "copying")))

if info.get("licence"):
    if meta.get("license") != info["licence"]:
        sys.exit(f"{name}: package.json says {meta.get('license')!r}, "
                 f"packages.json expects {info['licence']!r}")
    holders = [meta.get("author")] + [c.get("name") if isinstance(c, dict) else c
                                      for c in meta.get("contributors", [])]
    holders = ", ".join(h if isinstance(h, str) else h.get("name", "") for h in holders if h)
    text = (f"{name} {meta['version']} is licensed under the {info['licence']} licence, as its "
            "package.json declares (the npm package ships no licence file).\n"
            f"Copyright (c) {holders}.\n\n")
    if info["licence"] == "MIT":
        text += (
            "Permission is hereby granted, free of charge, to any person obtaining a copy of "
            "this software and associated documentation files (the \"Software\"), to deal in "
            "the Software without restriction, including without limitation the rights to "
            "use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of "
            "the Software, and to permit persons to whom the Software is furnished to do so, "
            "subject to the following conditions:\n\n"
            "The above copyright notice and this permission notice shall be included in all "
            "copies or substantial portions of the Software.\n\n"
            "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR "
            "IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS "
            "FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR "
            "COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER "
            "IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN "
            "CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.\n")
    (target / "LICENSE").write_text(text)
elif not licence_files(target):
    sys.exit(f"{name}: no licence file among the vendored files; list it in 'files'")

if info.get("third_party_licences"):
    parts = []
    for pkg_json in sorted(modules.rglob("package.json")):
        folder = pkg_json.parent
        # A package's own folder: node_modules/<dep> or node_modules/@scope/<dep>.
        holder = folder.parent.parent if folder.parent.name.startswith("@") else folder.parent
        if holder.name != "node_modules" or folder == modules / name:
            continue
        try:
            dep = json.loads(pkg_json.read_text())
        except (ValueError, UnicodeDecodeError):
            continue
        if "name" not in dep or "version" not in dep:
            continue
        texts = [p.read_text(errors="replace") for p in licence_files(folder)]
        header = f"{dep['name']} {dep['version']} ({dep.get('license', 'licence not stated')})"
        parts.append("=" * 78 + "\n" + header + "\n" + "=" * 78 + "\n"
                     + ("\n".join(texts) if texts else "(no licence file in the package)\n"))
    (target / "THIRD-PARTY-LICENSES.txt").write_text(
        f"Licences of the npm dependencies of {name} {meta['version']}, whose code its "
        "bundle may include.\n\n" + "\n".join(parts))
PY
  cd "$work"
done < "$work/list"
echo "done"
