#!/usr/bin/env bash
# Seed the lab's OpenStack (see seed.py). Idempotent: does nothing when $LAB/openstack/seed.json exists
# (delete it to re-run; seed.py then finds existing objects by name and only adds what is missing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [[ -f $OS_DIR/seed.json ]]; then
  log "seed exists ($OS_DIR/seed.json): nothing to do"
  exit 0
fi
mkdir -p "$OS_LOG"
log "seeding (log: $OS_LOG/seed.log)"
if ! "$PY" "$OS_HERE/seed.py" 2> >(tee -a "$OS_LOG/seed.log" >&2); then
  log_tail "$OS_LOG/cinder-volume-app.log" 15
  log_tail "$OS_LOG/nova-compute-app.log" 15
  log_tail "$OS_LOG/nova-conductor-app.log" 15
  die "seed failed"
fi
"$PY" "$OS_HERE/write-json.py" || die "writing openstack.json failed"
