#!/usr/bin/env bash
# Sets up everything the tests need (see setup.sh) and runs the whole suite:
# vet, then every test with the race detector, on SQLite and PostgreSQL, on
# local disk and a real S3 server, with the real models. Extra arguments go
# to go test, e.g. scripts/test.sh -run TestScaleOut ./internal/app/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export KYCD_TOOLS_DIR="${KYCD_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kycd/bin}"

echo "==> go vet, staticcheck" >&2
go vet ./...
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

pkgs=("$@")
[ "${#pkgs[@]}" -gt 0 ] || pkgs=(./...)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "==> go test -race ${pkgs[*]}" >&2
set +e
go test -race -count=1 -timeout 20m -v "${pkgs[@]}" >"$log" 2>&1
status=$?
set -e
# Show the package results and every failure in full, then one summary line.
grep -E '^(ok|FAIL|panic:|---|WARNING: DATA RACE)|^\s+\S+_test\.go:[0-9]+:' "$log" | grep -v -- '--- PASS' || true
if [ "$status" != 0 ]; then
  echo "==> failing output:" >&2
  grep -B2 -A40 -E '^(\s*--- FAIL|panic:|WARNING: DATA RACE)' "$log" | grep -v '^=== RUN' | head -400 || true
fi
passed=$(grep -cE '^--- PASS' "$log" || true)
failed=$(grep -cE '^--- FAIL' "$log" || true)
skipped=$(grep -cE '^--- SKIP' "$log" || true)
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
