#!/usr/bin/env bash
# Line coverage per library folder of a coverage build (gcovr); fails under the floor.
set -euo pipefail
build_dir=${1:-build-coverage}
floor=${COVERAGE_FLOOR:-90}
summary=$(mktemp)
gcovr -r . --object-directory "$build_dir" --exclude 'tests/' --exclude 'bench/' \
  --exclude "$build_dir/" --gcov-ignore-parse-errors --json-summary "$summary" --json-summary-pretty >/dev/null
python3 - "$summary" "$floor" <<'PY'
import json, sys, collections
data = json.load(open(sys.argv[1])); floor = float(sys.argv[2])
per = collections.OrderedDict()
for f in data["files"]:
    folder = f["filename"].split("/")[0]
    if folder in ("cli",) or "/" not in f["filename"]:
        pass
    c = per.setdefault(folder, [0, 0])
    c[0] += f["line_covered"]; c[1] += f["line_total"]
low = []
print(f"{'folder':<14}{'lines':>8}{'covered':>9}{'percent':>9}")
for folder, (cov, tot) in sorted(per.items()):
    pct = 100.0 * cov / tot if tot else 100.0
    print(f"{folder:<14}{tot:>8}{cov:>9}{pct:>8.1f}%")
    if folder != "cli" and pct < floor: low.append(folder)
tc = sum(v[0] for v in per.values()); tt = sum(v[1] for v in per.values())
print(f"{'total':<14}{tt:>8}{tc:>9}{100.0*tc/max(tt,1):>8.1f}%")
if low:
    print(f"below {floor}%: {', '.join(low)}"); sys.exit(1)
PY
