#!/usr/bin/env bash
# Switchyard test lab: two Ceph 16.2 clusters with rbd-mirror, one sshd per lab host, and the
# OpenStack part (test/lab/openstack/openstack.sh) on top. See test/lab/README.md.
#
#   lab.sh up | down | status | reset
#   lab.sh fault stop-site SITE | start-site SITE | kill-host HOST | start-host HOST
#                | stop-mirror SITE | start-mirror SITE
set -euo pipefail

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=env.sh
source "$LAB_ROOT/env.sh"
# shellcheck source=lib/common.sh
source "$LAB_ROOT/lib/common.sh"
# shellcheck source=ceph/ceph.sh
source "$LAB_ROOT/ceph/ceph.sh"
# shellcheck source=ssh/ssh.sh
source "$LAB_ROOT/ssh/ssh.sh"
# shellcheck source=lib/lab-json.sh
source "$LAB_ROOT/lib/lab-json.sh"

OPENSTACK_SH=$LAB_ROOT/openstack/openstack.sh
MARKER=.switchyard-lab

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

check_config() {
  [[ $NET =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "SWITCHYARD_LAB_NET must be three octets in 127/8, e.g. 127.10.0 (got '$NET')"
  [[ $PROFILE == default || $PROFILE == migration ]] || die "SWITCHYARD_LAB_PROFILE must be default or migration (got '$PROFILE')"
  [[ $LAB_DIR == /* && $LAB_DIR != / ]] || die "SWITCHYARD_LAB_DIR must be an absolute path (got '$LAB_DIR')"
}

lock_lab() {
  mkdir -p "$LAB_RUN_DIR"
  exec 9>"$LAB_RUN_DIR/lab.lock"
  flock -w 900 9 || die "another lab.sh holds $LAB_RUN_DIR/lab.lock"
}

# Environment for the OpenStack part (it binds its services on the controller address).
export_lab_env() {
  export SWITCHYARD_LAB_DIR="$LAB_DIR" SWITCHYARD_LAB_NET="$NET" SWITCHYARD_LAB_PROFILE="$PROFILE"
  export SWITCHYARD_LAB_JSON="$LAB_DIR/lab.json"
  export SWITCHYARD_LAB_SSH_DIR="$LAB_SSH_DIR"
  export SWITCHYARD_LAB_CONTROLLER_IP="$LAB_CONTROLLER_IP"
  export SWITCHYARD_LAB_SITE_A_CONF SWITCHYARD_LAB_SITE_B_CONF SWITCHYARD_LAB_SITE_A_KEYRING SWITCHYARD_LAB_SITE_B_KEYRING
  SWITCHYARD_LAB_SITE_A_CONF=$(lab_conf site-a)
  SWITCHYARD_LAB_SITE_B_CONF=$(lab_conf site-b)
  SWITCHYARD_LAB_SITE_A_KEYRING=$(lab_admin_keyring site-a)
  SWITCHYARD_LAB_SITE_B_KEYRING=$(lab_admin_keyring site-b)
  export SWITCHYARD_LAB_SITE_A_IP="${LAB_SITE_IP[site-a]}" SWITCHYARD_LAB_SITE_B_IP="${LAB_SITE_IP[site-b]}"
}

openstack_hook() {
  local action=$1
  [[ -f $OPENSTACK_SH ]] || return 0
  if [[ ${SWITCHYARD_LAB_NO_OPENSTACK:-0} == 1 ]]; then
    log "openstack: skipped (SWITCHYARD_LAB_NO_OPENSTACK=1)"
    return 0
  fi
  export_lab_env
  log "openstack: $action"
  # 9>&-: the OpenStack daemons must not inherit the lab lock.
  if ! bash "$OPENSTACK_SH" "$action" 9>&- >>"$LAB_LOG_DIR/openstack-$action.log" 2>&1; then
    log_tail "$LAB_LOG_DIR/openstack-$action.log" 40
    return 1
  fi
}

cmd_up() {
  check_config
  ensure_packages "${LAB_PACKAGES[@]}"
  ((EUID == 0)) || die "lab.sh up must run as root (it creates user $LAB_OPERATOR, a sudoers drop-in and sshd hosts)"
  lock_lab
  mkdir -p "$LAB_CEPH_DIR" "$LAB_SSH_DIR" "$LAB_RUN_DIR" "$LAB_LOG_DIR"
  touch "$LAB_DIR/$MARKER"
  if [[ -s $LAB_DIR/profile && $(<"$LAB_DIR/profile") != "$PROFILE" ]]; then
    die "$LAB_DIR was built with profile '$(<"$LAB_DIR/profile")', not '$PROFILE': run 'lab.sh reset' first"
  fi
  printf '%s\n' "$PROFILE" >"$LAB_DIR/profile"
  local t0
  t0=$(date +%s%N)
  log "lab $LAB_DIR net $NET.0/24 profile $PROFILE"
  ssh_ensure_user

  # Both clusters in parallel: about half the wall time of building them one after the other.
  # The sshd hosts start meanwhile: they need nothing from the clusters but file paths.
  local site pids=() failed=0 ssh_pid
  for site in "${LAB_SITES[@]}"; do
    ceph_site_build "$site" >"$LAB_LOG_DIR/build-$site.log" 2>&1 &
    pids+=($!)
  done
  ssh_up >"$LAB_LOG_DIR/ssh-up.log" 2>&1 &
  ssh_pid=$!
  local i
  for i in "${!LAB_SITES[@]}"; do
    if ! wait "${pids[$i]}"; then
      warn "building ${LAB_SITES[$i]} failed"
      log_tail "$LAB_LOG_DIR/build-${LAB_SITES[$i]}.log" 40
      failed=1
    fi
  done
  if ! wait "$ssh_pid"; then
    warn "starting the sshd hosts failed"
    log_tail "$LAB_LOG_DIR/ssh-up.log" 40
    failed=1
  fi
  ((failed == 0)) || exit 1
  grep -h '^\[lab' "$LAB_LOG_DIR"/build-site-*.log >&2 || true
  ssh_grant_ceph_access
  log "clusters (mon, mgr, osd, pools) and sshd hosts running: $(elapsed "$t0") s"

  if [[ $PROFILE == migration ]]; then
    # rbd-mirror daemons started later with `fault start-mirror` (the migration wizard's doing) come back.
    for site in "${LAB_SITES[@]}"; do
      if [[ -f $(site_dir "$site")/rbd-mirror/.wanted ]]; then
        ceph_start_mirror "$site" || die "rbd-mirror on $site failed to start"
      fi
    done
  fi
  if [[ $PROFILE == default ]]; then
    ceph_mirror_setup >"$LAB_LOG_DIR/mirror-setup.log" 2>&1 || { log_tail "$LAB_LOG_DIR/mirror-setup.log"; die "mirror setup failed"; }
    # Each start runs in a subshell (daemon pids never become children of this shell).
    local mpids=() j
    for site in "${LAB_SITES[@]}"; do
      (ceph_start_mirror "$site") &
      mpids+=($!)
    done
    for j in "${mpids[@]}"; do wait "$j" || die "an rbd-mirror failed to start (see above)"; done
    log "mirroring configured, rbd-mirror started: $(elapsed "$t0") s"
  fi
  for site in "${LAB_SITES[@]}"; do
    wait_for "$site HEALTH_OK" 120 ceph_health_ok "$site" ||
      { sceph "$site" health detail >&2 || true; log_tail "$(site_dir "$site")/log/cluster.log" 20; die "$site is not healthy"; }
  done
  log "both clusters HEALTH_OK: $(elapsed "$t0") s"
  if [[ $PROFILE == default ]]; then
    for site in "${LAB_SITES[@]}"; do
      wait_for "$site rbd-mirror reporting" 90 ceph_mirror_reporting "$site" ||
        { log_tail "$(site_dir "$site")/log/rbd-mirror.log"; die "rbd-mirror on $site is not reporting"; }
    done
  fi
  log "ceph ready (rbd-mirror reporting): $(elapsed "$t0") s"

  lab_json_write
  log "ceph + ssh ready in $(elapsed "$t0") s; lab description: $LAB_DIR/lab.json"
  openstack_hook up || die "openstack part failed (log: $LAB_LOG_DIR/openstack-up.log)"
  # The OpenStack part may have added sshd drop-ins for the controller: make sshd reread them.
  local name pid
  for name in "${LAB_HOSTS[@]}"; do
    if compgen -G "$(host_dir "$name")/sshd_config.d/*.conf" >/dev/null && pid=$(daemon_pid "sshd-$name"); then
      /usr/sbin/sshd -t -f "$(host_dir "$name")/sshd_config" && kill -HUP "$pid"
    fi
  done
  log "lab is up ($(elapsed "$t0") s total)"
}

cmd_down() {
  check_config
  [[ -d $LAB_DIR ]] || { log "no lab at $LAB_DIR"; return 0; }
  lock_lab
  openstack_hook down || warn "openstack down reported an error (continuing with ceph/ssh)"
  local site name
  for name in "${LAB_HOSTS[@]}"; do
    ssh_stop_host "$name"
  done
  # rbd-mirror first (it talks to both clusters), then each site in parallel.
  for site in "${LAB_SITES[@]}"; do daemon_stop "$site-rbd-mirror" 15; done
  local pids=() pid
  for site in "${LAB_SITES[@]}"; do
    ceph_site_stop "$site" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  log "lab stopped ($LAB_DIR)"
}

cmd_reset() {
  check_config
  if [[ -d $LAB_DIR ]]; then
    [[ -f $LAB_DIR/$MARKER ]] || die "$LAB_DIR has no $MARKER marker: refusing to delete it"
    cmd_down
    rm -rf -- "$LAB_DIR"
    log "removed $LAB_DIR"
  fi
}

# One status row: component, state, pid, address.
STATUS_BAD=0
status_row() {
  local comp=$1 name=$2 addr=$3 expected=$4 built=$5 pid state
  if pid=$(daemon_pid "$name"); then
    state=running
  elif [[ $built == yes ]]; then
    state=stopped
    pid=-
  else
    state=missing
    pid=-
  fi
  if [[ $expected == no ]]; then
    [[ $state == running ]] || state="$state (not expected)"
  elif [[ $state != running ]]; then
    STATUS_BAD=1
  fi
  printf '%-22s %-22s %-8s %s\n' "$comp" "$state" "$pid" "$addr"
}

cmd_status() {
  check_config
  if [[ ! -f $LAB_DIR/$MARKER ]]; then
    printf 'no lab at %s\n' "$LAB_DIR"
    exit 1
  fi
  [[ -s $LAB_DIR/profile ]] && PROFILE=$(<"$LAB_DIR/profile")
  printf 'lab %s  net %s.0/24  profile %s\n' "$LAB_DIR" "$NET" "$PROFILE"
  printf '%-22s %-22s %-8s %s\n' COMPONENT STATE PID ADDRESS
  local site d ip mirror_expected built name
  for site in "${LAB_SITES[@]}"; do
    d=$(site_dir "$site")
    ip=${LAB_SITE_IP[$site]}
    mirror_expected=no
    [[ $PROFILE == default || -f $d/rbd-mirror/.wanted ]] && mirror_expected=yes
    built=no; [[ -f $d/mon/a/.done ]] && built=yes
    status_row "$site mon.a" "$site-mon" "$ip:3300,$ip:6789" yes "$built"
    built=no; [[ -s $d/mgr/x/keyring ]] && built=yes
    status_row "$site mgr.x" "$site-mgr" "$ip" yes "$built"
    built=no; [[ -f $d/osd/0/.done ]] && built=yes
    status_row "$site osd.0" "$site-osd" "$ip" yes "$built"
    built=no; [[ -s $d/rbd-mirror/keyring ]] && built=yes
    status_row "$site rbd-mirror" "$site-rbd-mirror" "$ip" "$mirror_expected" "$built"
  done
  for name in "${LAB_HOSTS[@]}"; do
    built=no; [[ -s $(host_dir "$name")/sshd_config ]] && built=yes
    status_row "sshd $name" "sshd-$name" "${LAB_HOST_IP[$name]}:$LAB_SSH_PORT" yes "$built"
  done
  local h
  for site in "${LAB_SITES[@]}"; do
    if daemon_pid "$site-mon" >/dev/null; then
      h=$(timeout 15 ceph -c "$(lab_conf "$site")" --connect-timeout 5 health 2>&1 | head -1) || h="unreachable"
    else
      h="mon down"
    fi
    printf '%-22s %s\n' "$site health" "$h"
    [[ $h == HEALTH_OK* ]] || STATUS_BAD=1
  done
  if [[ -f $OPENSTACK_SH && ${SWITCHYARD_LAB_NO_OPENSTACK:-0} != 1 ]]; then
    export_lab_env
    printf -- '-- openstack (%s status)\n' "$OPENSTACK_SH"
    bash "$OPENSTACK_SH" status 9>&- || STATUS_BAD=1
  fi
  return "$STATUS_BAD"
}

site_of_arg() {
  [[ ${LAB_SITE_IP[$1]+x} ]] || die "unknown site '$1' (sites: ${LAB_SITES[*]})"
}
host_of_arg() {
  [[ ${LAB_HOST_IP[$1]+x} ]] || die "unknown host '$1' (hosts: ${LAB_HOSTS[*]})"
}

cmd_fault() {
  check_config
  [[ -f $LAB_DIR/$MARKER ]] || die "no lab at $LAB_DIR"
  [[ -s $LAB_DIR/profile ]] && PROFILE=$(<"$LAB_DIR/profile")
  local action=${1:-} arg=${2:-}
  [[ -n $action && -n $arg ]] || usage
  lock_lab
  case $action in
    stop-site)
      site_of_arg "$arg"
      ssh_stop_host "$arg-mon"
      ceph_site_stop "$arg"
      log "site $arg stopped (ceph daemons and sshd $arg-mon)"
      ;;
    start-site)
      site_of_arg "$arg"
      ceph_write_conf "$arg"
      ceph_start_mon "$arg" || die "$arg mon failed"
      ceph_start_mgr "$arg" || die "$arg mgr failed"
      ceph_start_osd "$arg" || die "$arg osd failed"
      if [[ $PROFILE == default || -f $(site_dir "$arg")/rbd-mirror/.wanted ]]; then
        ceph_start_mirror "$arg" || die "$arg rbd-mirror failed"
      fi
      ssh_start_host "$arg-mon" || die "sshd $arg-mon failed"
      log "site $arg started (health may take a few seconds to settle)"
      ;;
    kill-host)
      host_of_arg "$arg"
      ssh_stop_host "$arg" KILL
      log "sshd $arg killed (SIGKILL, its open connections too)"
      ;;
    start-host)
      host_of_arg "$arg"
      ssh_start_host "$arg" || die "sshd $arg failed"
      log "sshd $arg started"
      ;;
    stop-mirror)
      site_of_arg "$arg"
      rm -f "$(site_dir "$arg")/rbd-mirror/.wanted"
      daemon_stop "$arg-rbd-mirror" 15
      log "rbd-mirror on $arg stopped"
      ;;
    start-mirror)
      site_of_arg "$arg"
      ceph_start_mirror "$arg" || die "rbd-mirror on $arg failed"
      # In the migration profile a started rbd-mirror is remembered, so start-site restarts it.
      touch "$(site_dir "$arg")/rbd-mirror/.wanted"
      log "rbd-mirror on $arg started"
      ;;
    *) usage ;;
  esac
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  fault) shift; cmd_fault "$@" ;;
  *) usage ;;
esac
