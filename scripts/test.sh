#!/usr/bin/env bash
# Sets up everything the tests need (see setup.sh) and runs the whole suite:
# vet, then every test with the race detector, on SQLite and PostgreSQL, on
# local disk and a real S3 server, with the real models. Extra arguments go
# to go test, e.g. scripts/test.sh -run TestScaleOut ./internal/app/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export KYCD_TOOLS_DIR="${KYCD_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kycd/bin}"
export OMP_THREAD_LIMIT="${OMP_THREAD_LIMIT:-1}" # Tesseract: one thread per reader

echo "==> go vet, staticcheck" >&2
go vet ./...
"$KYCD_TOOLS_DIR/staticcheck" ./...

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
if [ "$#" -gt 0 ]; then
  echo "==> go test -race $*" >&2
  go test -race -count=1 -timeout 30m -v "$@" >"$log" 2>&1
  status=$?
else
  # The accuracy tests of the face engine and the document reader run the
  # real models and OCR over every test image; under the race detector they
  # take ten times as long, so they run without it, and the face engine's
  # concurrency test runs with it (the API tests read documents with it).
  #
  # The process tests (internal/app) run kycd and Chromium in real time: a
  # camera plays at its own pace, and liveness judges the movement between
  # frames a fraction of a second apart. They run on their own, so that the
  # other packages' tests do not starve the browser.
  #
  # The API's tests run the real models over real images for every route;
  # under the race detector they took 25 of CI's 37 minutes. Those that
  # race requests against each other (counters, one-time codes, caps,
  # leases, admission, concurrent submissions) run with it; the rest run
  # without it, like the accuracy tests.
  accuracy='/internal/(face|document|mrzscan)$'
  realtime='/internal/app$'
  api='/internal/api$'
  racy='Concurrent|Parallel|SpentOnce|Lockout|ResetWins|RateLimit|RateLimited|CodeLimits|RefreshRotation|RedrawCap|OneStream|Admission|WebSocket|PostgresFlow'
  mapfile -t race_pkgs < <(go list ./... | grep -Ev "$accuracy|$realtime|$api")
  mapfile -t accuracy_pkgs < <(go list ./... | grep -E "$accuracy")
  mapfile -t realtime_pkgs < <(go list ./... | grep -E "$realtime")
  mapfile -t api_pkgs < <(go list ./... | grep -E "$api")
  echo "==> go test -race (all but the accuracy, API and real-time tests; the API's concurrency tests)" >&2
  go test -race -count=1 -timeout 30m -v "${race_pkgs[@]}" >"$log" 2>&1
  status=$?
  go test -race -count=1 -timeout 30m -v -run "$racy" "${api_pkgs[@]}" >>"$log" 2>&1 || status=1
  echo "==> go test (the API's other tests, on the real models)" >&2
  go test -count=1 -timeout 30m -v -skip "$racy" "${api_pkgs[@]}" >>"$log" 2>&1 || status=1
  echo "==> go test -race (real time: kycd processes and Chromium)" >&2
  go test -race -count=1 -timeout 30m -v "${realtime_pkgs[@]}" >>"$log" 2>&1 || status=1
  echo "==> go test (accuracy on the real models: face, document, mrzscan)" >&2
  go test -count=1 -timeout 30m -v "${accuracy_pkgs[@]}" >>"$log" 2>&1 || status=1
  echo "==> go test -race -run TestConcurrentUse ./internal/face" >&2
  go test -race -count=1 -timeout 10m -v -run 'TestConcurrentUse|TestDecodeRefuses' ./internal/face/ >>"$log" 2>&1 || status=1
fi
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
