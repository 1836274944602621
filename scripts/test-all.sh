#!/usr/bin/env bash
# `npm test`: everything, from a fresh Debian machine. Installs what is missing, then runs three labs one after the
# other (each brought up unless already running, torn down when this run started it, unless SWITCHYARD_KEEP_LAB=1):
#   default profile with OpenStack   -> integration + browser suites
#   migration profile with OpenStack -> cut-SSH suite, the migration wizard (Ceph and cloud), its browser journey
#   default profile with OpenStack   -> the DR suite (fails the seeded cloud over and back) and its browser journey
# and ends with one line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RESULTS="$ROOT/test-results"
rm -rf "$RESULTS/reports" && mkdir -p "$RESULTS/reports"
export SWITCHYARD_LAB_DIR="${SWITCHYARD_LAB_DIR:-/var/tmp/switchyard-lab}"
export SWITCHYARD_LAB_NET="${SWITCHYARD_LAB_NET:-127.10.0}"
MIGRATION_LAB_DIR="${SWITCHYARD_MIGRATION_LAB_DIR:-$SWITCHYARD_LAB_DIR-migration}"
MIGRATION_LAB_NET="${SWITCHYARD_MIGRATION_LAB_NET:-${SWITCHYARD_LAB_NET%.*}.$(( ${SWITCHYARD_LAB_NET##*.} + 1 ))}"
# The DR suite fails sites over and back: it gets a Ceph-only lab of its own so it cannot disturb the seeded cloud.
DR_LAB_DIR="${SWITCHYARD_DR_LAB_DIR:-$SWITCHYARD_LAB_DIR-dr}"
DR_LAB_NET="${SWITCHYARD_DR_LAB_NET:-${SWITCHYARD_LAB_NET%.*}.$(( ${SWITCHYARD_LAB_NET##*.} + 2 ))}"
T0=$(date +%s)

step() { printf '\n=== %s (%s, +%ss)\n' "$1" "$(date -u +%H:%M:%S)" "$(( $(date +%s) - T0 ))"; }
failures=0
fail() { echo "FAILED: $1"; failures=$((failures + 1)); }

step "dependencies"
bash scripts/ensure-deps.sh || { echo "dependency setup failed"; exit 1; }

step "typecheck"
npm run -s typecheck || fail typecheck

step "lint"
npm run -s lint || fail lint

step "build (electron-vite: main, preload, renderer; esbuild: the CLI bundle)"
npm run -s build || fail build

step "unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$RESULTS/reports/vitest-unit.json"

# lab_up DIR NET PROFILE: brings a lab up unless it already runs; prints 1 when this run started it.
started_default=0
started_migration=0
started_dr=0
cleanup() {
  if [ "${SWITCHYARD_KEEP_LAB:-0}" != 1 ]; then
    if [ "$started_default" = 1 ]; then step "lab down ($SWITCHYARD_LAB_DIR)"; bash test/lab/lab.sh down || true; fi
    if [ "$started_migration" = 1 ]; then
      step "lab down ($MIGRATION_LAB_DIR)"
      SWITCHYARD_LAB_DIR=$MIGRATION_LAB_DIR SWITCHYARD_LAB_NET=$MIGRATION_LAB_NET SWITCHYARD_LAB_PROFILE=migration \
        SWITCHYARD_LAB_NO_OPENSTACK=0 bash test/lab/lab.sh down || true
    fi
    if [ "$started_dr" = 1 ]; then
      step "lab down ($DR_LAB_DIR)"
      SWITCHYARD_LAB_DIR=$DR_LAB_DIR SWITCHYARD_LAB_NET=$DR_LAB_NET SWITCHYARD_LAB_NO_OPENSTACK=0 bash test/lab/lab.sh down || true
    fi
  fi
}
trap cleanup EXIT

step "lab up ($SWITCHYARD_LAB_DIR, $SWITCHYARD_LAB_NET.0/24, default profile)"
if bash test/lab/lab.sh status >/dev/null 2>&1; then echo "lab already running"; else
  if bash test/lab/lab.sh up; then started_default=1; else started_default=1; fail "lab up (default profile)"; fi
fi

step "integration tests (default lab)"
npx vitest run --project integration --exclude test/integration/migration.test.ts \
  --exclude test/integration/migration-resilience.test.ts --exclude test/integration/dr.test.ts \
  --reporter=default --reporter=json --outputFile.json="$RESULTS/reports/vitest-integration.json"

step "browser tests (playwright + Debian chromium)"
# wizard.spec.ts and dr.spec.ts need the migration-profile and DR labs: they run in those phases below.
PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/reports/playwright.json" npx playwright test --grep-invert "@migration-lab|@dr-lab" --reporter=list,json

if [ "$started_default" = 1 ] && [ "${SWITCHYARD_KEEP_LAB:-0}" != 1 ]; then
  step "lab down ($SWITCHYARD_LAB_DIR): make room for the migration lab"
  bash test/lab/lab.sh down || true
  started_default=0
fi

step "lab up ($MIGRATION_LAB_DIR, $MIGRATION_LAB_NET.0/24, migration profile, with OpenStack)"
# The blog's starting point with its cloud: the wizard migrates Ceph and OpenStack (stop, detach, re-point, restore).
# SWITCHYARD_MIGRATION_WITH_CLOUD=0 runs the Ceph half only (the cloud test then skips, visibly, in the summary).
export SWITCHYARD_LAB_DIR=$MIGRATION_LAB_DIR SWITCHYARD_LAB_NET=$MIGRATION_LAB_NET SWITCHYARD_LAB_PROFILE=migration
if [ "${SWITCHYARD_MIGRATION_WITH_CLOUD:-1}" != 1 ]; then export SWITCHYARD_LAB_NO_OPENSTACK=1; else export SWITCHYARD_LAB_NO_OPENSTACK=0; fi
if bash test/lab/lab.sh status >/dev/null 2>&1; then echo "migration lab already running"; else
  if bash test/lab/lab.sh up; then started_migration=1; else started_migration=1; fail "lab up (migration profile)"; fi
fi

step "integration tests (migration lab)"
# The cut-SSH suite first: it uses pools of its own and leaves the seeded cloud untouched.
npx vitest run --project integration test/integration/migration-resilience.test.ts \
  --reporter=default --reporter=json --outputFile.json="$RESULTS/reports/vitest-migration-resilience.json"
npx vitest run --project integration test/integration/migration.test.ts \
  --reporter=default --reporter=json --outputFile.json="$RESULTS/reports/vitest-migration.json"

step "browser test of the migration wizard (migration lab)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/reports/playwright-migration.json" npx playwright test test/e2e/wizard.spec.ts --reporter=list,json

if [ "$started_migration" = 1 ] && [ "${SWITCHYARD_KEEP_LAB:-0}" != 1 ]; then
  step "lab down ($MIGRATION_LAB_DIR): make room for the DR lab"
  bash test/lab/lab.sh down || true
  started_migration=0
fi

step "lab up ($DR_LAB_DIR, $DR_LAB_NET.0/24, default profile, with OpenStack)"
# Its own seeded cloud: the DR suite fails the workload over to site-b and back (Cinder failover-host both ways).
export SWITCHYARD_LAB_DIR=$DR_LAB_DIR SWITCHYARD_LAB_NET=$DR_LAB_NET SWITCHYARD_LAB_PROFILE=default SWITCHYARD_LAB_NO_OPENSTACK=0
if bash test/lab/lab.sh status >/dev/null 2>&1; then echo "DR lab already running"; else
  if bash test/lab/lab.sh up; then started_dr=1; else started_dr=1; fail "lab up (DR lab)"; fi
fi

step "integration tests (DR lab)"
npx vitest run --project integration test/integration/dr.test.ts \
  --reporter=default --reporter=json --outputFile.json="$RESULTS/reports/vitest-dr.json"

step "browser test of the unplanned failover (DR lab)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/reports/playwright-dr.json" npx playwright test test/e2e/dr.spec.ts --reporter=list,json

step "summary"
echo "wall time: $(( $(date +%s) - T0 )) s"
node scripts/summarize-tests.mjs "$RESULTS/reports" "$failures"
