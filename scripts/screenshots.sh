#!/usr/bin/env bash
# Regenerates docs/screenshots/: a picture of every page the accessibility
# test checks (the applicant's at phone size in English and German, the
# hosted flow, the reviewers' console at desktop size) and of the browser
# journey's results. Needs what the tests need (scripts/setup.sh --test).
set -euo pipefail
cd "$(dirname "$0")/.."
export KYCD_TOOLS_DIR="${KYCD_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kycd/bin}"
export KYCD_TESTDATA="${KYCD_TESTDATA:-$(cd .. && pwd)/shared/testdata}" OMP_THREAD_LIMIT=1
out="$(pwd)/docs/screenshots"
rm -rf "$out" && mkdir -p "$out"
KYCD_SCREENSHOTS="$out" go test -count=1 -run 'TestAccessibility|TestBrowserJourney' ./internal/app/ \
  || echo "a browser test failed: some pictures may be missing" >&2
ls "$out"
