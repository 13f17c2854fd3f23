#!/usr/bin/env bash
# Load and soak measurements (issue 17), one command each:
#   scripts/load.sh                  1, 2 and 3 kycd processes on one PostgreSQL and one S3
#                                    server (versitygw), complete verifications by concurrent
#                                    clients: verifications a minute, p50/p95/p99 of each step,
#                                    errors, each process's memory, the scaling ratio
#   scripts/load.sh soak 30m         the soak: two processes and a worker-only one killed
#                                    halfway, for 30 minutes: every case decided exactly once,
#                                    no leaked goroutines or open files
# KYCD_LOAD_DURATION (2m) and KYCD_LOAD_CLIENTS (8) tune the first. Needs what the tests need
# (scripts/setup.sh --test). The clients run on the same machine and render their camera's
# frames themselves: on a small machine they take a share of the CPU the servers would have.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test >&2
export KYCD_TOOLS_DIR="${KYCD_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kycd/bin}"
export KYCD_TESTDATA="${KYCD_TESTDATA:-$(cd .. && pwd)/shared/testdata}" OMP_THREAD_LIMIT=1
if [ "${1:-}" = soak ]; then
  KYCD_SOAK="${2:-30m}" go test -count=1 -timeout 0 -run 'TestSoakShort$' -v ./internal/app/ 2>&1 | grep -v 'time=' 
else
  KYCD_LOAD=1 KYCD_LOAD_DURATION="${KYCD_LOAD_DURATION:-2m}" KYCD_LOAD_CLIENTS="${KYCD_LOAD_CLIENTS:-8}" \
    go test -count=1 -timeout 0 -run 'TestLoad$' -v ./internal/app/ 2>&1 | grep -v 'time='
fi
