#!/usr/bin/env bash
# Sets kycd up (see setup.sh) and runs it on its embedded defaults: SQLite and
# encrypted local blobs under ./data, at http://localhost:8080. Options and
# KYCD_* variables pass through: scripts/run.sh --addr 127.0.0.1:9090
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export OMP_THREAD_LIMIT="${OMP_THREAD_LIMIT:-1}" # Tesseract: one thread per document reader
exec bin/kycd serve "$@"
