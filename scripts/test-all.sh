#!/usr/bin/env bash
# `npm test`: everything, from a fresh Debian machine. Installs what is missing, brings the lab up when it is not
# running, runs unit, integration and browser suites, tears down a lab it started (unless SWITCHYARD_KEEP_LAB=1),
# and ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RESULTS="$ROOT/test-results"
mkdir -p "$RESULTS"
export SWITCHYARD_LAB_DIR="${SWITCHYARD_LAB_DIR:-/var/tmp/switchyard-lab}"
export SWITCHYARD_LAB_NET="${SWITCHYARD_LAB_NET:-127.10.0}"

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
failures=0

step "dependencies"
bash scripts/ensure-deps.sh || { echo "dependency setup failed"; exit 1; }

step "typecheck"
npm run -s typecheck || failures=$((failures + 1))

step "lint"
npm run -s lint || failures=$((failures + 1))

step "unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$RESULTS/unit.json"

started_lab=0
step "lab"
if ! bash test/lab/lab.sh status >/dev/null 2>&1; then
  if bash test/lab/lab.sh up; then started_lab=1; else
    echo "lab failed to come up: see the log tail above"; failures=$((failures + 1))
  fi
fi
cleanup() {
  if [ "$started_lab" = 1 ] && [ "${SWITCHYARD_KEEP_LAB:-0}" != 1 ]; then
    step "lab down"
    bash test/lab/lab.sh down || true
  fi
}
trap cleanup EXIT

step "integration tests"
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json="$RESULTS/integration.json"

step "browser tests (playwright + chromium)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/e2e.json" npx playwright test --reporter=list,json

node scripts/summarize-tests.mjs "$RESULTS" "$failures"
