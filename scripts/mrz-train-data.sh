#!/usr/bin/env bash
# Builds the real-glyph training split of the MRZ classifier from a clone of
# tony-xlh/MRZ-dataset (Apache-2.0): renders 06–19 of every country's
# passport template except the four whose renders the report set holds
# (BEL, CHN, D, MEX). Renders 00–05 are kept for evaluation.
#
#   scripts/mrz-train-data.sh /path/to/MRZ-dataset OUT
#   go run ./internal/mrzscan/train -out internal/mrzscan/classifier.bin \
#       -real ../shared/testdata/documents/specimens,OUT
set -euo pipefail
repo=${1:?usage: $0 MRZ-dataset-clone OUT}
out=${2:?usage: $0 MRZ-dataset-clone OUT}
commit=7d6df6e926eee40a74f322f2b765a00deb58735c
git_dir=$repo/.git
[ -d "$git_dir" ] || git_dir=$repo
mkdir -p "$out"
python3 - "$git_dir" "$commit" "$out" <<'PY'
import json, subprocess, sys
git_dir, commit, out = sys.argv[1:]
git = lambda *a: subprocess.run(["git", "--git-dir", git_dir, *a], check=True, capture_output=True).stdout
labels = []
for path in sorted(git("ls-tree", "-r", "--name-only", commit, "benchmark/dataset/Passports/").decode().split()):
    if not path.endswith(".jpg"):
        continue
    country, name = path.split("/")[3], path.split("/")[4][:-4]
    if int(name) < 6 or country in ("BEL", "CHN", "D", "MEX"):
        continue
    text = git("show", f"{commit}:{path[:-4]}.txt").decode().replace("\r", "").strip()
    file = f"{country}_{name}.jpg"
    with open(f"{out}/{file}", "wb") as f:
        f.write(git("show", f"{commit}:{path}"))
    labels.append({"file": file, "document_type_from_name": "passport",
                   "mrz": "\n".join(l.rstrip() for l in text.split("\n"))})
with open(f"{out}/labels.json", "w") as f:
    json.dump(labels, f, indent=1)
print(f"{len(labels)} renders in {out}")
PY
