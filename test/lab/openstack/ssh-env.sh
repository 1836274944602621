#!/usr/bin/env bash
# Let the operator's SSH sessions on the controller find this lab's cloud: an sshd_config drop-in for the
# controller host (test/lab/ssh/ssh.sh includes $LAB/ssh/hosts/controller/sshd_config.d/*.conf and lab.sh
# sends sshd a HUP after `openstack.sh up`). Per-lab files, so two labs on one machine do not collide
# although they share the swyop account and its home.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dir=$LAB_DIR/ssh/hosts/controller/sshd_config.d
if [[ ! -d $LAB_DIR/ssh/hosts/controller ]]; then
  warn "no controller sshd under $LAB_DIR/ssh/hosts (ssh part not up?): operator environment not hooked"
  exit 0
fi
mkdir -p "$dir"
cat >"$dir/openstack.conf.tmp" <<CONF
# Written by test/lab/openstack/ssh-env.sh: the OpenStack CLIs of this lab's operator pick their cloud here.
SetEnv OS_CLIENT_CONFIG_FILE=$OS_DIR/client/clouds.yaml OS_CLOUD=$CLOUD SWITCHYARD_OPENRC=$OS_DIR/client/openrc
CONF
mv "$dir/openstack.conf.tmp" "$dir/openstack.conf"

# glance and cinder CLIs (unlike openstack) ignore clouds.yaml: the operator's bash sources the lab's openrc
# named by SWITCHYARD_OPENRC. Debian's bash reads ~/.bashrc for ssh commands too, but its skeleton returns
# early when not interactive, so the line goes first. Lab-neutral: the path comes from the session env.
home=$(getent passwd swyop | cut -d: -f6) || { warn "no swyop user yet"; exit 0; }
rc=$home/.bashrc
line='[ -n "${SWITCHYARD_OPENRC:-}" ] && [ -r "$SWITCHYARD_OPENRC" ] && . "$SWITCHYARD_OPENRC" # switchyard-lab'
if ! grep -qF '# switchyard-lab' "$rc" 2>/dev/null; then
  { printf '%s\n' "$line"; cat "$rc" 2>/dev/null || true; } >"$rc.tmp"
  chown swyop: "$rc.tmp"
  mv "$rc.tmp" "$rc"
fi
