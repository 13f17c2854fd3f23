#!/usr/bin/env bash
# Runs kycd's Go benchmarks and prints them as a table: mean ns/op, median and
# 95th percentile per operation (µs), bytes and allocations per operation.
# Extra arguments go to go test, e.g. scripts/bench.sh -bench Seal ./internal/seal/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test >&2
export KYCD_TOOLS_DIR="${KYCD_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kycd/bin}"
args=("$@")
[ "${#args[@]}" -gt 0 ] || args=(-bench . ./...)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -benchtime "${BENCHTIME:-2s}" "${args[@]}" | tee "$out" >&2
echo
echo "| benchmark | ns/op | p50 µs | p95 µs | p99 µs | MB/s | B/op | allocs/op |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
awk '/^Benchmark/ {
  name=$1; sub(/-[0-9]+$/, "", name); ns=""; p50=""; p95=""; p99=""; mbs=""; bop=""; al="";
  for (i = 3; i < NF; i += 2) {
    v=$i; u=$(i+1);
    if (u == "ns/op") ns=v; else if (u == "p50-µs") p50=v; else if (u == "p95-µs") p95=v; else if (u == "p99-µs") p99=v;
    else if (u == "MB/s") mbs=v; else if (u == "B/op") bop=v; else if (u == "allocs/op") al=v;
  }
  printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", name, ns, p50, p95, p99, mbs, bop, al
}' "$out"
