#!/usr/bin/env bash
# `npm start`: make sure dependencies are installed, build, then launch Electron if its binary is here.
# Electron 42+ downloads its binary lazily on first launch; on a machine without access to its CDN that fails,
# so we check first and point at the browser mode instead of printing a download stack trace.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
npm run -s build
electron_bin=""
if [ -f node_modules/electron/path.txt ]; then
  candidate="node_modules/electron/dist/$(cat node_modules/electron/path.txt)"
  [ -x "$candidate" ] && electron_bin=$candidate
fi
if [ -z "$electron_bin" ]; then
  cat >&2 <<'MSG'

The Electron binary is not available on this machine (node_modules/electron/dist is missing and cannot be
downloaded from here), so the desktop window cannot start.

Use the browser mode instead — the same console, served on 127.0.0.1:
    npm run serve        (or: npx switchyard serve)
then open the URL it prints (it carries a one-time token).
MSG
  exit 1
fi
# The host's memory settings (bin/host-tuning.sh): V8 flags for the main process must be on Electron's command line.
. bin/host-tuning.sh
MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-$SWITCHYARD_MALLOC_ARENA_MAX} exec "$electron_bin" --js-flags="$SWITCHYARD_V8_FLAGS" . "$@"
