#!/usr/bin/env bash
# `npm run demo`: the lab up, a console home that already knows the lab (inventory, host keys, the operator key in
# the vault), and the console in browser mode. A newcomer sees a real two-site topology in minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export SWITCHYARD_LAB_DIR="${SWITCHYARD_LAB_DIR:-/var/tmp/switchyard-lab}"
export SWITCHYARD_LAB_NET="${SWITCHYARD_LAB_NET:-127.10.0}"
bash scripts/ensure-deps.sh
bash test/lab/lab.sh up
home="$SWITCHYARD_LAB_DIR/console"
mkdir -p "$home" && chmod 700 "$home"
# The demo vault's passphrase is a per-lab random one kept beside it (0600): it guards only the lab's own key.
pass_file="$home/demo-vault-passphrase"
if [ ! -s "$pass_file" ]; then
  (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$pass_file")
fi
SWITCHYARD_VAULT_PASSPHRASE="$(cat "$pass_file")" node --import tsx test/lab/console-home.ts "$SWITCHYARD_LAB_DIR" "$home"
[ -f out/renderer/index.html ] || npm run -s build
echo
echo "Demo console home: $home (inventory of the lab, its host keys, the operator key in the vault)."
echo "Vault passphrase for this demo: in $pass_file"
echo
exec bin/switchyard serve --home "$home"
